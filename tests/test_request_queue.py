"""The queued command path with real PostgreSQL sessions and a real leader loop.

A caller writes a row on its own autocommit connection and waits for the
result notification; a ``DatabaseWorker`` (its ``serve`` loop, the one the
server runs) claims the row and runs the command on a stand-in HA leader.
"""

import asyncio
import threading
import time
from types import SimpleNamespace
from unittest.mock import patch

from odoo.tests import TransactionCase

from odoo.addons.odoo_ha_addon.models.bridge import request_queue, supervisor
from odoo.addons.odoo_ha_addon.models.bridge.command_holds import (
    REPLY_LINGER,
    command_holds,
)
from odoo.addons.odoo_ha_addon.models.bridge.connections import connect_autocommit
from odoo.addons.odoo_ha_addon.models.bridge.database_worker import DatabaseWorker
from odoo.addons.odoo_ha_addon.models.common import ha_errors


class _Leader:
    """Answers ``echo`` with its payload, ``big`` with 20 kB, ``fail`` with an error."""

    def __init__(self):
        self.calls = []

    async def call(self, payload, timeout):
        self.calls.append(payload)
        if payload["type"] == "fail":
            raise ha_errors.HaNotFoundError("Unknown thing", code="not_found")
        if payload["type"] == "slow":
            await asyncio.sleep(timeout + 1)
        if payload["type"] == "big":
            return {"blob": "x" * 20_000}
        return {"echo": payload.get("value")}

    def request_stop(self):
        pass

    def stop(self):
        pass


class TestQueuedCommands(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The queue rows reference a committed instance: the caller's and the
        # leader's connections cannot see this test's transaction.
        with cls.registry.cursor() as cr:
            cr.execute(
                """
                INSERT INTO ha_instance (name, active, sequence, api_url, api_token)
                VALUES ('Queue test', false, 10, 'http://127.0.0.1:9', 't')
                RETURNING id
                """
            )
            cls.instance_id = cr.fetchone()[0]
        cls.addClassCleanup(cls._drop_instance)
        cls.loop_thread = supervisor.LoopThread()
        cls.loop_thread.start()
        cls.addClassCleanup(cls.loop_thread.stop)

    @classmethod
    def _drop_instance(cls):
        with cls.registry.cursor() as cr:
            cr.execute("DELETE FROM ha_instance WHERE id = %s", (cls.instance_id,))

    def setUp(self):
        super().setUp()
        self.leader = _Leader()
        worker = DatabaseWorker(self.env.cr.dbname, self.loop_thread)
        worker.reconcile = lambda: None  # no HA: the stand-in leads
        worker.leaders[self.instance_id] = self.leader
        worker.connect()
        thread = threading.Thread(target=worker.serve, daemon=True)
        thread.start()

        def stop():
            worker.stop()
            thread.join(5)
            worker.release_all()

        self.addCleanup(stop)
        self.queue = self.env["ha.ws.request.queue"]

    def _run(self, payload, timeout=5.0):
        return request_queue.run_queued(
            self.env.cr.dbname, self.instance_id, payload, timeout
        )

    def _rows(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM ha_ws_request_queue WHERE ha_instance_id = %s",
                (self.instance_id,),
            )
            return cr.fetchone()[0]

    def test_small_result_comes_in_the_notification(self):
        self.assertEqual(self._run({"type": "echo", "value": "é ✓"}), {"echo": "é ✓"})
        self.assertEqual(self.leader.calls, [{"type": "echo", "value": "é ✓"}])
        self.assertEqual(self._rows(), 0, "the answered row is deleted")

    def _long_holds(self):
        """Holds that would last 30 s unless released (then they linger 5 ms)."""
        hold = command_holds.hold
        patcher = patch.object(command_holds, "hold", lambda: hold(30.0))
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(command_holds._deadlines.clear)

    @staticmethod
    def _held_long():
        soon = time.monotonic() + REPLY_LINGER + 0.5
        return [d for d in command_holds._deadlines.values() if d > soon]

    def test_the_leader_releases_its_hold_on_the_mirror(self):
        # While a command is answered, the mirror's writes wait (bounded);
        # the hold ends once the answer is written, not at its expiry.
        self._long_holds()
        self._run({"type": "echo", "value": 2})
        deadline = time.monotonic() + 2
        while self._held_long() and time.monotonic() < deadline:
            time.sleep(0.005)
        self.assertEqual(self._held_long(), [])

    def test_a_local_leader_holds_the_mirror_until_the_caller_commits(self):
        # In the process holding the connection there is no queue; the
        # mirror waits until the calling request's transaction ends.
        self._long_holds()
        local = SimpleNamespace(
            client=SimpleNamespace(connected=True),
            loop_thread=self.loop_thread,
            call=self.leader.call,
        )
        instance = self.env["ha.instance"].browse(self.instance_id)
        with patch.object(supervisor, "local_leader", return_value=local):
            answer = self.queue._execute(instance, {"type": "echo", "value": 3})
        self.assertEqual(answer, {"echo": 3})
        self.assertEqual(self._rows(), 0, "no queue row on the local path")
        self.assertEqual(len(self._held_long()), 1)
        self.env.cr.postcommit.run()  # what the request's commit does
        self.assertEqual(self._held_long(), [])

    def test_large_result_is_read_from_the_row(self):
        result = self._run({"type": "big"})
        self.assertEqual(len(result["blob"]), 20_000)
        self.assertEqual(self._rows(), 0, "the caller deletes the row it read")

    def test_error_keeps_its_type(self):
        with self.assertRaises(ha_errors.HaNotFoundError) as caught:
            self._run({"type": "fail"})
        self.assertEqual(caught.exception.code, "not_found")
        self.assertEqual(self._rows(), 0)

    def test_concurrent_callers_each_get_their_own_answer(self):
        results, errors = {}, []

        def call(value):
            try:
                results[value] = self._run({"type": "echo", "value": value})
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)

        threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        self.assertEqual(errors, [])
        self.assertEqual(results, {n: {"echo": n} for n in range(8)})
        self.assertEqual(len(self.leader.calls), 8, "each command ran once")

    def test_timeout_is_clear_and_leaves_no_row(self):
        with self.assertRaises(ha_errors.HaTimeoutError):
            self._run({"type": "slow"}, timeout=0.3)
        self.assertEqual(self._rows(), 0)

    def test_caller_transaction_is_never_committed(self):
        # A write of the caller stays uncommitted across a queued command.
        self.env.cr.execute(
            "UPDATE ha_instance SET description = 'uncommitted' WHERE id = %s",
            (self.instance_id,),
        )
        self.assertEqual(self._run({"type": "echo", "value": 1}), {"echo": 1})
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT description FROM ha_instance WHERE id = %s",
                (self.instance_id,),
            )
            self.assertIsNone(cr.fetchone()[0])

    def test_pool_connections_commit_asynchronously(self):
        conn = request_queue.pool.take(self.env.cr.dbname)
        try:
            with conn.cursor() as cr:
                cr.execute("SHOW synchronous_commit")
                self.assertEqual(cr.fetchone()[0], "off")
        finally:
            request_queue.pool.give_back(self.env.cr.dbname, conn)

    def test_a_pooled_connection_that_died_while_idle_is_replaced(self):
        # PostgreSQL restarted between two commands: the next one must not fail.
        dbname = self.env.cr.dbname
        pool = request_queue.ConnectionPool()
        conn = pool.take(dbname)
        with conn.cursor() as cr:
            cr.execute("SELECT pg_backend_pid()")
            dead_pid = cr.fetchone()[0]
        pool.give_back(dbname, conn)
        other = connect_autocommit(dbname)
        try:
            with other.cursor() as cr:
                cr.execute("SELECT pg_terminate_backend(%s)", (dead_pid,))
            time.sleep(0.1)
            fresh = pool.take(dbname)
            with fresh.cursor() as cr:
                cr.execute("SELECT pg_backend_pid()")
                self.assertNotEqual(cr.fetchone()[0], dead_pid)
            self.assertTrue(conn.closed)
            fresh.close()
        finally:
            other.close()

    def test_result_read_during_another_statement_is_not_missed(self):
        # psycopg2 keeps notifications that arrive while a statement runs;
        # select() never wakes for those, so the caller must look first.
        dbname = self.env.cr.dbname
        conn = request_queue.pool.take(dbname)
        other = connect_autocommit(dbname)
        try:
            with other.cursor() as cr:
                cr.execute(
                    "SELECT pg_notify(%s, %s)",
                    (request_queue.RESULT_CHANNEL, '424242 done {"x": 1}'),
                )
            time.sleep(0.05)
            with conn.cursor() as cr:
                cr.execute("SELECT 1")
            self.assertTrue(conn.notifies, "precondition: already read")
            started = time.monotonic()
            answer = request_queue._wait_result(conn, 424242, 3.0)
            self.assertEqual(answer, ("done", '{"x": 1}'))
            self.assertLess(time.monotonic() - started, 1.0)
        finally:
            other.close()
            request_queue.pool.give_back(dbname, conn)
