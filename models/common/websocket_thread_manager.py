"""The only bridge between asyncio (Home Assistant) and the ORM.

One *supervisor* per Odoo process (started from ``post_load``, see
:func:`start_supervisor`) looks after every database that loaded this addon in
the process. For each active, configured ``ha.instance`` the processes of every
Odoo server on that database compete for a PostgreSQL **session-level advisory
lock** held on a dedicated connection: the holder (the *leader*) keeps the HA
WebSocket open, the others stand by and retry every :data:`LOCK_RETRY` seconds.
A dead process loses its session and so its lock: failover needs nobody.

Caveat: session-level advisory locks need a real session; PgBouncer in
transaction pooling mode breaks them (point Odoo at PostgreSQL directly).

Threads (all daemons):

* ``odoo_ha_addon.loop``: one asyncio loop running every HA client of the
  process; it does network I/O only.
* ``odoo_ha_addon.db.<db>``: per database, the control connection (locks,
  ``LISTEN``), the reconciliation of instances, and the request queue.
* ``odoo_ha_addon.dispatch.<db>.<id>``: per led instance, turns HA events into
  short ORM transactions (see :mod:`.event_dispatcher`).

Wake-ups come from PostgreSQL ``NOTIFY``: :data:`CONTROL_CHANNEL` when an
instance's URL, token or active flag changed or a restart was asked, and
:data:`REQUEST_CHANNEL` when a command was queued in ``ha.ws.request.queue``.
"""

import asyncio
import json
import logging
import os
import random
import select
import socket
import threading
import time

import psycopg2
import psycopg2.extensions

import odoo
from odoo.tools import config

from . import ha_errors
from .event_dispatcher import REPLY_LINGER, InstanceDispatcher, command_holds
from .hass_websocket_service import HassWebSocketClient

_logger = logging.getLogger(__name__)

# pg_try_advisory_lock(LOCK_NAMESPACE, instance_id): visible in pg_locks as
# classid = LOCK_NAMESPACE, objid = instance id, objsubid = 2.
LOCK_NAMESPACE = 0x48415344  # "HASD"
LOCK_RETRY = 2.0  # seconds between two tries of a standby for a lock
RECONCILE_EVERY = 5.0  # safety net besides NOTIFY
CONTROL_CHANNEL = "odoo_ha_addon_control"
REQUEST_CHANNEL = "odoo_ha_addon_request"
RESULT_CHANNEL = "odoo_ha_addon_result"
# A result that fits in a NOTIFY payload (PostgreSQL's limit is 8000 bytes)
# travels in it and its row is deleted at once: "<id> <state> <json>". Larger
# ones stay in the row and the payload is just "<id>".
INLINE_RESULT_MAX = 7900
# Literal statements: channel names cannot be query parameters.
LISTEN_SUPERVISOR_SQL = "LISTEN odoo_ha_addon_control; LISTEN odoo_ha_addon_request"
LISTEN_RESULT_SQL = "LISTEN odoo_ha_addon_result"

# HA registry event -> keyword of ha.sync._ha_sync_registries
REGISTRY_EVENTS = {
    "floor_registry_updated": "floors",
    "area_registry_updated": "areas",
    "label_registry_updated": "labels",
    "device_registry_updated": "devices",
    "entity_registry_updated": "entity_registry",
}
REGISTRY_REFETCH_DELAY = 0.3  # seconds: coalesces a burst of registry events

_supervisor = None
_supervisor_lock = threading.Lock()
_registered_dbs = set()


def leader_identity():
    return f"{socket.gethostname()}:{os.getpid()}"


def supervisor_enabled():
    """Whether this process may hold HA connections.

    Only in a serving Odoo process: a threaded server with its HTTP server up,
    or a prefork master/worker. Not in the gevent process (asyncio and gevent
    patching do not mix), not in ``--stop-after-init`` runs, shells or tests.
    ``ODOO_HA_SUPERVISOR=0`` turns it off by hand.
    """
    if os.environ.get("ODOO_HA_SUPERVISOR", "1") == "0":
        return False
    if getattr(odoo, "evented", False):
        return False
    if config.get("stop_after_init") or config.get("test_enable"):
        return False
    if odoo.modules.module.current_test:
        return False
    from odoo.service import server as odoo_server

    current = odoo_server.server
    if isinstance(current, odoo_server.PreforkServer):
        # Never in the prefork master: every worker it forks would inherit our
        # sockets (even half-open ones) and keep the lock's session alive after
        # the master died. Its workers run the supervisor (see _after_fork).
        return os.getpid() != current.pid
    return isinstance(current, odoo_server.ThreadedServer) and bool(
        getattr(current, "httpd", None)
    )


def start_supervisor():
    """Start this process's supervisor once (called by ``post_load``)."""
    global _supervisor
    if not supervisor_enabled():
        return None
    with _supervisor_lock:
        if _supervisor is None or not _supervisor.is_alive():
            _supervisor = Supervisor()
            _supervisor.start()
            for dbname in _registered_dbs:
                _supervisor.add_database(dbname)
            from odoo.service.server import CommonServer

            CommonServer.on_stop(stop_supervisor)
    return _supervisor


def stop_supervisor():
    global _supervisor
    with _supervisor_lock:
        supervisor, _supervisor = _supervisor, None
    if supervisor is not None:
        supervisor.stop()


def register_database(dbname):
    """A registry with this addon was loaded for ``dbname`` in this process."""
    with _supervisor_lock:
        _registered_dbs.add(dbname)
        supervisor = _supervisor
    if supervisor is not None:
        supervisor.add_database(dbname)


def stop_database(dbname):
    """Stop every HA connection this process holds for ``dbname``."""
    with _supervisor_lock:
        _registered_dbs.discard(dbname)
        supervisor = _supervisor
    if supervisor is not None:
        supervisor.remove_database(dbname)


def local_leader(dbname, instance_id):
    """The :class:`InstanceLeader` of this process for an instance, if any."""
    supervisor = _supervisor
    if supervisor is None:
        return None
    worker = supervisor.workers.get(dbname)
    return worker.leaders.get(instance_id) if worker else None


def _after_fork():
    """In a forked child: forget the parent's supervisor, start our own.

    A prefork worker starts its supervisor here: ``post_load`` ran in the
    master (before the fork) and will not run again. Any other fork only drops
    the parent's objects; their descriptors are pointed at /dev/null so the
    child cannot keep the parent's sessions or HA connections alive, and the
    objects are kept so nothing ever closes (writes to) those descriptors.
    """
    global _supervisor
    supervisor, _supervisor = _supervisor, None
    if supervisor is not None:
        _inherited.append(supervisor)
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            for fd in supervisor.inherited_fds():
                try:
                    os.dup2(devnull, fd)
                except OSError:
                    _logger.debug("fd %s already closed", fd)
        finally:
            os.close(devnull)
    from odoo.service import server as odoo_server

    if isinstance(odoo_server.server, odoo_server.PreforkServer):
        start_supervisor()


_inherited = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def connect_autocommit(dbname):
    """A raw autocommit connection, outside Odoo's pool.

    Odoo's prefork master closes every pooled connection before forking; our
    lock must survive that, and a lock on a pooled connection would move with it.
    """
    _dbname, info = odoo.sql_db.connection_info_for(dbname)
    # These connections only write request-queue rows, which nobody needs after
    # a PostgreSQL crash (their callers fail anyway): asynchronous commit spares
    # the WAL flush on each of the 3 commits of a queued command.
    options = f"{info.get('options', '')} -c synchronous_commit=off".strip()
    info = dict(info, application_name=f"odoo_ha_addon-{os.getpid()}", options=options)
    conn = psycopg2.connect(**info)
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    return conn


class LoopThread(threading.Thread):
    """The asyncio loop that runs every HA client of this process."""

    def __init__(self):
        super().__init__(name="odoo_ha_addon.loop", daemon=True)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    def run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def start(self):
        started = super().start()
        self._ready.wait(5)
        return started

    def submit(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


class Supervisor(threading.Thread):
    """Starts one :class:`DatabaseWorker` per database that loaded the addon."""

    def __init__(self):
        super().__init__(name="odoo_ha_addon.supervisor", daemon=True)
        self.loop_thread = LoopThread()
        self.workers = {}
        self._pending = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def add_database(self, dbname):
        self._pending.add(dbname)
        self._wake.set()

    def inherited_fds(self):
        """Every descriptor this supervisor owns (see _after_fork)."""
        fds = []
        loop = self.loop_thread.loop
        selector = getattr(loop, "_selector", None)
        if selector is not None:
            fds.append(selector.fileno())
        for name in ("_ssock", "_csock"):  # the loop's self-pipe
            sock = getattr(loop, name, None)
            if sock is not None:
                fds.append(sock.fileno())
        for worker in list(self.workers.values()):
            fds.extend(worker.inherited_fds())
        return [fd for fd in fds if isinstance(fd, int) and fd >= 0]

    def remove_database(self, dbname):
        self._pending.discard(dbname)
        worker = self.workers.pop(dbname, None)
        if worker is not None:
            worker.stop()

    def run(self):
        self.loop_thread.start()
        _logger.info("HA supervisor started in process %s", os.getpid())
        while not self._stopping.is_set():
            for dbname in list(self._pending):
                worker = self.workers.get(dbname)
                if worker is None or not worker.is_alive():
                    worker = DatabaseWorker(dbname, self.loop_thread)
                    self.workers[dbname] = worker
                    worker.start()
            self._wake.wait(RECONCILE_EVERY)
            self._wake.clear()

    def stop(self):
        self._stopping.set()
        self._wake.set()
        for worker in list(self.workers.values()):
            worker.stop()
        for worker in list(self.workers.values()):
            worker.join(5)
        self.loop_thread.stop()


class InstanceLeader:
    """This process holds the lock of one instance: its HA client and dispatcher."""

    def __init__(self, dbname, instance_id, ws_url, token, loop_thread):
        self.dbname = dbname
        self.instance_id = instance_id
        self.config_key = (ws_url, token)
        self.loop_thread = loop_thread
        self.dispatcher = InstanceDispatcher(dbname, instance_id)
        self.client = HassWebSocketClient(
            ws_url,
            token,
            on_connect=self._on_connect,
            on_status=self.dispatcher.push_status,
        )
        self._future = None
        self._stop_event = None
        self._dirty_registries = set()
        self._refetch_handle = None
        self._subscribed = False

    def start(self):
        self.dispatcher.start()
        self._future = self.loop_thread.submit(self._run())

    async def _run(self):
        self._stop_event = asyncio.Event()
        try:
            await self.client.run_forever(self._stop_event)
        except ha_errors.HaAuthError:
            # Stop retrying: HA may ban an address after repeated failed logins.
            # A new token (write on ha.instance) restarts the leader.
            _logger.warning(
                "HA instance %s rejected its token; waiting for a new one",
                self.instance_id,
            )
        except Exception:
            _logger.exception("HA client of instance %s crashed", self.instance_id)
            self.dispatcher.push_status_error("client crashed, see the server log")

    async def _on_connect(self, client):
        # Subscribe first, then read the full picture: an event newer than the
        # snapshot wins in the ORM by HA's last_updated, whatever the order.
        # Once: the client restores its subscriptions after every reconnect.
        if not self._subscribed:
            self._subscribed = True
            await client.subscribe_events("state_changed", self.dispatcher.push_event)
            for event_type in REGISTRY_EVENTS:
                await client.subscribe_events(event_type, self._on_registry_event)
        snapshot = await self._fetch_snapshot(client)
        self.dispatcher.push_full_sync(snapshot)

    def _on_registry_event(self, event):
        # Registry events carry ids only: re-read the whole registry, once per
        # burst (HA sends many events when e.g. an integration reloads).
        kind = REGISTRY_EVENTS.get(event.get("event_type"))
        if kind is None:
            return
        self._dirty_registries.add(kind)
        if self._refetch_handle is None:
            loop = asyncio.get_running_loop()
            self._refetch_handle = loop.call_later(
                REGISTRY_REFETCH_DELAY, lambda: asyncio.ensure_future(self._refetch())
            )

    async def _refetch(self):
        kinds, self._dirty_registries = self._dirty_registries, set()
        self._refetch_handle = None
        commands = {
            "floors": self.client.floor_registry_list,
            "areas": self.client.area_registry_list,
            "labels": self.client.label_registry_list,
            "devices": self.client.device_registry_list,
            "entity_registry": self.client.entity_registry_list,
        }
        try:
            results = await asyncio.gather(*(commands[kind]() for kind in kinds))
        except Exception as err:  # noqa: BLE001 - the next reconnect resyncs all
            _logger.warning("HA registry refresh failed: %s", err)
            return
        self.dispatcher.push_registries(dict(zip(kinds, results, strict=True)))

    @staticmethod
    async def _fetch_snapshot(client):
        (
            ha_config,
            floors,
            areas,
            labels,
            devices,
            entities,
            states,
        ) = await asyncio.gather(
            client.get_config(),
            client.floor_registry_list(),
            client.area_registry_list(),
            client.label_registry_list(),
            client.device_registry_list(),
            client.entity_registry_list(),
            client.get_states(),
        )
        return {
            "config": ha_config,
            "floors": floors,
            "areas": areas,
            "labels": labels,
            "devices": devices,
            "entities": entities,
            "states": states,
        }

    async def call(self, payload, timeout):
        return await self.client.call(payload, timeout=timeout)

    def stop(self):
        if self._stop_event is not None:
            self.loop_thread.loop.call_soon_threadsafe(self._stop_event.set)
        if self._future is not None:
            try:
                self._future.result(timeout=6)
            except Exception:  # noqa: BLE001 - stopping: report, never raise
                _logger.debug("HA client stop", exc_info=True)
        self.dispatcher.stop()


class DatabaseWorker(threading.Thread):
    """Locks, instance reconciliation and the request queue of one database."""

    def __init__(self, dbname, loop_thread):
        super().__init__(name=f"odoo_ha_addon.db.{dbname}", daemon=True)
        self.dbname = dbname
        self.loop_thread = loop_thread
        self.leaders = {}
        self._locked = set()  # instance ids whose lock this session holds
        self._ctl = None  # control connection: locks + LISTEN
        self._work = None  # second connection: queries and writes
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._results = []  # (row id, ok, value) from finished HA calls
        self._results_lock = threading.Lock()

    # -- lifecycle

    def inherited_fds(self):
        fds = [self._wake_r, self._wake_w]
        for conn in (self._ctl, self._work):
            if conn is not None and not conn.closed:
                fds.append(conn.fileno())
        for leader in list(self.leaders.values()):
            fds.append(leader.dispatcher.bus_fileno())
            ws = getattr(leader.client, "_ws", None)
            sock = ws.transport.get_extra_info("socket") if ws is not None else None
            if sock is not None:
                fds.append(sock.fileno())
        return fds

    def stop(self):
        self._stopping.set()
        self._wake()

    def _wake(self):
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            _logger.debug("wake-up pipe closed: the worker is stopping")

    def run(self):
        attempt = 0
        while not self._stopping.is_set():
            try:
                self._connect()
                attempt = 0
                self._serve()
            except (psycopg2.Error, OSError) as err:
                _logger.warning("HA supervisor lost database %s: %s", self.dbname, err)
            except Exception:
                _logger.exception("HA supervisor of %s failed", self.dbname)
            finally:
                self._release_all()
            if self._stopping.is_set():
                break
            delay = min(30.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
            attempt += 1
            self._stopping.wait(delay)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _connect(self):
        self._ctl = connect_autocommit(self.dbname)
        self._work = connect_autocommit(self.dbname)
        with self._ctl.cursor() as cr:
            cr.execute(LISTEN_SUPERVISOR_SQL)

    def _release_all(self):
        for instance_id in list(self.leaders):
            self._drop_leader(instance_id, unlock=False)
        self._locked.clear()
        for conn in (self._ctl, self._work):
            if conn is not None:
                try:
                    conn.close()  # ends the session: every lock is released
                except psycopg2.Error:
                    _logger.debug("closing a broken connection", exc_info=True)
        self._ctl = self._work = None

    def _serve(self):
        next_reconcile = 0.0
        while not self._stopping.is_set():
            now = time.monotonic()
            if now >= next_reconcile:
                self._reconcile()
                self._claim_requests()
                next_reconcile = now + (
                    LOCK_RETRY if self._standby else RECONCILE_EVERY
                )
            timeout = max(0.0, next_reconcile - time.monotonic())
            if self._ctl.notifies:
                # Read while a lock query ran on this connection: select()
                # would not wake for them.
                timeout = 0.0
            readable, _w, _x = select.select([self._ctl, self._wake_r], [], [], timeout)
            if self._ctl.notifies and self._ctl not in readable:
                readable.append(self._ctl)
            if self._wake_r in readable:
                os.read(self._wake_r, 4096)
                self._write_results()
            if self._ctl in readable:
                self._ctl.poll()
                notifies, self._ctl.notifies[:] = list(self._ctl.notifies), []
                if any(n.channel == CONTROL_CHANNEL for n in notifies):
                    self._handle_control(notifies)
                    next_reconcile = 0.0
                if any(n.channel == REQUEST_CHANNEL for n in notifies):
                    self._claim_requests()

    # -- instances and locks

    _standby = False

    def _configured_instances(self):
        with self._work.cursor() as cr:
            cr.execute(
                """
                SELECT i.id, i.api_url, i.api_token
                  FROM ha_instance i
                 WHERE i.active
                   AND coalesce(i.api_url, '') <> ''
                   AND coalesce(i.api_token, '') <> ''
                """
            )
            return {row[0]: (row[1], row[2]) for row in cr.fetchall()}

    def _reconcile(self):
        wanted = self._configured_instances() if self._addon_installed() else {}
        for instance_id in list(self._locked):
            leader = self.leaders.get(instance_id)
            conf = wanted.get(instance_id)
            if conf is None:
                self._drop_leader(instance_id)
            elif leader and leader.config_key != (_ws_url(conf[0]), conf[1]):
                _logger.info("HA instance %s configuration changed", instance_id)
                self._drop_leader(instance_id, unlock=False)
        standby = False
        for instance_id, (api_url, token) in wanted.items():
            if instance_id in self.leaders:
                continue
            if instance_id not in self._locked:
                if not self._try_lock(instance_id):
                    standby = True
                    continue
                self._locked.add(instance_id)
            self._start_leader(instance_id, _ws_url(api_url), token)
        self._standby = standby
        self._sweep_requests()

    def _addon_installed(self):
        with self._work.cursor() as cr:
            cr.execute(
                "SELECT state FROM ir_module_module WHERE name = 'odoo_ha_addon'"
            )
            row = cr.fetchone()
        return bool(row and row[0] in ("installed", "to upgrade"))

    def _try_lock(self, instance_id):
        with self._ctl.cursor() as cr:
            cr.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, instance_id)
            )
            return cr.fetchone()[0]

    def _start_leader(self, instance_id, ws_url, token):
        _logger.info(
            "HA instance %s of %s: this process (%s) leads",
            instance_id,
            self.dbname,
            leader_identity(),
        )
        leader = InstanceLeader(
            self.dbname, instance_id, ws_url, token, self.loop_thread
        )
        self.leaders[instance_id] = leader
        leader.start()

    def _drop_leader(self, instance_id, unlock=True):
        leader = self.leaders.pop(instance_id, None)
        if leader is not None:
            leader.stop()
        if unlock and instance_id in self._locked:
            self._locked.discard(instance_id)
            with self._ctl.cursor() as cr:
                cr.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, instance_id)
                )

    def _handle_control(self, notifies):
        for notify in notifies:
            if notify.channel != CONTROL_CHANNEL:
                continue
            try:
                message = json.loads(notify.payload)
            except ValueError:
                continue
            if message.get("action") == "restart":
                for instance_id in message.get("ids", []):
                    if instance_id in self.leaders:
                        _logger.info("HA instance %s: restart asked", instance_id)
                        # Keep the lock: restart in place, nobody else must lead.
                        leader = self.leaders.pop(instance_id)
                        leader.stop()

    # -- request queue

    def _sweep_requests(self):
        if not self.leaders:
            return
        with self._work.cursor() as cr:
            # Callers gave up on these; a command never runs after its deadline.
            cr.execute(
                """
                UPDATE ha_ws_request_queue SET state = 'timeout'
                 WHERE state = 'pending' AND deadline <= now()
                   AND ha_instance_id = ANY(%s)
                """,
                (list(self.leaders),),
            )
            cr.execute(
                """
                DELETE FROM ha_ws_request_queue
                 WHERE create_date < now() at time zone 'UTC' - interval '1 hour'
                   AND ha_instance_id = ANY(%s)
                """,
                (list(self.leaders),),
            )

    def _claim_requests(self):
        if not self.leaders:
            return
        with self._work.cursor() as cr:
            cr.execute(
                """
                UPDATE ha_ws_request_queue q
                   SET state = 'processing', claimed_by = %s, claimed_at = now()
                 WHERE q.id IN (
                        SELECT id FROM ha_ws_request_queue
                         WHERE state = 'pending' AND ha_instance_id = ANY(%s)
                           AND deadline > now()
                         ORDER BY id
                         LIMIT 100
                           FOR UPDATE SKIP LOCKED)
                RETURNING q.id, q.ha_instance_id, q.payload, q.timeout
                """,
                (leader_identity(), list(self.leaders)),
            )
            rows = cr.fetchall()
        for row_id, instance_id, payload, timeout in rows:
            leader = self.leaders.get(instance_id)
            hold = command_holds.hold()  # released once the answer is written
            future = self.loop_thread.submit(
                leader.call(json.loads(payload), timeout or 10.0)
            )
            future.add_done_callback(
                lambda fut, row_id=row_id, hold=hold: self._on_call_done(
                    row_id, hold, fut
                )
            )

    def _on_call_done(self, row_id, hold, future):
        try:
            outcome = (row_id, hold, True, future.result())
        except Exception as err:  # noqa: BLE001 - reported to the caller
            outcome = (row_id, hold, False, error_to_dict(err))
        with self._results_lock:
            self._results.append(outcome)
        self._wake()

    def _write_results(self):
        with self._results_lock:
            results, self._results = self._results, []
        try:
            if results and self._work is not None:
                self._write_answers(results)
        finally:
            for _row_id, hold, _ok, _value in results:
                command_holds.release(hold, REPLY_LINGER)

    def _write_answers(self, results):
        with self._work.cursor() as cr:
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


def error_to_dict(err):
    """A result row's error: enough to raise the same typed error elsewhere."""
    if isinstance(err, ha_errors.HaError):
        return {
            "error_type": type(err).__name__,
            "message": err.message,
            "code": err.code,
        }
    if isinstance(err, TimeoutError | asyncio.TimeoutError):
        return {
            "error_type": "HaTimeoutError",
            "message": "Home Assistant did not answer in time",
            "code": "timeout",
        }
    _logger.error("HA command failed unexpectedly", exc_info=err)
    return {
        "error_type": "HaError",
        "message": "unexpected error, see the server log",
        "code": None,
    }


def error_from_dict(data):
    cls = getattr(ha_errors, data.get("error_type") or "HaError", ha_errors.HaError)
    if not (isinstance(cls, type) and issubclass(cls, ha_errors.HaError)):
        cls = ha_errors.HaError
    return cls(data.get("message") or "Home Assistant error", code=data.get("code"))


def _ws_url(api_url):
    from ..ha_instance import HaInstance

    return HaInstance._ws_url_from(api_url)
