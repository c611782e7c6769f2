"""The request queue: HA commands run by the process holding the connection.

Any Odoo process may need to send a command to Home Assistant, but only the
leader of an instance holds its WebSocket. Both sides of the protocol live
here:

* **caller** (:func:`run_command`): in the leader's own process the command
  goes straight to its client; elsewhere one statement inserts a row into
  ``ha_ws_request_queue`` and NOTIFYs :data:`REQUEST_CHANNEL`, on a pooled
  autocommit connection of this module (never the caller's transaction), and
  waits for the answer on :data:`RESULT_CHANNEL`;
* **leader** (:class:`QueueRunner`, driven by the database worker): claims
  pending rows of the instances it leads, runs them, and answers: a result
  that fits in a NOTIFY payload travels in it (the row is deleted at once),
  a larger one is written to the row.

Errors cross the queue as dicts (:func:`error_to_dict` / :func:`error_from_dict`)
and are raised again as the same typed :mod:`..common.ha_errors` error.
"""

import asyncio
import functools
import json
import logging
import select
import threading
import time

import psycopg2

from ..common import ha_errors
from .command_holds import REPLY_LINGER, command_holds
from .connections import connect_autocommit
from .process_policy import leader_identity

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
REQUEST_CHANNEL = "odoo_ha_addon_request"
RESULT_CHANNEL = "odoo_ha_addon_result"
# PostgreSQL's NOTIFY limit is 8000 bytes: "<id> <state> <json>" up to this.
INLINE_RESULT_MAX = 7900
# Literal statement: channel names cannot be query parameters.
LISTEN_RESULT_SQL = "LISTEN odoo_ha_addon_result"
CLAIM_BATCH = 100


# -- errors --------------------------------------------------------------------


def error_to_dict(err):
    """A result row's error: enough to raise the same typed error elsewhere."""
    if isinstance(err, ha_errors.HaError):
        # The template and params let the caller show it in its user's language.
        return {
            "error_type": type(err).__name__,
            "message": err.message,
            "code": err.code,
            "template": err.template,
            "params": err.params,
        }
    if isinstance(err, TimeoutError | asyncio.TimeoutError):
        return {
            "error_type": "HaTimeoutError",
            "message": ha_errors._lt("Home Assistant did not answer in time."),
            "code": "timeout",
        }
    _logger.error("HA command failed unexpectedly", exc_info=err)
    return {
        "error_type": "HaError",
        "message": ha_errors._lt("Unexpected error, see the server log."),
        "code": None,
    }


def error_from_dict(data):
    """The :class:`~..common.ha_errors.HaError` a result row describes."""
    cls = getattr(ha_errors, data.get("error_type") or "HaError", ha_errors.HaError)
    if not (isinstance(cls, type) and issubclass(cls, ha_errors.HaError)):
        cls = ha_errors.HaError
    params = data.get("params")
    if data.get("template") and isinstance(params, dict) and params:
        return cls(data["template"], code=data.get("code"), params=params)
    return cls(data.get("message") or "Home Assistant error", code=data.get("code"))


# -- caller side ---------------------------------------------------------------


class ConnectionPool:
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
        conn = connect_autocommit(dbname)
        with conn.cursor() as cr:
            cr.execute(LISTEN_RESULT_SQL)
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


pool = ConnectionPool()


def run_command(cr, instance_id, payload, timeout=DEFAULT_TIMEOUT):
    """Run one WebSocket command on an instance and return its result.

    ``cr`` is the caller's cursor, never committed. Raises a
    :class:`~..common.ha_errors.HaError` on failure.
    """
    # Imported here: the supervisor reaches this module through its workers.
    from . import supervisor

    leader = supervisor.local_leader(cr.dbname, instance_id)
    if leader is not None and leader.client.connected:
        return _run_locally(cr, leader, payload, timeout)
    return run_queued(cr.dbname, instance_id, payload, timeout)


def _run_locally(cr, leader, payload, timeout):
    # This process holds the connection: no round trip through the table.
    # The mirror's writes wait until the caller's transaction ends and its
    # reply has had a few ms to leave (it is written after commit).
    hold = command_holds.hold()
    release = functools.partial(command_holds.release, hold, REPLY_LINGER)
    cr.postcommit.add(release)
    cr.postrollback.add(release)
    future = leader.loop_thread.submit(leader.call(payload, timeout))
    try:
        return future.result(timeout + 1)
    except TimeoutError as err:
        future.cancel()
        raise ha_errors.HaTimeoutError(
            ha_errors._lt("Home Assistant did not answer in time."), code="timeout"
        ) from err


def run_queued(dbname, instance_id, payload, timeout):
    """Queue a command for the instance's leader and wait for its answer."""
    # One statement per command: insert + NOTIFY; the answer comes in the
    # result notification (a large one is read and deleted from the row).
    # The pooled connection LISTENs for results for good.
    conn = pool.take(dbname)
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
                    REQUEST_CHANNEL,
                ),
            )
            row_id = cr.fetchone()[0]
        state, result = _wait_result(conn, row_id, timeout)
    except psycopg2.Error:
        conn.close()
        raise
    finally:
        pool.give_back(dbname, conn)
    if state == "done":
        return json.loads(result)
    raise error_from_dict(json.loads(result))


def _wait_result(conn, row_id, timeout):
    """``(state, result)`` of the answered row, which is deleted.

    A small result comes in the notification itself (the leader deleted the
    row); a large one is read from the row.
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
            ha_errors._lt(
                "Home Assistant did not answer in time: no Odoo process holds "
                "a connection to this instance, or it is busy."
            ),
            code="timeout",
        )


# -- leader side ---------------------------------------------------------------


class QueueRunner:
    """Runs the queued commands of the instances one database worker leads.

    ``worker`` gives the ``leaders`` it holds, its ``loop_thread``, its
    ``control`` connection and ``wake()``: answers are collected from the asyncio
    thread and written by the worker's thread when woken.
    """

    def __init__(self, worker):
        self.worker = worker
        self._results = []  # (row id, hold, ok, value) of finished HA calls
        self._lock = threading.Lock()

    def sweep(self):
        """Time out rows nobody waits for; forget old ones."""
        leaders = self.worker.leaders
        if not leaders:
            return
        with self.worker.control.cursor() as cr:
            # Callers gave up on these; a command never runs after its deadline.
            cr.execute(
                """
                UPDATE ha_ws_request_queue SET state = 'timeout'
                 WHERE state = 'pending' AND deadline <= now()
                   AND ha_instance_id = ANY(%s)
                """,
                (list(leaders),),
            )
            cr.execute(
                """
                DELETE FROM ha_ws_request_queue
                 WHERE create_date < now() at time zone 'UTC' - interval '1 hour'
                   AND ha_instance_id = ANY(%s)
                """,
                (list(leaders),),
            )

    def claim(self):
        """Claim the pending rows of the led instances and start them."""
        leaders = self.worker.leaders
        if not leaders:
            return
        with self.worker.control.cursor() as cr:
            cr.execute(
                """
                UPDATE ha_ws_request_queue q
                   SET state = 'processing', claimed_by = %s, claimed_at = now()
                 WHERE q.id IN (
                        SELECT id FROM ha_ws_request_queue
                         WHERE state = 'pending' AND ha_instance_id = ANY(%s)
                           AND deadline > now()
                         ORDER BY id
                         LIMIT %s
                           FOR UPDATE SKIP LOCKED)
                RETURNING q.id, q.ha_instance_id, q.payload, q.timeout
                """,
                (leader_identity(), list(leaders), CLAIM_BATCH),
            )
            rows = cr.fetchall()
        for row_id, instance_id, payload, timeout in rows:
            hold = command_holds.hold()  # released once the answer is written
            future = self.worker.loop_thread.submit(
                leaders[instance_id].call(
                    json.loads(payload), timeout or DEFAULT_TIMEOUT
                )
            )
            future.add_done_callback(
                functools.partial(self._on_call_done, row_id, hold)
            )

    def _on_call_done(self, row_id, hold, future):
        # In the asyncio thread: collect, and let the worker's thread write.
        try:
            outcome = (row_id, hold, True, future.result())
        except Exception as err:  # noqa: BLE001 - reported to the caller
            outcome = (row_id, hold, False, error_to_dict(err))
        with self._lock:
            self._results.append(outcome)
        self.worker.wake()

    def write_results(self):
        """Answer every finished command (in the worker's thread)."""
        with self._lock:
            results, self._results = self._results, []
        try:
            if results and self.worker.control is not None:
                self._write_answers(results)
        finally:
            for _row_id, hold, _ok, _value in results:
                command_holds.release(hold, REPLY_LINGER)

    def _write_answers(self, results):
        with self.worker.control.cursor() as cr:
            for row_id, _hold, ok, value in results:
                state = "done" if ok else "error"
                text = json.dumps(value)
                inline = f"{row_id} {state} {text}"
                # No row (the caller gave up and deleted it): no announcement.
                if len(inline) <= INLINE_RESULT_MAX:  # json.dumps writes ASCII
                    cr.execute(
                        """
                        WITH row AS (
                            DELETE FROM ha_ws_request_queue WHERE id = %s
                            RETURNING id
                        )
                        SELECT pg_notify(%s, %s) FROM row
                        """,
                        (row_id, RESULT_CHANNEL, inline),
                    )
                    continue
                cr.execute(
                    """
                    WITH row AS (
                        UPDATE ha_ws_request_queue
                           SET state = %s, result = %s, done_at = now()
                         WHERE id = %s
                     RETURNING id
                    )
                    SELECT pg_notify(%s, id::text) FROM row
                    """,
                    (state, text, row_id, RESULT_CHANNEL),
                )
