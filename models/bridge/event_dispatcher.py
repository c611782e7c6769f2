"""HA events → short, coalesced ORM transactions (one thread per led instance).

The asyncio reader only appends to a queue (``push_*`` are cheap and never
block); this thread drains the queue in batches and applies each batch in one
transaction: ``ha.instance._ha_apply_full_sync``, ``_ha_apply_registries`` and
``_ha_set_ws_status``, and, for live events, ``ha.sync._ha_apply_state_events``.
Bus notifications sent by those methods leave on commit.

Live state changes are committed right away; their bus messages leave at
most every ``NOTIFY_DELAY`` seconds: a push costs the recipients query, the
bus rows and an ``imbus`` wake-up (see :mod:`.bus_wakeups`), which at one
event per transaction tripled the time to commit a row. A batch arriving
when a push is due carries every owed message in its own transaction (an
isolated change reaches browsers at once); changes applied before that wait
for the next batch or, at the latest, for a transaction of their own
``PUSH_GRACE`` after the delay. Owed messages are sent before any full sync
or status change, so the web client never sees them out of order.
"""

import logging
import queue
import random
import threading
import time
from contextlib import closing

import psycopg2

import odoo
from odoo import SUPERUSER_ID, api
from odoo.service.model import (
    MAX_TRIES_ON_CONCURRENCY_FAILURE,
    PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
)

from .bus_wakeups import BusWakeups
from .command_holds import command_holds
from .connections import database_away
from .registry_digests import snapshot_digests

_logger = logging.getLogger(__name__)

MAX_BATCH = 5000  # events per transaction
NOTIFY_DELAY = 0.1  # seconds a live state change may wait for its bus message
# Seconds owed messages may wait beyond NOTIFY_DELAY for a batch to carry them
# (under a steady flow, that spares the push a transaction of its own).
PUSH_GRACE = 0.02
# Seconds between two checks of Odoo's registry/cache signaling by the mirror
# (a query on every transaction otherwise; Odoo's own crons check once a job).
SIGNALING_EVERY = 1.0
_STOP = object()


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
        """Owe the bus messages of one ``_ha_apply_state_events`` result."""
        for change in result["changes"]:
            self.changes[change["id"]] = change
            self.archived.discard(change["id"])
        for entity_id in result["archived"]:
            self.changes.pop(entity_id, None)
            self.archived.add(entity_id)
        self.history.update(result["history"])
        self.history_count += result.get("history_count") or 0

    def send(self, instance):
        """Send what is owed, in ``instance``'s transaction."""
        if not self:
            return
        notifier = instance.env["ha.realtime.update"]
        changes = list(self.changes.values())
        changes += [{"id": i, "removed": True} for i in sorted(self.archived)]
        if changes:
            notifier.notify_entity_state_change(instance.id, changes)
        if self.history:
            notifier.notify_history_update(
                instance.id, sorted(self.history), self.history_count
            )


class InstanceDispatcher(threading.Thread):
    """Applies one led instance's HA events, in order, in short transactions."""

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
        self._wakeups = BusWakeups()

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
        return self._wakeups.fileno()

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
                self._wakeups.close()
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
                self._apply(
                    "registries",
                    lambda instance, lists=value: instance._ha_apply_registries(lists),
                )
            elif kind == "status":
                self._apply(
                    "status",
                    lambda instance, status=value: instance._ha_set_ws_status(*status),
                )
        if group:
            self._apply_events(group)

    def _push_due(self):
        return time.monotonic() - self._last_push >= NOTIFY_DELAY

    def _apply_events(self, events):
        data = [event.get("data") or {} for event in events if isinstance(event, dict)]
        push_now = self._push_due()

        def apply(instance):
            sync = instance.env["ha.sync"]
            result = sync._ha_apply_state_events(instance, data, notify=False)
            if not push_now:
                return result, None
            owed = self._pending.duplicate()
            owed.add(result)
            owed.send(instance)
            return result, owed

        outcome = self._apply("state events", apply, live=True)
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
        self._apply("notify", lambda instance: owed.send(instance) or True, live=True)

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
        digests = snapshot_digests(snapshot)
        trimmed = dict(snapshot)
        for key, digest in digests.items():
            if digest is not None and self._applied_digests.get(key) == digest:
                trimmed[key] = None  # None: _ha_sync_registries leaves it alone
        done = self._apply(
            "full sync", lambda instance: instance._ha_apply_full_sync(trimmed)
        )
        self._applied_digests = digests if done else {}

    def _apply(self, label, work, live=False):
        """Run ``work(instance)`` in one transaction; return its result, or
        None on failure.

        ``instance`` is the ``ha.instance`` record, as superuser. ``live``
        work (state events and their pushes) skips the existence check and
        checks Odoo's cache signaling at most every ``SIGNALING_EVERY``.

        A transaction that lost a race with another writer of the same rows
        (a manager saving the instance during a full sync, say) is run again,
        as Odoo does for HTTP requests: dropped, it would leave the mirror
        behind until the next reconnect.
        """
        command_holds.wait_released()
        for attempt in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
            started = time.monotonic()
            try:
                result = self._transaction(work, live, started)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as err:
                if attempt == MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    return self._failed(label, live)
                _logger.info(
                    "HA instance %s: %s ran into a concurrent update (%s), again",
                    self.instance_id,
                    label,
                    err.pgcode,
                )
                time.sleep(random.uniform(0.0, 0.05 * 2**attempt))
                continue
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as err:
                if not database_away(err):
                    return self._failed(label, live)
                # PostgreSQL away (restarting, say): the supervisor reconnects
                # and the full sync after that repairs this batch.
                _logger.warning(
                    "HA instance %s: %s dropped, database unreachable: %s",
                    self.instance_id,
                    label,
                    str(err).strip().partition("\n")[0],
                )
                return None
            except Exception:
                return self._failed(label, live)
            _logger.debug(
                "HA instance %s: %s in %.1f ms",
                self.instance_id,
                label,
                (time.monotonic() - started) * 1000,
            )
            return result
        return None

    def _transaction(self, work, live, started):
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
                return self._run(cr, work, live)

    def _failed(self, label, live):
        if live and self._instance_gone():
            _logger.info("HA instance %s: deleted, %s dropped", self.instance_id, label)
            return None
        # Never let one bad batch stop the mirror; the next (re)connect
        # runs a full sync that repairs whatever this one missed.
        _logger.exception("HA instance %s: %s failed", self.instance_id, label)
        return None

    def _run(self, cr, work, live):
        self._wakeups.install(cr)
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
        return work(instance)
