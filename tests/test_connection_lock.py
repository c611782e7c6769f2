"""Leader election with two real PostgreSQL sessions (no Odoo server needed)."""

import asyncio
import json
import os
import select
import time
from types import SimpleNamespace
from unittest.mock import patch

from odoo.service.server import PreforkServer, WorkerCron, WorkerHTTP
from odoo.tests import TransactionCase

from odoo.addons.odoo_ha_addon.models.bridge import process_policy, request_queue
from odoo.addons.odoo_ha_addon.models.bridge.connections import connect_autocommit
from odoo.addons.odoo_ha_addon.models.bridge.database_worker import DatabaseWorker
from odoo.addons.odoo_ha_addon.models.bridge.instance_leader import InstanceLeader
from odoo.addons.odoo_ha_addon.models.bridge.leader_locks import LeaderLocks
from odoo.addons.odoo_ha_addon.models.common import websocket_thread_manager as wtm
from odoo.addons.odoo_ha_addon.models.common.ha_registry_kinds import REGISTRY_KINDS

INSTANCE_ID = 987_654  # any id: advisory locks need no row


class TestAdvisoryLockLeader(TransactionCase):
    def _worker(self):
        """The locks of one process's control connection."""
        locks = LeaderLocks()
        locks.conn = connect_autocommit(self.env.cr.dbname)
        self.addCleanup(self._close, locks)
        return locks

    @staticmethod
    def _close(locks):
        if not locks.conn.closed:
            locks.conn.close()

    @staticmethod
    def _acquire_within(worker, instance_id, seconds):
        # The server ends the closed session asynchronously: a standby retries,
        # as DatabaseWorker does every LOCK_RETRY seconds.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if worker.try_lock(instance_id):
                return True
            time.sleep(0.02)
        return False

    def test_one_holder_then_takeover(self):
        first, second = self._worker(), self._worker()
        self.assertTrue(first.try_lock(INSTANCE_ID))
        self.assertFalse(second.try_lock(INSTANCE_ID))
        # The lock is the session's: closing the connection (as a dying
        # process does) hands it to the standby.
        first.conn.close()
        self.assertTrue(self._acquire_within(second, INSTANCE_ID, 5))
        third = self._worker()
        self.assertFalse(third.try_lock(INSTANCE_ID))

    def test_locks_are_per_instance(self):
        # Ids of their own: another test's closed sessions may still be ending.
        first, second = self._worker(), self._worker()
        self.assertTrue(first.try_lock(INSTANCE_ID + 100))
        self.assertTrue(second.try_lock(INSTANCE_ID + 101))

    def test_status_follows_the_lock(self):
        # A status row saying "connected" is only believed while a session
        # really holds the instance's lock (its writer may have died).
        instance = self.env["ha.instance"].create(
            {"name": "Lock", "api_url": "http://127.0.0.1:9", "api_token": "t"}
        )
        instance.ws_state = "connected"
        instance.invalidate_recordset(["websocket_status"])
        self.assertEqual(instance.websocket_status, "disconnected")
        holder = self._worker()
        self.assertTrue(holder.try_lock(instance.id))
        instance.invalidate_recordset(["websocket_status"])
        self.assertEqual(instance.websocket_status, "connected")
        holder.conn.close()
        deadline = time.monotonic() + 5
        status = "connected"
        while status == "connected" and time.monotonic() < deadline:
            time.sleep(0.02)  # the server ends the closed session asynchronously
            instance.invalidate_recordset(["websocket_status"])
            status = instance.websocket_status
        self.assertEqual(status, "disconnected")

    def test_a_former_leader_does_not_say_disconnected(self):
        # The process that handed an instance over closes its HA connection
        # after the next leader may have said "connected".
        instance = self.env["ha.instance"].create(
            {"name": "Handed", "api_url": "http://127.0.0.1:9", "api_token": "t"}
        )
        instance.write({"ws_state": "connected", "ws_leader": "elsewhere:1"})
        instance._ha_set_ws_status("disconnected", "", None)
        self.assertEqual(instance.ws_state, "connected")
        instance._ha_set_ws_status("connected", "", "2025.4.4")
        self.assertEqual(instance.ws_leader, wtm.leader_identity())
        instance._ha_set_ws_status("disconnected", "", None)
        self.assertEqual(instance.ws_state, "disconnected", "its own word holds")


class _Worker(DatabaseWorker):
    """A database worker whose instances are given and whose leaders are
    stand-ins (no HA): only its locks and its balancing are real."""

    def __init__(self, dbname, wanted):
        super().__init__(dbname, loop_thread=None)
        self.wanted = wanted

    def _configured_instances(self):
        return dict(self.wanted)

    def _addon_installed(self):
        return True

    def _start_leader(self, instance_id, ws_url, token):
        self.leaders[instance_id] = SimpleNamespace(
            config_key=(ws_url, token),
            stop=lambda: None,
            request_stop=lambda: None,
            wait_closed=lambda: None,
        )


class TestBalancedLeadership(TransactionCase):
    """Leaders spread over the live processes, and hand over when one joins."""

    def _worker(self, wanted):
        worker = _Worker(self.env.cr.dbname, wanted)
        worker.connect()
        self.addCleanup(self._close, worker)
        return worker

    @staticmethod
    def _close(worker):
        if worker.control is not None and not worker.control.closed:
            worker.control.close()
        os.close(worker._wake_r)
        os.close(worker._wake_w)

    def _wait_live(self, worker, count):
        # A closed session ends asynchronously on the server (see above).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if worker.locks.live_processes() == count:
                return
            time.sleep(0.02)
        self.fail(f"expected {count} live processes")

    def test_share_handover_and_takeover(self):
        ids = range(INSTANCE_ID + 200, INSTANCE_ID + 210)
        wanted = {i: ("ws://127.0.0.1:9/api/websocket", "t") for i in ids}
        first = self._worker(wanted)
        self._wait_live(first, 1)
        first.reconcile()
        self.assertEqual(len(first.locks.held), 10, "alone, it leads everything")
        second = self._worker(wanted)
        self._wait_live(first, 2)
        second.reconcile()
        self.assertEqual(second.locks.held, set(), "nothing free yet")
        first.reconcile()  # share = 5: keeps share + 1, hands the rest over
        self.assertEqual(len(first.locks.held), 6)
        second.reconcile()
        self.assertEqual(len(second.locks.held), 4)
        self.assertFalse(first.locks.held & second.locks.held)
        # No flapping: further rounds change nothing.
        for worker in (first, second, first, second):
            worker.reconcile()
        self.assertEqual((len(first.locks.held), len(second.locks.held)), (6, 4))
        # The first process dies: the second one leads everything again.
        first.control.close()
        self._wait_live(second, 1)
        second.reconcile()
        self.assertEqual(second.locks.held, set(ids))
        self.assertEqual(set(second.leaders), set(ids))

    def test_a_leaving_process_hands_everything_over_at_once(self):
        # A recycled worker (memory or request limit) exits through
        # sys.exit: it gives up its presence and its instances together and
        # says so, so the others take all of them without waiting for a
        # reconciliation or for the end of its session.
        ids = range(INSTANCE_ID + 300, INSTANCE_ID + 310)
        wanted = {i: ("ws://127.0.0.1:9/api/websocket", "t") for i in ids}
        leaving = self._worker(wanted)
        staying = self._worker(wanted)
        self._wait_live(staying, 2)
        leaving.reconcile()
        staying.reconcile()
        self.assertEqual(len(leaving.locks.held), 6)
        handed = set(leaving.locks.held)
        leaving.release_all(leaving=True)
        self.assertEqual(leaving.leaders, {})
        self.assertTrue(select.select([staying.control], [], [], 5)[0])
        staying.control.poll()
        released = [json.loads(n.payload) for n in staying.control.notifies]
        self.assertEqual(released, [{"action": "released", "ids": sorted(handed)}])
        self.assertEqual(staying.locks.live_processes(), 1, "counted out at once")
        staying.reconcile()
        self.assertEqual(staying.locks.held, set(ids))

    def test_a_dropped_database_is_no_hand_over(self):
        # Losing PostgreSQL is not leaving: nothing to say, the locks go with
        # the session.
        ids = range(INSTANCE_ID + 320, INSTANCE_ID + 322)
        wanted = {i: ("ws://127.0.0.1:9/api/websocket", "t") for i in ids}
        worker = self._worker(wanted)
        listener = self._worker({})
        worker.reconcile()
        self.assertEqual(worker.locks.held, set(ids))
        worker.release_all()
        self.assertFalse(select.select([listener.control], [], [], 0.3)[0])


class TestSupervisorGating(TransactionCase):
    def test_no_supervisor_under_tests(self):
        # Tests, shells and --stop-after-init runs must never connect to HA.
        self.assertFalse(wtm.supervisor_enabled())
        self.assertIsNone(wtm.start_supervisor())

    def test_a_prefork_cron_worker_leads_nothing(self):
        """It runs the cron jobs (the rules' actions) at a lower priority:
        the mirror is an HTTP worker's."""
        seen = []

        def fork():
            seen.append(process_policy._forking_cron_worker())
            return 4242  # the parent's side: worker_spawn returns

        class Cron(WorkerCron):
            def __init__(self, multi):
                pass

        class Http(WorkerHTTP):
            def __init__(self, multi):
                pass

        server = SimpleNamespace(generation=0, workers={})
        with patch("odoo.service.server.os.fork", fork):
            for klass in (Cron, Http):
                PreforkServer.worker_spawn(server, klass, {})
        self.assertEqual(seen, [True, False])
        self.assertFalse(process_policy._forking_cron_worker())  # no fork at all

    def test_error_round_trip_through_the_queue_row(self):
        from odoo.addons.odoo_ha_addon.models.common import ha_errors

        err = ha_errors.HaNotFoundError(
            "Service nope.nope not found.", code="not_found"
        )
        back = request_queue.error_from_dict(request_queue.error_to_dict(err))
        self.assertIsInstance(back, ha_errors.HaNotFoundError)
        self.assertEqual((back.message, back.code), (err.message, "not_found"))
        forged = request_queue.error_from_dict(
            {"error_type": "ValueError", "message": "x"}
        )
        self.assertIs(type(forged), ha_errors.HaError)


class _FakeClient:
    """Counts subscriptions; answers the snapshot commands with empty lists."""

    def __init__(self):
        self.subscribed = []

    async def subscribe_events(self, event_type, handler):
        self.subscribed.append(event_type)

    async def call(self, payload, timeout=None):
        if payload["type"] == "get_config":
            return {"state": "RUNNING", "version": "2025.4.4"}
        return []


class _Feed:
    """``InstanceFeed`` stand-in: records what the leader pushes."""

    instance_id = 1

    def __init__(self):
        self.pushed = []

    def __getattr__(self, name):
        if name.startswith("push_"):
            return lambda *args, **kwargs: self.pushed.append(name[len("push_") :])
        raise AttributeError(name)


class _HistoryClient:
    """Answers ``history/history_during_period`` per batch of entity ids."""

    def __init__(self, fail=False):
        self.asked = []
        self.fail = fail

    async def history_during_period(self, start, entity_ids=(), **options):
        self.asked.append((start, list(entity_ids), options))
        if self.fail:
            raise OSError("connection lost")
        return {key: [{"s": "1", "lu": 1.0}] for key in entity_ids}


class TestLeaderCatchUp(TransactionCase):
    def _leader(self, client):
        feed = _Feed()
        feed.push_history = lambda rows, start: feed.pushed.append((rows, start))
        leader = InstanceLeader(feed, "ws://127.0.0.1:9/api/websocket", "t", None)
        leader.client = client
        return leader, feed

    def test_changes_after_the_start_in_batches(self):
        client = _HistoryClient()
        leader, feed = self._leader(client)
        keys = [f"sensor.s{i:03d}" for i in range(250)]
        asyncio.run(leader._catch_up("2026-01-01T00:00:00", keys))
        self.assertEqual([len(ids) for _s, ids, _o in client.asked], [100, 100, 50])
        self.assertTrue(
            all(not o["include_start_time_state"] for _s, _i, o in client.asked),
            "the state at the start is the mirror's already",
        )
        self.assertEqual(len(feed.pushed), 1, "one history item for the gap")
        rows, start = feed.pushed[0]
        self.assertEqual((sorted(rows), start), (keys, "2026-01-01T00:00:00"))

    def test_a_failed_query_pushes_nothing(self):
        leader, feed = self._leader(_HistoryClient(fail=True))
        with self.assertLogs(
            "odoo.addons.odoo_ha_addon.models.bridge.instance_leader", "WARNING"
        ):
            asyncio.run(leader._catch_up("2026-01-01T00:00:00", ["sensor.a"]))
        self.assertEqual(feed.pushed, [])


class TestLeaderReconnect(TransactionCase):
    def test_subscriptions_are_not_duplicated_by_reconnects(self):
        # The client restores its subscriptions itself after a reconnect; the
        # leader must not add a second set (every event would apply twice).
        feed = _Feed()
        leader = InstanceLeader(feed, "ws://127.0.0.1:9/api/websocket", "t", None)
        client = _FakeClient()
        for _ in range(3):
            asyncio.run(leader._on_connect(client))
        self.assertEqual(len(client.subscribed), 1 + len(REGISTRY_KINDS))
        self.assertEqual(feed.pushed, ["full_sync"] * 3)
