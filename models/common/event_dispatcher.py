"""HA events → short, coalesced ORM transactions (one thread per led instance).

The asyncio reader only appends to a queue (``push_*`` are cheap and never
block); this thread drains the queue in batches and applies each batch in one
transaction through the ``ha.instance`` methods ``_ha_apply_full_sync``,
``_ha_apply_registries``, ``_ha_set_ws_status`` and (for live events)
``ha.sync._ha_apply_state_events``. Bus notifications sent by those methods
leave on commit.

Live state changes are committed right away; their bus messages leave at
most every ``NOTIFY_DELAY`` seconds: a push costs the recipients query, the
bus rows and an ``imbus`` wake-up (see :class:`_ImbusNotifier`), which at one
event per transaction tripled the time to commit a row. A batch arriving
when a push is due carries every owed message in its own transaction (an
isolated change reaches browsers at once); changes applied before that wait
for the next batch or, at the latest, for a transaction of their own
``PUSH_GRACE`` after the delay. Owed messages are sent before any full sync
or status change, so the web client never sees them out of order.
"""

import hashlib
import json
import logging
import queue
import random
import threading
import time
from contextlib import closing

import psycopg2
import psycopg2.errors
import psycopg2.extensions

import odoo
from odoo import SUPERUSER_ID, api
from odoo.service.model import (
    MAX_TRIES_ON_CONCURRENCY_FAILURE,
    PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
)
from odoo.tools import OrderedSet

from odoo.addons.bus.models.bus import ODOO_NOTIFY_FUNCTION, get_notify_payloads

_logger = logging.getLogger(__name__)

MAX_BATCH = 5000  # events per transaction
NOTIFY_DELAY = 0.1  # seconds a live state change may wait for its bus message
# Seconds owed messages may wait beyond NOTIFY_DELAY for a batch to carry them
# (under a steady flow, that spares the push a transaction of its own).
PUSH_GRACE = 0.02
# Seconds between two checks of Odoo's registry/cache signaling by the mirror
# (a query on every transaction otherwise; Odoo's own crons check once a job).
SIGNALING_EVERY = 1.0
LIVE_METHODS = ("_ha_apply_state_events", "notify")
# Seconds a batch may wait for this process's HA commands to be answered.
COMMAND_YIELD = 0.05
# Seconds a hold outlives its answer: the answer still has to leave (HTTP reply
# written after the commit, caller process woken by NOTIFY).
REPLY_LINGER = 0.005
_STOP = object()


class CommandHolds:
    """HA commands of this process whose answer is still on its way.

    A command's state change arrives just before its answer, and applying it
    takes the GIL for milliseconds, right when the thread writing the answer
    (or finishing the HTTP request) needs it. The dispatcher lets those go
    first, for at most ``COMMAND_YIELD`` seconds: a hold that is never released
    expires on its own.
    """

    def __init__(self):
        self._deadlines = {}  # token -> monotonic deadline
        self._cond = threading.Condition()
        self._last = 0

    def hold(self, seconds=COMMAND_YIELD):
        with self._cond:
            self._last += 1
            self._deadlines[self._last] = time.monotonic() + seconds
            return self._last

    def release(self, token, linger=0.0):
        """End a hold now, or ``linger`` seconds from now (if sooner than its end)."""
        with self._cond:
            deadline = self._deadlines.pop(token, None)
            if deadline is not None and linger > 0:
                self._deadlines[token] = min(deadline, time.monotonic() + linger)
            self._cond.notify_all()  # waiters recompute their wait

    def wait_released(self, timeout=COMMAND_YIELD):
        """Return once no unexpired hold is left, or after ``timeout``."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                for token, deadline in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[token]
                if not self._deadlines or now >= end:
                    return
                self._cond.wait(min(end, *self._deadlines.values()) - now)


command_holds = CommandHolds()
# Registry lists of a full sync snapshot; one identical to the list applied by
# the previous full sync is not applied again (a reconnect mostly finds them
# all unchanged, and comparing 10k entries in the ORM costs far more).
SNAPSHOT_REGISTRIES = ("floors", "areas", "labels", "devices", "entities")


def _entry_key(entry):
    for key in ("id", "area_id", "label_id", "floor_id", "entity_id"):
        if entry.get(key):
            return entry[key]
    return None


def _digest(value):
    """A fingerprint of a registry list.

    HA stamps every registry entry with ``modified_at`` on each change, so the
    entries' ids and stamps identify the list (milliseconds for 10k entries);
    a list without them is fingerprinted from its JSON text.
    """
    if value is None:
        return None
    try:
        stamps = [(_entry_key(entry), float(entry["modified_at"])) for entry in value]
    except (KeyError, TypeError, ValueError, AttributeError):
        stamps = None
    if stamps is not None and all(key for key, _stamp in stamps):
        return ("stamps", len(stamps), hash(tuple(stamps)))
    text = json.dumps(value, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class _OwedPush:
    """Bus messages owed for committed live changes (the latest per entity)."""

    def __init__(self):
        self.changes = {}  # ha.entity id -> latest bus change
        self.archived = set()
        self.history = set()
        self.history_count = 0

    def __bool__(self):
        return bool(self.changes or self.archived or self.history)

    def duplicate(self):
        other = _OwedPush()
        other.changes = dict(self.changes)
        other.archived = set(self.archived)
        other.history = set(self.history)
        other.history_count = self.history_count
        return other

    def add(self, result):
        for change in result["changes"]:
            self.changes[change["id"]] = change
            self.archived.discard(change["id"])
        for entity_id in result["archived"]:
            self.changes.pop(entity_id, None)
            self.archived.add(entity_id)
        self.history.update(result["history"])
        self.history_count += result.get("history_count") or 0

    def send(self, sync, instance):
        if not self:
            return
        notifier = sync.env["ha.realtime.update"]
        changes = list(self.changes.values())
        changes += [{"id": i, "removed": True} for i in sorted(self.archived)]
        if changes:
            notifier.notify_entity_state_change(instance.id, changes)
        if self.history:
            notifier.notify_history_update(
                instance.id, sorted(self.history), self.history_count
            )


class _ImbusNotifier:
    """Wakes Odoo's bus listeners after a mirror commit, on one kept connection.

    Odoo's bus sends its ``imbus`` NOTIFY (in the ``postgres`` database, where
    the listeners are) on a connection it opens for every committing
    transaction and closes again: a PostgreSQL backend started per push. The
    dispatcher pushes up to ten times a second per instance, so it keeps one.
    Bus rows are still written by ``_bus_send``; only the wake-up moves here.
    """

    def __init__(self):
        self._conn = None

    def install(self, cr):
        """Collect the bus channels of ``cr``'s transaction for :meth:`notify`.

        With the channel set already in place, ``bus.bus`` registers no
        NOTIFY of its own for this transaction (see ``_ensure_hooks``).
        """
        channels = OrderedSet()
        cr.postcommit.data["bus.bus.channels"] = channels
        cr.postcommit.add(lambda: self.notify(channels))

    def notify(self, channels):
        if not channels:
            return
        payloads = get_notify_payloads(list(channels))
        for attempt in (1, 2):
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = self._connect()
                with self._conn.cursor() as cr:
                    for payload in payloads:
                        cr.execute(*_imbus_sql(payload))
                return
            except psycopg2.Error as err:
                self.close()
                if attempt == 2:
                    self._notify_the_odoo_way(payloads, err)

    @staticmethod
    def _notify_the_odoo_way(payloads, err):
        # Runs after the commit: never raise (the changes are saved), say so.
        _logger.warning("bus wake-up failed (%s); Odoo's way instead", err)
        try:
            with odoo.sql_db.db_connect("postgres").cursor() as cr:
                for payload in payloads:
                    cr.execute(*_imbus_sql(payload))
        except psycopg2.Error as again:
            _logger.warning(
                "bus wake-up failed again (%s): open pages see these changes "
                "with the next push",
                again,
            )

    @staticmethod
    def _connect():
        _dbname, info = odoo.sql_db.connection_info_for("postgres")
        conn = psycopg2.connect(**dict(info, application_name="odoo_ha_addon-bus"))
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        return conn

    def fileno(self):
        return (
            self._conn.fileno()
            if self._conn is not None and not self._conn.closed
            else None
        )

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg2.Error:
                _logger.debug("closing the bus connection", exc_info=True)
            self._conn = None


def _database_away(err):
    """Whether ``err`` says the session or the server is gone, not that a
    query of ours failed (a statement timeout, say). libpq's own errors carry
    no SQLSTATE: psycopg2 raises them as the base OperationalError."""
    return type(err) is psycopg2.OperationalError or isinstance(
        err,
        psycopg2.InterfaceError
        | psycopg2.errors.ConnectionException
        | psycopg2.errors.AdminShutdown
        | psycopg2.errors.CrashShutdown
        | psycopg2.errors.CannotConnectNow,
    )


def _imbus_sql(payload):
    # The function name is Odoo's setting (ODOO_NOTIFY_FUNCTION), not user input.
    return f"SELECT \"{ODOO_NOTIFY_FUNCTION}\"('imbus', %s)", (payload,)


class InstanceDispatcher(threading.Thread):
    def __init__(self, dbname, instance_id):
        super().__init__(
            name=f"odoo_ha_addon.dispatch.{dbname}.{instance_id}", daemon=True
        )
        self.dbname = dbname
        self.instance_id = instance_id
        self._queue = queue.SimpleQueue()
        self._applied_digests = {}  # registry list -> digest of the last applied
        self._pending = _OwedPush()
        self._last_push = float("-inf")  # monotonic time of the last bus push
        self._last_signaling = float("-inf")
        self._company_id = None  # the superuser's, read once
        self._imbus = _ImbusNotifier()

    # -- producers (asyncio loop thread)

    def push_event(self, event):
        self._queue.put(("event", event))

    def push_full_sync(self, snapshot):
        self._queue.put(("full_sync", snapshot))

    def push_registries(self, lists):
        self._queue.put(("registries", lists))

    def push_status(self, status):
        self._queue.put(
            ("status", (status.state, status.message, status.ha_version, status.code))
        )

    def push_status_error(self, message):
        self._queue.put(("status", ("error", message, None, "crashed")))

    def bus_fileno(self):
        """The descriptor of the bus wake-up connection, if open (for forks)."""
        return self._imbus.fileno()

    def stop(self, timeout=10):
        self._queue.put((_STOP, None))
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    # -- consumer

    def run(self):
        threading.current_thread().dbname = self.dbname
        while True:
            timeout = None
            if self._pending:
                due = self._last_push + NOTIFY_DELAY + PUSH_GRACE
                timeout = max(0.0, due - time.monotonic())
            try:
                batch = [self._queue.get(timeout=timeout)]
            except queue.Empty:
                self._flush_notifications()
                continue
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(kind is _STOP for kind, _ in batch)
            try:
                self._process([item for item in batch if item[0] is not _STOP])
            except Exception:
                # A dead dispatcher would freeze the mirror without a word;
                # the next (re)connect's full sync repairs this batch.
                _logger.exception("HA instance %s: batch dropped", self.instance_id)
            if stop:
                self._flush_notifications()
                self._imbus.close()
                return
            if self._pending and self._push_due():
                self._flush_notifications()

    def _process(self, batch):
        # Consecutive events form one transaction; a full sync or a status
        # change is applied in its own, in arrival order.
        group = []
        for kind, value in batch:
            if kind == "event":
                group.append(value)
                continue
            if group:
                self._apply_events(group)
                group = []
            self._flush_notifications()
            if kind == "full_sync":
                self._full_sync(value)
            elif kind == "registries":
                self._applied_digests = {}  # the lists moved on: compare no more
                self._apply("_ha_apply_registries", value)
            elif kind == "status":
                self._apply("_ha_set_ws_status", *value)
        if group:
            self._apply_events(group)

    def _push_due(self):
        return time.monotonic() - self._last_push >= NOTIFY_DELAY

    def _apply_events(self, events):
        data = [event.get("data") or {} for event in events if isinstance(event, dict)]
        push_now = self._push_due()

        def apply(sync, instance):
            result = sync._ha_apply_state_events(instance, data, notify=False)
            if not push_now:
                return result, None
            owed = self._pending.duplicate()
            owed.add(result)
            owed.send(sync, instance)
            return result, owed

        outcome = self._apply("_ha_apply_state_events", apply)
        if outcome is None:
            return  # rolled back: nothing new is owed, nothing owed was sent
        result, pushed = outcome
        if pushed is None:
            self._pending.add(result)
        elif pushed:
            self._pending = _OwedPush()
            self._last_push = time.monotonic()

    def _flush_notifications(self):
        """One bus message per user for every change committed since the last."""
        if not self._pending:
            return
        owed, self._pending = self._pending, _OwedPush()
        self._last_push = time.monotonic()
        self._apply("notify", lambda sync, instance: owed.send(sync, instance) or True)

    def _instance_gone(self):
        try:
            registry = odoo.modules.registry.Registry(self.dbname)
            with registry.cursor() as cr:
                cr.execute(
                    "SELECT 1 FROM ha_instance WHERE id = %s", [self.instance_id]
                )
                return not cr.fetchone()
        except Exception:  # noqa: BLE001 - the database itself may be down
            return False

    def _full_sync(self, snapshot):
        digests = {key: _digest(snapshot.get(key)) for key in SNAPSHOT_REGISTRIES}
        trimmed = dict(snapshot)
        for key, digest in digests.items():
            if digest is not None and self._applied_digests.get(key) == digest:
                trimmed[key] = None  # None: _ha_sync_registries leaves it alone
        done = self._apply("_ha_apply_full_sync", trimmed)
        self._applied_digests = digests if done else {}

    def _apply(self, method, *args):
        """Run ``ha.instance.<method>(*args)`` — or ``method_fn(ha.sync,
        instance)`` when the first argument is callable — in one transaction;
        returns its result (None on failure).

        A transaction that lost a race with another writer of the same rows
        (a manager saving the instance during a full sync, say) is run again,
        as Odoo does for HTTP requests: dropped, it would leave the mirror
        behind until the next reconnect.
        """
        command_holds.wait_released()
        live = method in LIVE_METHODS
        for attempt in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
            started = time.monotonic()
            try:
                result = self._transaction(method, args, live, started)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as err:
                if attempt == MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    return self._failed(method, live)
                _logger.info(
                    "HA instance %s: %s ran into a concurrent update (%s), again",
                    self.instance_id,
                    method.lstrip("_"),
                    err.pgcode,
                )
                time.sleep(random.uniform(0.0, 0.05 * 2**attempt))
                continue
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as err:
                if not _database_away(err):
                    return self._failed(method, live)
                # PostgreSQL away (restarting, say): the supervisor reconnects
                # and the full sync after that repairs this batch.
                _logger.warning(
                    "HA instance %s: %s dropped, database unreachable: %s",
                    self.instance_id,
                    method.lstrip("_"),
                    str(err).strip().partition("\n")[0],
                )
                return None
            except Exception:
                return self._failed(method, live)
            _logger.debug(
                "HA instance %s: %s in %.1f ms",
                self.instance_id,
                method,
                (time.monotonic() - started) * 1000,
            )
            return result
        return None

    def _transaction(self, method, args, live, started):
        registry = odoo.modules.registry.Registry(self.dbname)
        cr = registry.cursor()
        with closing(cr):
            if not live or started - self._last_signaling >= SIGNALING_EVERY:
                # On the work's cursor: no second connection borrowed.
                registry = registry.check_signaling(cr)
                self._last_signaling = started
            # A crash may lose the last mirror commits: the full sync after
            # every reconnect restores them, so no waiting for WAL flushes.
            cr.execute("SET LOCAL synchronous_commit TO off")
            # Exits in this order: commit, then signal cache changes.
            with registry.manage_changes(), cr:
                return self._run_method(cr, method, args, live)

    def _failed(self, method, live):
        if live and self._instance_gone():
            _logger.info(
                "HA instance %s: deleted, %s dropped", self.instance_id, method
            )
            return None
        # Never let one bad batch stop the mirror; the next (re)connect
        # runs a full sync that repairs whatever this one missed.
        _logger.exception(
            "HA instance %s: %s failed", self.instance_id, method.lstrip("_")
        )
        return None

    def _run_method(self, cr, method, args, live):
        self._imbus.install(cr)
        context = {"from_ha_sync": True}
        if self._company_id:
            # Creating bus rows reads env.company (for defaults): given here,
            # a push no longer fetches the superuser's whole row each time.
            context["allowed_company_ids"] = [self._company_id]
        env = api.Environment(cr, SUPERUSER_ID, context)
        if not self._company_id:
            self._company_id = env.user.company_id.id
        instance = env["ha.instance"].browse(self.instance_id)
        # Live events only write rows referencing the instance: a deleted one
        # fails them (see _instance_gone), no query first on every event.
        if not live and not instance.exists():
            return None
        if args and callable(args[0]):
            return args[0](env["ha.sync"], instance)
        return getattr(instance, method)(*args)
