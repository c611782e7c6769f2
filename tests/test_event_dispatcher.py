import gc
import json
import select
import threading
import time
import weakref
from types import SimpleNamespace
from unittest.mock import patch

import psycopg2
import psycopg2.errors
import psycopg2.extensions

import odoo
from odoo.tests import BaseCase, TransactionCase
from odoo.tools import OrderedSet

from odoo.addons.odoo_ha_addon.models.bridge import (
    bus_wakeups,
    event_dispatcher,
    heap_settling,
    instance_feed,
    owed_pushes,
)
from odoo.addons.odoo_ha_addon.models.bridge.command_holds import CommandHolds
from odoo.addons.odoo_ha_addon.models.bridge.event_dispatcher import (
    DatabaseDispatcher,
)
from odoo.addons.odoo_ha_addon.models.bridge.registry_digests import digest


class _SnapshotTaker:
    """``ha.instance`` stand-in: keeps what the dispatcher asks it to apply."""

    def __init__(self, applied, gap=None):
        self.applied = applied
        self.gap = gap

    def exists(self):
        return self

    def _ha_apply_full_sync(self, snapshot):
        self.applied.append(snapshot)

    def _ha_apply_registries(self, lists):
        self.applied.append(lists)

    def _ha_open_history_gap(self):
        return self.gap


def _env_of(instance):
    """An env stand-in whose ``ha.instance`` browses to ``instance``."""
    return {"ha.instance": SimpleNamespace(browse=lambda _id: instance)}


class TestFullSyncDigests(BaseCase):
    def _snapshot(self, areas_name="Kitchen"):
        return {
            "config": {"state": "RUNNING"},
            "states": [{"entity_id": "light.a", "state": "on"}],
            "floors": [],
            "areas": [{"area_id": "kitchen", "name": areas_name}],
            "labels": [],
            "devices": [{"id": "d1"}],
            "entities": [{"entity_id": "light.a"}],
        }

    def test_unchanged_registries_are_not_applied_twice(self):
        dispatcher = DatabaseDispatcher("db")
        applied = []
        with patch.object(
            DatabaseDispatcher,
            "_apply",
            side_effect=lambda label, work, **kw: work(_env_of(_SnapshotTaker(applied)))
            or True,
        ):
            dispatcher._full_sync(1, self._snapshot())
            dispatcher._full_sync(1, self._snapshot())
            dispatcher._full_sync(1, self._snapshot(areas_name="Cuisine"))
        first, second, third = applied
        self.assertEqual(first["areas"], self._snapshot()["areas"])
        # Same lists: left to None (not synced); states always go through.
        self.assertIsNone(second["areas"])
        self.assertIsNone(second["entities"])
        self.assertEqual(second["states"], self._snapshot()["states"])
        self.assertEqual(third["areas"][0]["name"], "Cuisine")
        self.assertIsNone(third["devices"])

    def test_failed_or_interleaved_syncs_compare_nothing(self):
        dispatcher = DatabaseDispatcher("db")
        applied = []
        outcomes = iter([None, True, True])  # the first apply fails
        with patch.object(
            DatabaseDispatcher,
            "_apply",
            side_effect=lambda label, work, **kw: work(_env_of(_SnapshotTaker(applied)))
            or next(outcomes),
        ):
            dispatcher._full_sync(1, self._snapshot())
            dispatcher._full_sync(1, self._snapshot())
            self.assertEqual(applied[1]["areas"], self._snapshot()["areas"])
            dispatcher._process([(1, "registries", {"areas": []})])
        self.assertEqual(dispatcher._states[1].applied_digests, {})


class TestHistoryCatchUp(BaseCase):
    """The gap is read when a connection starts, caught up after its sync."""

    def setUp(self):
        super().setUp()
        self.gap = ("2026-01-01 00:00:00", ["sensor.a", "sensor.b"])
        self.applied, self.statuses, self.asked = [], [], []
        instance = _SnapshotTaker(self.applied, self.gap)
        instance._ha_set_ws_status = lambda *status: self.statuses.append(status[0])
        patcher = patch.object(
            DatabaseDispatcher,
            "_apply",
            side_effect=lambda label, work, **kw: work(_env_of(instance)) or True,
        )
        patcher.start()
        self.addCleanup(patcher.stop)
        self.dispatcher = DatabaseDispatcher("db")

    def _connect(self, status="connecting"):
        self.dispatcher._status(1, (status, "", None, None))
        self.dispatcher._full_sync(
            1, {"states": []}, lambda *gap: self.asked.append(gap)
        )

    def test_the_gap_read_when_connecting_is_caught_up_after_the_sync(self):
        self._connect()
        self.assertEqual(self.statuses, ["connecting"])
        self.assertEqual(len(self.applied), 1, "the snapshot is applied as well")
        self.assertEqual(self.asked, [self.gap])
        # Asked once: a full sync without a new connection asks nothing.
        self.dispatcher._full_sync(1, {"states": []}, self.asked.append)
        self.assertEqual(self.asked, [self.gap])

    def test_other_statuses_read_no_gap(self):
        self._connect(status="connected")
        self.assertEqual(self.asked, [])

    def test_a_full_sync_started_from_odoo_asks_nothing(self):
        self.dispatcher._status(1, ("connecting", "", None, None))
        self.dispatcher._full_sync(1, {"states": []}, None)
        self.assertEqual(len(self.applied), 1)


class TestDiscard(BaseCase):
    def test_a_stopped_leader_s_queue_is_dropped_up_to_its_stop(self):
        # Its next leader's full sync and catch-up bring the same changes;
        # after the stop item, the items are a new leader's (this process).
        dispatcher = DatabaseDispatcher("db")
        processed = []
        dispatcher.put(1, "event", {"n": 1})
        dispatcher.put(2, "event", {})
        dispatcher.put(1, "full_sync", ({}, None))
        dispatcher.put(1, "status", ("disconnected", "closed", None, None))
        dispatcher.feed(1).stop()  # returns at once
        dispatcher.put(1, "event", {"n": 2})
        dispatcher.stop()  # queues the end of the thread
        with patch.object(DatabaseDispatcher, "_process", side_effect=processed.extend):
            dispatcher.run()  # here: drains the queue and returns
        self.assertEqual(
            processed,
            [
                (2, "event", {}),
                (1, "status", ("disconnected", "closed", None, None)),
                (1, instance_feed.STOP, None),
                (1, "event", {"n": 2}),
            ],
        )
        self.assertEqual(dispatcher._discarded, set())


class TestRegistryDigest(BaseCase):
    def test_stamps_identify_a_registry_list(self):
        devices = [{"id": f"d{i}", "modified_at": 1.5 + i} for i in range(3)]
        same = [dict(entry) for entry in devices]
        self.assertEqual(digest(devices), digest(same))
        same[1]["modified_at"] = 9.0  # HA stamps every change of an entry
        self.assertNotEqual(digest(devices), digest(same))
        self.assertNotEqual(digest(devices), digest(devices[:2]))
        # Without stamps: the JSON text decides.
        plain = [{"label_id": "odoo", "name": "Odoo"}]
        self.assertEqual(digest(plain), digest([dict(plain[0])]))
        self.assertNotEqual(digest(plain), digest([{"label_id": "odoo", "name": "x"}]))


class _Registry:
    """A registry stand-in, garbage with a cycle once dropped."""

    def __init__(self):
        self.db_name = "heap-settling-test"
        self.itself = self


class TestHeapSettling(BaseCase):
    def setUp(self):
        super().setUp()
        self.full = []

        def count(phase, info):
            if phase == "stop" and info["generation"] == 2:
                self.full.append(info)

        gc.callbacks.append(count)
        self.addCleanup(gc.callbacks.remove, count)
        self.addCleanup(gc.unfreeze)
        self.addCleanup(heap_settling._settled.pop, "heap-settling-test", None)

    def test_a_registry_is_settled_once(self):
        registry = _Registry()
        heap_settling.settle(registry)
        self.assertEqual(len(self.full), 1)
        self.assertGreater(gc.get_freeze_count(), 0)
        heap_settling.settle(registry)
        self.assertEqual(len(self.full), 1)

    def test_a_replaced_registry_is_collected(self):
        first = _Registry()
        heap_settling.settle(first)
        replaced = weakref.ref(first)
        del first  # frozen, kept by its own cycle
        self.assertTrue(replaced())
        heap_settling.settle(_Registry())
        self.assertEqual(len(self.full), 2)
        self.assertIsNone(replaced())


class TestCommandHolds(BaseCase):
    def _waited(self, holds, timeout):
        started = time.monotonic()
        holds.wait_released(timeout)
        return time.monotonic() - started

    def _assert_waited(self, waited, at_least):
        self.assertGreaterEqual(waited, at_least)
        self.assertLess(waited, 1.0)

    def test_no_hold_no_wait(self):
        # Far below the timeout; loose enough for a loaded CI machine.
        self.assertLess(self._waited(CommandHolds(), 5.0), 0.5)

    def test_waits_until_released(self):
        holds = CommandHolds()
        token = holds.hold(5.0)
        threading.Timer(0.1, holds.release, (token,)).start()
        self._assert_waited(self._waited(holds, 5.0), 0.09)

    def test_a_forgotten_hold_expires(self):
        holds = CommandHolds()
        holds.hold(0.1)
        self.assertLess(self._waited(holds, 5.0), 1.0)
        self.assertLess(self._waited(holds, 5.0), 0.5, "expired holds are dropped")

    def test_a_release_may_linger(self):
        holds = CommandHolds()
        token = holds.hold(30.0)
        holds.release(token, linger=0.1)
        self._assert_waited(self._waited(holds, 5.0), 0.09)

    def test_the_wait_is_bounded(self):
        holds = CommandHolds()
        holds.hold(30.0)
        self._assert_waited(self._waited(holds, 0.1), 0.09)


class _Notifier:
    def __init__(self):
        self.sent = []

    def notify_entity_state_change(self, instance_id, changes):
        self.sent.append(("states", sorted(c["id"] for c in changes)))

    def notify_history_update(self, instance_id, entity_ids, count):
        self.sent.append(("history", list(entity_ids), count))


class _Sync:
    """``ha.sync`` stand-in: scripted results of ``_ha_apply_state_events``."""

    def __init__(self, *results):
        self.results = list(results)
        self.notifier = _Notifier()
        self.env = {
            "ha.realtime.update": self.notifier,
            "ha.sync": self,
            "ha.instance": SimpleNamespace(browse=self._browse),
        }
        self.applied_for = []  # instance ids, in order

    def _browse(self, instance_id):
        return SimpleNamespace(id=instance_id, env=self.env)

    def _ha_apply_state_events(self, instance, data, notify=True, in_step=False):
        assert not notify, "the dispatcher sends the bus messages itself"
        self.applied_for.append(instance.id)
        return self.results.pop(0)


def _result(*ids, history=()):
    return {
        "changes": [{"id": i, "state": "on"} for i in ids],
        "archived": [],
        "history": list(history),
        "history_count": len(history),
    }


class TestBusPushes(BaseCase):
    def setUp(self):
        super().setUp()
        self.dispatcher = DatabaseDispatcher("db")
        self.transactions = []
        self.fail = False

        def apply(label, work, **kw):
            self.transactions.append(label)
            return None if self.fail else work(self.sync.env)

        patcher = patch.object(self.dispatcher, "_apply", side_effect=apply)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _events(self, *instance_ids):
        self.dispatcher._apply_events(
            {instance_id: [{"data": {}}] for instance_id in instance_ids or (7,)}
        )

    @property
    def _state(self):
        return self.dispatcher._states[7]

    def test_an_isolated_change_is_pushed_in_its_own_transaction(self):
        self.sync = _Sync(_result(1, history=[1]))
        self._events()
        self.assertEqual(self.transactions, ["state events"])
        self.assertEqual(
            self.sync.notifier.sent, [("states", [1]), ("history", [1], 1)]
        )
        self.assertFalse(self._state.pending)

    def test_changes_within_the_delay_ride_with_the_next_due_batch(self):
        self.sync = _Sync(_result(1), _result(2), _result(3))
        self._events()  # pushed at once
        self._events()  # within NOTIFY_DELAY: owed
        self.assertEqual(self.sync.notifier.sent, [("states", [1])])
        self.assertTrue(self._state.pending)
        self._state.last_push -= 1  # the delay is over
        self._events()
        self.assertEqual(self.sync.notifier.sent[1:], [("states", [2, 3])])
        self.assertEqual(len(self.transactions), 3, "no transaction of its own")

    def test_owed_changes_get_a_transaction_at_the_deadline(self):
        self.sync = _Sync(_result(1), _result(2))
        self._events()
        self._events()
        self._state.last_push -= 1  # the delay is over
        self.dispatcher._flush_due()
        self.assertEqual(self.transactions[-1], "notify")
        self.assertEqual(self.sync.notifier.sent, [("states", [1]), ("states", [2])])
        self.assertFalse(self._state.pending)

    def test_a_rolled_back_batch_leaves_the_owed_messages_owed(self):
        self.sync = _Sync(_result(1), _result(2))
        self._events()
        self._events()
        self._state.last_push -= 1
        self.fail = True
        self._events()
        self.assertEqual(self.sync.notifier.sent, [("states", [1])])
        self.assertEqual(set(self._state.pending.changes), {2})

    def test_a_storm_push_makes_the_next_one_wait_longer(self):
        storm = range(1, owed_pushes.STORM_CHANGES + 1)
        self.sync = _Sync(_result(*storm), _result(1))
        self._events()
        self.assertEqual(self._state.delay, owed_pushes.STORM_DELAY)
        self._state.last_push -= owed_pushes.NOTIFY_DELAY * 2
        self._events()  # past the calm delay, not the storm's: owed
        self.assertEqual(len(self.sync.notifier.sent), 1)
        self.assertEqual(set(self._state.pending.changes), {1})
        self._state.last_push -= owed_pushes.STORM_DELAY
        self.dispatcher._flush_due()
        self.assertEqual(self.sync.notifier.sent[-1], ("states", [1]))
        self.assertEqual(self._state.delay, owed_pushes.NOTIFY_DELAY, "calm")

    def test_instances_share_one_transaction(self):
        # One connection per process for the mirror, however many instances:
        # the events of every instance in a batch commit together.
        self.sync = _Sync(_result(1), _result(2), _result(3))
        self.dispatcher._process(
            [(7, "event", {"data": {}}), (8, "event", {}), (9, "event", {})]
        )
        self.assertEqual(self.transactions, ["state events"])
        self.assertEqual(self.sync.applied_for, [7, 8, 9])
        self.assertEqual(len(self.sync.notifier.sent), 3, "each one pushed")

    def test_a_retry_after_a_handover_leaves_the_handed_instance_alone(self):
        # The batch in progress when a leaving process hands its instances
        # over loses its race with the next leaders; retried, it writes
        # none of theirs.
        self.sync = _Sync(_result(1), _result(2))
        self.dispatcher.discard([8])
        self._events(7, 8)
        self.assertEqual(self.sync.applied_for, [7])

    def test_an_instance_keeps_its_order_around_a_full_sync(self):
        self.sync = _Sync(_result(1), _result(2), _result(3))
        order = []
        self.dispatcher._full_sync = lambda instance_id, snap, catch_up: order.append(
            ("full sync", instance_id)
        )
        self.dispatcher._process(
            [
                (7, "event", {}),
                (8, "event", {}),
                (7, "full_sync", ({}, None)),
                (7, "event", {}),
            ]
        )
        # 7 and 8's leading events together, then 7's full sync, then 7's event.
        self.assertEqual(self.transactions, ["state events", "state events"])
        self.assertEqual(self.sync.applied_for, [7, 8, 7])
        self.assertEqual(order, [("full sync", 7)])


class TestDeletedInstance(TransactionCase):
    def test_events_of_a_deleted_instance_are_dropped_quietly(self):
        # Live events skip the existence query; the failing write is then
        # recognised as a deleted instance (info), not a mirror failure.
        dispatcher = DatabaseDispatcher(self.env.cr.dbname)
        state = {
            "entity_id": "light.gone",
            "state": "on",
            "attributes": {},
            "last_changed": "2026-01-01T00:00:00+00:00",
            "last_updated": "2026-01-01T00:00:00+00:00",
        }
        event = {"data": {"entity_id": "light.gone", "new_state": state}}
        with patch.object(event_dispatcher._logger, "exception") as exception:
            dispatcher._apply_events({987_654: [event]})
        exception.assert_not_called()
        self.assertFalse(dispatcher._states[987_654].pending)
        # Deleted while the batch ran: the failure is recognised as such.
        sync_class = type(self.env["ha.sync"])
        with (
            patch.object(sync_class, "_ha_upsert_states", side_effect=RuntimeError),
            patch.object(event_dispatcher._logger, "info") as info,
            patch.object(event_dispatcher._logger, "exception") as exception,
        ):
            dispatcher._apply_events({987_654: [event]})
        exception.assert_not_called()
        self.assertIn("deleted", info.call_args.args[0])


class TestBusWakeups(TransactionCase):
    """The mirror's bus wake-ups: Odoo's listeners get them, on one connection."""

    def setUp(self):
        super().setUp()
        _dbname, info = odoo.sql_db.connection_info_for("postgres")
        self.listener = psycopg2.connect(**info)
        self.listener.set_isolation_level(
            psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT
        )
        self.addCleanup(self.listener.close)
        with self.listener.cursor() as cr:
            cr.execute("LISTEN imbus")
        self.notifier = bus_wakeups.BusWakeups()
        self.addCleanup(self.notifier.close)

    def _received(self):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if select.select([self.listener], [], [], 0.1)[0]:
                self.listener.poll()
                if self.listener.notifies:
                    return [json.loads(n.payload) for n in self.listener.notifies]
        return []

    def _push(self, partner):
        cr = self.env.cr
        self.notifier.install(cr)
        partner._bus_send("ha_test", {"n": 1})
        # bus.bus registered no NOTIFY of its own: ours is the only callback.
        self.assertEqual(len(cr.postcommit._funcs), 1)
        cr.postcommit.run()
        received = self._received()
        self.listener.notifies.clear()
        return received

    def test_listeners_are_woken_on_one_kept_connection(self):
        partner = self.env.user.partner_id
        channel = [self.env.cr.dbname, "res.partner", partner.id]
        self.assertEqual(self._push(partner), [[channel]])
        with self.notifier._conn.cursor() as cr:
            cr.execute("SELECT pg_backend_pid()")
            first = cr.fetchone()[0]
        self.assertEqual(self._push(partner), [[channel]])
        with self.notifier._conn.cursor() as cr:
            cr.execute("SELECT pg_backend_pid()")
            self.assertEqual(cr.fetchone()[0], first, "a new connection per push")
        # A lost connection (PostgreSQL restarted, say) is replaced on the spot.
        with self.listener.cursor() as cr:
            cr.execute("SELECT pg_terminate_backend(%s)", (first,))
        self.assertEqual(self._push(partner), [[channel]])

    def test_odoo_bus_still_leaves_the_wake_up_to_the_claimer(self):
        # The one touch point with Odoo's bus internals: if Odoo renames the
        # key or stops honouring it, bus.bus would add a NOTIFY of its own
        # (a second connection per push) or our set would stay empty.
        cr = self.env.cr
        channels = bus_wakeups.claim_bus_channels(cr)
        partner = self.env.user.partner_id
        partner._bus_send("ha_test", {"n": 2})
        self.assertEqual(list(channels), [(cr.dbname, "res.partner", partner.id)])
        self.assertEqual(len(cr.postcommit._funcs), 0)
        cr.postcommit.clear()

    def test_a_transaction_without_bus_messages_sends_nothing(self):
        self.notifier.install(self.env.cr)
        self.env.cr.postcommit.run()
        self.assertIsNone(self.notifier._conn)


class TestBusWakeupsFailing(BaseCase):
    def test_a_failed_wake_up_is_said_and_never_raised(self):
        # It runs after the commit: the changes are saved whatever happens.
        notifier = bus_wakeups.BusWakeups()
        down = psycopg2.OperationalError("connection refused")
        with (
            patch.object(notifier, "_connect", side_effect=down) as connect,
            patch.object(
                bus_wakeups.odoo.sql_db, "db_connect", side_effect=down
            ) as odoo_way,
            patch.object(bus_wakeups._logger, "warning") as warned,
        ):
            notifier.notify(OrderedSet([("db", "res.partner", 3)]))
        self.assertEqual(connect.call_count, 2)
        odoo_way.assert_called_once_with("postgres")
        self.assertEqual(warned.call_count, 2)


class TestDatabaseDown(BaseCase):
    def test_no_cursor_drops_the_batch_and_the_thread_lives_on(self):
        # PostgreSQL restarting: not even a cursor. Logged; the dispatcher goes on.
        dispatcher = DatabaseDispatcher("db")
        down = psycopg2.OperationalError("the database system is shutting down")
        registry = patch.object(
            event_dispatcher.odoo.modules.registry, "Registry", side_effect=down
        )
        with registry, patch.object(event_dispatcher._logger, "warning") as logged:
            self.assertIsNone(dispatcher._apply("status", lambda instance: "unreached"))
            dispatcher._apply_events({7: [{"data": {}}]})
        self.assertEqual(logged.call_count, 2)
        self.assertIn("shutting down", logged.call_args.args[-1])
        self.assertFalse(dispatcher._states[7].pending)

    def test_an_outage_is_not_retried_instance_by_instance(self):
        # A batch of many instances' events fails as a whole when PostgreSQL
        # is gone: one warning, not one more per instance.
        dispatcher = DatabaseDispatcher("db")
        down = psycopg2.OperationalError("the database system is shutting down")
        registry = patch.object(
            event_dispatcher.odoo.modules.registry, "Registry", side_effect=down
        )
        with registry, patch.object(event_dispatcher._logger, "warning") as logged:
            dispatcher._apply_events({i: [{"data": {}}] for i in range(1, 51)})
        self.assertEqual(logged.call_count, 1)
        self.assertFalse(any(s.pending for s in dispatcher._states.values()))

    def test_a_query_of_its_own_failing_is_no_database_outage(self):
        dispatcher = DatabaseDispatcher("db")
        timeout = psycopg2.errors.QueryCanceled("canceling statement due to timeout")
        with (
            patch.object(dispatcher, "_transaction", side_effect=timeout),
            patch.object(event_dispatcher._logger, "warning") as warned,
            patch.object(event_dispatcher._logger, "exception") as logged,
        ):
            self.assertIsNone(
                dispatcher._apply("full sync", lambda instance: "unreached")
            )
        warned.assert_not_called()
        logged.assert_called_once()

    def test_an_unexpected_failure_does_not_end_the_thread(self):
        dispatcher = DatabaseDispatcher("db")
        processed = []

        def process(batch):
            processed.append(batch)
            if len(processed) == 1:
                raise RuntimeError("bug")

        with (
            patch.object(dispatcher, "_process", side_effect=process),
            patch.object(event_dispatcher._logger, "exception") as logged,
        ):
            dispatcher.start()
            dispatcher.feed(7).push_status_error("one")
            deadline = time.monotonic() + 5
            while not processed and time.monotonic() < deadline:
                time.sleep(0.01)
            dispatcher.feed(7).push_status_error("two")
            dispatcher.stop()
        self.assertFalse(dispatcher.is_alive())
        self.assertEqual(len(processed), 2)
        logged.assert_called_once()


class TestConcurrentUpdates(BaseCase):
    def test_a_lost_race_is_run_again(self):
        # e.g. a manager saves the instance while its full sync runs
        dispatcher = DatabaseDispatcher("db")
        race = psycopg2.errors.SerializationFailure("concurrent update")
        with (
            patch.object(
                dispatcher, "_transaction", side_effect=[race, race, "applied"]
            ) as transaction,
            patch.object(event_dispatcher.time, "sleep"),
        ):
            self.assertEqual(
                dispatcher._apply("full sync", lambda instance: "unreached"), "applied"
            )
        self.assertEqual(transaction.call_count, 3)

    def test_a_race_lost_every_time_is_logged_and_dropped(self):
        dispatcher = DatabaseDispatcher("db")
        race = psycopg2.errors.DeadlockDetected("deadlock")
        with (
            patch.object(dispatcher, "_transaction", side_effect=race) as transaction,
            patch.object(event_dispatcher.time, "sleep"),
            patch.object(event_dispatcher._logger, "exception") as logged,
        ):
            self.assertIsNone(
                dispatcher._apply("full sync", lambda instance: "unreached")
            )
        self.assertEqual(transaction.call_count, 5)
        logged.assert_called_once()
