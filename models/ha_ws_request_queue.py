import functools
import json
import select
import threading
import time

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .common import ha_errors
from .common import websocket_thread_manager as wtm
from .common.event_dispatcher import REPLY_LINGER, command_holds

DEFAULT_TIMEOUT = 10.0


class _ConnectionPool:
    """A few idle autocommit connections per database for the request path.

    Queue rows are written outside the caller's transaction (never committing
    it) and the result is awaited with LISTEN on the same connection.
    """

    def __init__(self, size=4):
        self.size = size
        self._idle = {}
        self._lock = threading.Lock()

    def take(self, dbname):
        with self._lock:
            idle = self._idle.get(dbname) or []
            while idle:
                conn = idle.pop()
                if conn.closed:
                    continue
                if self._alive(conn):
                    conn.notifies.clear()
                    return conn
                conn.close()
        conn = wtm.connect_autocommit(dbname)
        with conn.cursor() as cr:
            cr.execute(wtm.LISTEN_RESULT_SQL)
        return conn

    @staticmethod
    def _alive(conn):
        """Read what came in while idle: results announced, or the end of a
        session PostgreSQL closed (restarted, say). A closed session shows
        only on the second read: its farewell message first, then EOF."""
        try:
            for _attempt in range(3):
                if not select.select([conn], [], [], 0)[0]:
                    return not conn.closed
                conn.poll()
        except psycopg2.Error:
            return False
        return not conn.closed

    def give_back(self, dbname, conn):
        if conn.closed:
            return
        with self._lock:
            idle = self._idle.setdefault(dbname, [])
            if len(idle) < self.size:
                idle.append(conn)
                return
        conn.close()


_pool = _ConnectionPool()


class HaWsRequestQueue(models.Model):
    """Commands for Home Assistant, run by the process holding the connection.

    Only the system reaches this model (no access rule for any group): callers
    go through :meth:`_execute`, which validates the instance and the caller's
    rights first.
    """

    _name = "ha.ws.request.queue"
    _description = "Home Assistant Request Queue"
    _order = "id"
    _log_access = False

    ha_instance_id = fields.Many2one(
        "ha.instance", required=True, ondelete="cascade", index=True
    )
    command = fields.Char(required=True, help="WebSocket command type")
    payload = fields.Text(required=True)
    timeout = fields.Float(default=DEFAULT_TIMEOUT)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("processing", "Processing"),
            ("done", "Done"),
            ("error", "Error"),
            ("timeout", "Timed out"),
        ],
        default="pending",
        required=True,
        index=True,
    )
    result = fields.Text()
    create_date = fields.Datetime(readonly=True)
    deadline = fields.Datetime(required=True)
    claimed_by = fields.Char()
    claimed_at = fields.Datetime()
    done_at = fields.Datetime()

    @api.model
    def _execute(self, instance, payload, timeout=DEFAULT_TIMEOUT):
        """Run one WebSocket command on ``instance`` and return its result.

        Raises a :class:`~.common.ha_errors.HaError` on failure. The caller's
        transaction is never committed: the row lives on its own connection.
        """
        instance.ensure_one()
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise ValueError("a WebSocket command needs a string 'type'")
        dbname = self.env.cr.dbname
        leader = wtm.local_leader(dbname, instance.id)
        if leader is not None and leader.client.connected:
            # This process holds the connection: no round trip through the table.
            # The mirror's writes wait until the caller's transaction ends and
            # its reply has had a few ms to leave (it is written after commit).
            hold = command_holds.hold()
            release = functools.partial(command_holds.release, hold, REPLY_LINGER)
            self.env.cr.postcommit.add(release)
            self.env.cr.postrollback.add(release)
            future = leader.loop_thread.submit(leader.call(payload, timeout))
            try:
                return future.result(timeout + 1)
            except TimeoutError as err:
                future.cancel()
                raise ha_errors.HaTimeoutError(
                    "Home Assistant did not answer in time", code="timeout"
                ) from err
        return self._execute_queued(dbname, instance.id, payload, timeout)

    @api.model
    def _execute_queued(self, dbname, instance_id, payload, timeout):
        # One statement per command: insert + NOTIFY; the answer comes in the
        # result notification (a large one is read and deleted from the row).
        # The pooled connection LISTENs for results for good.
        conn = _pool.take(dbname)
        row_id = None
        try:
            with conn.cursor() as cr:
                cr.execute(
                    """
                    WITH row AS (
                        INSERT INTO ha_ws_request_queue
                            (ha_instance_id, command, payload, timeout, state,
                             create_date, deadline)
                        VALUES (%s, %s, %s, %s, 'pending',
                                now() at time zone 'UTC',
                                now() at time zone 'UTC' + %s * interval '1 second')
                        RETURNING id
                    )
                    SELECT id, pg_notify(%s, id::text) FROM row
                    """,
                    (
                        instance_id,
                        payload["type"],
                        json.dumps(payload),
                        timeout,
                        timeout,
                        wtm.REQUEST_CHANNEL,
                    ),
                )
                row_id = cr.fetchone()[0]
            outcome = self._wait_result(conn, row_id, timeout)
        except psycopg2.Error:
            conn.close()
            raise
        finally:
            _pool.give_back(dbname, conn)
        state, result = outcome
        if state == "done":
            return json.loads(result)
        raise wtm.error_from_dict(json.loads(result))

    @staticmethod
    def _wait_result(conn, row_id, timeout):
        """``(state, result)`` of the answered row, which is deleted.

        A small result comes in the notification itself (the leader deleted
        the row); a large one is read from the row.
        """
        deadline = time.monotonic() + timeout
        wanted = str(row_id)
        inline_prefix = wanted + " "
        take_answered = """
            DELETE FROM ha_ws_request_queue
             WHERE id = %s AND state IN ('done', 'error')
         RETURNING state, result
        """

        def take_mine():
            # Notifications psycopg2 already read (during the INSERT, say, when
            # this thread was scheduled out) never wake select(): look first.
            notifies, conn.notifies[:] = list(conn.notifies), []
            for notify in notifies:  # the others are other callers' results
                if notify.payload == wanted or notify.payload.startswith(inline_prefix):
                    return notify.payload
            return None

        while True:
            mine = take_mine()
            if mine is None:
                remaining = deadline - time.monotonic()
                if remaining > 0 and select.select([conn], [], [], remaining)[0]:
                    conn.poll()
                    continue
            elif mine != wanted:
                _row_id, state, result = mine.split(" ", 2)
                return state, result
            with conn.cursor() as cr:
                cr.execute(take_answered, (row_id,))
                answered = cr.fetchone()
                if answered:
                    return answered
                if time.monotonic() < deadline:
                    continue
                # Never run it later: nobody waits for it any more.
                cr.execute("DELETE FROM ha_ws_request_queue WHERE id = %s", (row_id,))
            raise ha_errors.HaTimeoutError(
                "Home Assistant did not answer in time: no Odoo process holds "
                "a connection to this instance, or it is busy",
                code="timeout",
            )

    @api.model
    def _execute_or_raise(self, instance, payload, timeout=DEFAULT_TIMEOUT):
        """:meth:`_execute` with HA errors turned into a UserError for the UI."""
        try:
            return self._execute(instance, payload, timeout)
        except ha_errors.HaError as err:
            raise UserError(
                _(
                    "Home Assistant (%(instance)s): %(error)s",
                    instance=instance.name,
                    error=err,
                )
            ) from err
