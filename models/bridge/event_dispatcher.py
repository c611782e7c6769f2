"""HA events → short, coalesced ORM transactions: one thread per database.

Every instance this process leads on a database hands its HA events to one
:class:`DatabaseDispatcher` through an :class:`.instance_feed.InstanceFeed`
(``push_*`` are cheap and never block). The dispatcher drains its queue in
batches: the state events of every instance in a batch are applied in **one**
transaction, so the process uses one database connection for its mirror
however many instances it leads; a full sync, a registry refresh or a status change is
applied in a transaction of its own, in arrival order for its instance.
The work of each instance is ``ha.instance._ha_apply_full_sync``,
``_ha_apply_registries``, ``_ha_set_ws_status`` and, for live events,
``ha.sync._ha_apply_state_events``. Bus notifications leave on commit.

Live state changes are committed right away; their bus messages are owed
and sent by the rules of :mod:`.owed_pushes`. Owed messages are sent before
any full sync or status change of their instance, so the web client never
sees them out of order.
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

from ..common.hass_ws_types import STATUS_CONNECTING
from .bus_wakeups import BusWakeups
from .command_holds import command_holds
from .connections import database_away
from .heap_settling import settle
from .instance_feed import STOP, InstanceFeed
from .owed_pushes import PUSH_GRACE, InstanceState
from .registry_digests import snapshot_digests
from .rules_runner import MIRROR_CONTEXT, RulesRunner, take_pending, take_prescreens

_logger = logging.getLogger(__name__)

MAX_BATCH = 5000  # queue items per round
# Seconds between two checks of Odoo's registry/cache signaling by the mirror
# (a query on every transaction otherwise; Odoo's own crons check once a job).
SIGNALING_EVERY = 1.0
STOP_TIMEOUT = 10.0  # seconds a stopping dispatcher is given to finish
_QUIT = object()  # queue item: end the thread


class DatabaseDispatcher(threading.Thread):
    """Applies the HA events of every instance this process leads on a database."""

    def __init__(self, dbname):
        super().__init__(name=f"odoo_ha_addon.dispatch.{dbname}", daemon=True)
        self.dbname = dbname
        self._queue = queue.SimpleQueue()
        self._states = {}  # instance id -> InstanceState
        self._last_signaling = float("-inf")
        self._company_id = None  # the superuser's, read once
        self._database_away = False  # the last _apply found PostgreSQL gone
        self._wakeups = BusWakeups()
        self._discarded = set()  # instance ids whose queued items are dropped
        self._rules = RulesRunner(dbname)  # runs the rules after the commits

    # -- producers (any thread)

    def feed(self, instance_id):
        """The :class:`InstanceFeed` of a newly led instance."""
        return InstanceFeed(self, instance_id)

    def put(self, instance_id, kind, value):
        self._queue.put((instance_id, kind, value))

    def bus_fileno(self):
        """The descriptor of the bus wake-up connection, if open (for forks)."""
        return self._wakeups.fileno()

    def discard(self, instance_ids):
        """Leave what is queued for ``instance_ids`` unapplied, up to their
        stop item (see :meth:`InstanceFeed.stop`)."""
        self._discarded.update(instance_ids)

    def _without_discarded(self, batch):
        kept = []
        for item in batch:
            if item is _QUIT or item[0] not in self._discarded or item[1] == "status":
                # A status is the connection's last word (say, "disconnected"
                # after a deactivation); a stale one never overwrites the next
                # leader's (see ha.instance._ha_set_ws_status).
                kept.append(item)
            elif item[1] == STOP:
                # What comes after is a new leader's (this process again).
                self._discarded.discard(item[0])
                kept.append(item)
        return kept

    def stop(self, timeout=STOP_TIMEOUT):
        self._queue.put(_QUIT)
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    # -- consumer

    def _state(self, instance_id):
        state = self._states.get(instance_id)
        if state is None:
            state = self._states[instance_id] = InstanceState()
        return state

    def _next_due(self):
        dues = [s.last_push + s.delay for s in self._states.values() if s.pending]
        if not dues:
            return None
        return max(0.0, min(dues) + PUSH_GRACE - time.monotonic())

    def run(self):
        threading.current_thread().dbname = self.dbname
        while True:
            try:
                batch = [self._queue.get(timeout=self._next_due())]
            except queue.Empty:
                self._flush_due()
                continue
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if self._discarded:
                batch = self._without_discarded(batch)
            quit_ = any(item is _QUIT for item in batch)
            try:
                self._process([item for item in batch if item is not _QUIT])
            except Exception:
                # A dead dispatcher would freeze the mirror without a word;
                # the next (re)connect's full sync repairs this batch.
                _logger.exception("HA mirror of %s: batch dropped", self.dbname)
                for state in self._states.values():
                    state.in_step = False
            if quit_:
                for instance_id in list(self._states):
                    self._flush(instance_id)
                self._rules.stop()
                self._wakeups.close()
                return
            self._flush_due()

    def _process(self, batch):
        """Apply a batch: every instance's leading events in one transaction,
        then the rest of each instance's items in arrival order."""
        by_instance = {}
        for instance_id, kind, value in batch:
            by_instance.setdefault(instance_id, []).append((kind, value))
        leading, rest = {}, {}
        for instance_id, items in by_instance.items():
            count = next(
                (i for i, (kind, _v) in enumerate(items) if kind != "event"),
                len(items),
            )
            if count:
                leading[instance_id] = [value for _k, value in items[:count]]
            if count < len(items):
                rest[instance_id] = items[count:]
        if leading:
            self._apply_events(leading)
        for instance_id, items in rest.items():
            self._process_instance(instance_id, items)

    def _process_instance(self, instance_id, items):
        group = []
        for kind, value in items:
            if kind == "event":
                group.append(value)
                continue
            if group:
                self._apply_events({instance_id: group})
                group = []
            self._flush(instance_id)
            if kind == "full_sync":
                self._full_sync(instance_id, *value)
            elif kind == "history":
                self._apply(
                    "history catch-up",
                    self._on_instance(
                        instance_id,
                        lambda instance, caught=value: instance._ha_close_history_gap(
                            *caught
                        ),
                    ),
                    instance_id=instance_id,
                )
            elif kind == "registries":
                # The lists moved on: compare no more.
                self._state(instance_id).applied_digests = {}
                self._apply(
                    "registries",
                    self._on_instance(
                        instance_id,
                        lambda instance, lists=value: instance._ha_apply_registries(
                            lists
                        ),
                    ),
                    instance_id=instance_id,
                )
            elif kind == "status":
                self._status(instance_id, value)
            elif kind == STOP:
                self._states.pop(instance_id, None)
        if group:
            self._apply_events({instance_id: group})

    @staticmethod
    def _on_instance(instance_id, work):
        """``work(instance)`` on an existing instance (None if deleted)."""

        def run(env):
            instance = env["ha.instance"].browse(instance_id)
            return work(instance) if instance.exists() else None

        return run

    def _apply_events(self, events_by_instance):
        """Live events of one or more instances, in one transaction."""
        now = time.monotonic()
        due = {
            instance_id
            for instance_id in events_by_instance
            if self._state(instance_id).push_due(now)
        }

        def apply(env):
            sync = env["ha.sync"]
            outcomes = {}
            for instance_id, events in events_by_instance.items():
                if instance_id in self._discarded:
                    continue  # handed over meanwhile (a retry): leave it be
                instance = env["ha.instance"].browse(instance_id)
                data = [e.get("data") or {} for e in events if isinstance(e, dict)]
                result = sync._ha_apply_state_events(
                    instance,
                    data,
                    notify=False,
                    in_step=self._state(instance_id).in_step,
                )
                owed = None
                if instance_id in due:
                    owed = self._states[instance_id].pending.duplicate()
                    owed.add(result)
                    owed.send(instance)
                outcomes[instance_id] = (result, owed)
            return outcomes

        single = (
            next(iter(events_by_instance)) if len(events_by_instance) == 1 else None
        )
        outcomes = self._apply(
            "state events", apply, live=True, instance_id=single, quiet=single is None
        )
        if outcomes is None:
            if single is None and not self._database_away:
                # One instance's failure (deleted, say) must not hold back the
                # others: each one alone, so only the culprit is dropped. Not
                # when PostgreSQL is gone: each would fail (and say so) again.
                for instance_id, events in events_by_instance.items():
                    self._apply_events({instance_id: events})
                return
            for instance_id in events_by_instance:
                self._state(instance_id).in_step = False  # these events are lost
            return  # rolled back: nothing new is owed, nothing owed was sent
        pushed_at = time.monotonic()
        for instance_id, (result, pushed) in outcomes.items():
            state = self._state(instance_id)
            if pushed is None:
                state.pending.add(result)
            elif pushed:
                state.pushed(pushed, pushed_at)

    def _flush(self, instance_id):
        """Send an instance's owed bus messages now, in their own transaction."""
        state = self._states.get(instance_id)
        if state is not None and state.pending:
            self._send_owed({instance_id: state})

    def _flush_due(self):
        """Send every instance's due bus messages, in one transaction."""
        now = time.monotonic()
        due = {
            instance_id: state
            for instance_id, state in self._states.items()
            if state.pending and state.push_due(now)
        }
        if due:
            self._send_owed(due)

    def _send_owed(self, states):
        owed = {instance_id: state.pending for instance_id, state in states.items()}
        pushed_at = time.monotonic()
        for instance_id, state in states.items():
            state.pushed(owed[instance_id], pushed_at)

        def send(env):
            for instance_id, push in owed.items():
                push.send(env["ha.instance"].browse(instance_id))
            return True

        self._apply("notify", send, live=True)

    def _full_sync(self, instance_id, snapshot, catch_up=None):
        state = self._state(instance_id)
        digests = snapshot_digests(snapshot)
        trimmed = dict(snapshot)
        for key, digest in digests.items():
            if digest is not None and state.applied_digests.get(key) == digest:
                trimmed[key] = None  # None: _ha_sync_registries leaves it alone

        done = self._apply(
            "full sync",
            self._on_instance(
                instance_id, lambda instance: instance._ha_apply_full_sync(trimmed)
            ),
            instance_id=instance_id,
        )
        state.applied_digests = digests if done else {}
        state.in_step = bool(done)
        gap, state.history_gap = state.history_gap, None
        if done and gap and catch_up is not None:
            catch_up(*gap)

    def _status(self, instance_id, status):
        """A connection status; "connecting" also opens the history gap.

        The client says "connecting" before it opens a connection, so this
        comes before any event of that connection (see
        ``ha.instance._ha_open_history_gap``); the catch-up is asked once the
        connection's full sync is applied.
        """
        connecting = status[0] == STATUS_CONNECTING
        if connecting:
            self._state(instance_id).in_step = False

        def work(instance):
            instance._ha_set_ws_status(*status)
            return instance._ha_open_history_gap() if connecting else True

        gap = self._apply(
            "status", self._on_instance(instance_id, work), instance_id=instance_id
        )
        if connecting:
            self._state(instance_id).history_gap = (
                gap if isinstance(gap, tuple) else None
            )

    def _apply(self, label, work, live=False, instance_id=None, quiet=False):
        """Run ``work(env)`` in one transaction (superuser); return its
        result, or None on failure.

        ``live`` work (state events and their pushes) checks Odoo's cache
        signaling at most every ``SIGNALING_EVERY``. ``quiet``: a failure is
        the caller's to handle (logged at debug level only).

        A transaction that lost a race with another writer of the same rows
        (a manager saving the instance during a full sync, say) is run again,
        as Odoo does for HTTP requests: dropped, it would leave the mirror
        behind until the next reconnect.
        """
        command_holds.wait_released()
        self._database_away = False
        for attempt in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
            started = time.monotonic()
            try:
                result = self._transaction(work, live, started)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as err:
                if attempt == MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    return self._failed(label, live, instance_id, quiet)
                _logger.info(
                    "HA mirror of %s: %s ran into a concurrent update (%s), again",
                    self.dbname,
                    label,
                    err.pgcode,
                )
                time.sleep(random.uniform(0.0, 0.05 * 2**attempt))
                continue
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as err:
                if not database_away(err):
                    return self._failed(label, live, instance_id, quiet)
                # PostgreSQL away (restarting, say): the supervisor reconnects
                # and the full sync after that repairs this batch.
                self._database_away = True
                _logger.warning(
                    "HA mirror of %s: %s dropped, database unreachable: %s",
                    self.dbname,
                    label,
                    str(err).strip().partition("\n")[0],
                )
                return None
            except Exception:
                return self._failed(label, live, instance_id, quiet)
            _logger.debug(
                "HA mirror of %s: %s in %.1f ms",
                self.dbname,
                label,
                (time.monotonic() - started) * 1000,
            )
            return result
        return None

    def _transaction(self, work, live, started):
        registry = odoo.modules.registry.Registry(self.dbname)
        settle(registry)  # outside the transaction: it holds no lock meanwhile
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
                result = work(self._env(cr))
                rule_changes = take_pending(cr)
                prescreens = take_prescreens(cr)
            self._rules.add(rule_changes, prescreens)  # committed: owed to the rules
            return result

    def _env(self, cr):
        self._wakeups.install(cr)
        context = dict(MIRROR_CONTEXT)
        if self._company_id:
            # Creating bus rows reads env.company (for defaults): given here,
            # a push no longer fetches the superuser's whole row each time.
            context["allowed_company_ids"] = [self._company_id]
        env = api.Environment(cr, SUPERUSER_ID, context)
        if not self._company_id:
            self._company_id = env.user.company_id.id
        return env

    def _failed(self, label, live, instance_id, quiet):
        if quiet:
            _logger.debug("HA mirror of %s: %s failed", self.dbname, label)
            return None
        if live and instance_id is not None and self._instance_gone(instance_id):
            _logger.info("HA instance %s: deleted, %s dropped", instance_id, label)
            return None
        # Never let one bad batch stop the mirror; the next (re)connect
        # runs a full sync that repairs whatever this one missed.
        _logger.exception(
            "HA mirror of %s: %s failed (instance %s)", self.dbname, label, instance_id
        )
        return None

    def _instance_gone(self, instance_id):
        try:
            registry = odoo.modules.registry.Registry(self.dbname)
            with registry.cursor() as cr:
                cr.execute("SELECT 1 FROM ha_instance WHERE id = %s", [instance_id])
                return not cr.fetchone()
        except Exception:  # noqa: BLE001 - the database itself may be down
            return False
