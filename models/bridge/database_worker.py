"""One database's thread: locks, reconciliation of instances, request queue.

The worker keeps two autocommit connections: the control connection holds
the instance locks and LISTENs, the work connection runs queries. It wakes on
PostgreSQL ``NOTIFY`` — :data:`CONTROL_CHANNEL` when an instance's URL, token
or active flag changed or a restart was asked, :data:`.request_queue.REQUEST_CHANNEL`
when a command was queued — on its self-pipe when an HA command finished, and
every ``RECONCILE_EVERY`` seconds (``LOCK_RETRY`` while standing by) as a
safety net. When the database goes away it drops every leader (and, with its
session, every lock) and reconnects with capped, jittered backoff.
"""

import json
import logging
import os
import random
import select
import threading
import time

import psycopg2

from ..common.hass_websocket_service import websocket_url
from .connections import connect_autocommit
from .instance_leader import InstanceLeader
from .leader_locks import LOCK_RETRY, LeaderLocks
from .process_policy import leader_identity
from .request_queue import QueueRunner

_logger = logging.getLogger(__name__)

RECONCILE_EVERY = 5.0  # seconds: safety net besides NOTIFY
CONTROL_CHANNEL = "odoo_ha_addon_control"
# Literal statement: channel names cannot be query parameters.
LISTEN_SQL = "LISTEN odoo_ha_addon_control; LISTEN odoo_ha_addon_request"
CONFIGURED_INSTANCES_SQL = """
    SELECT i.id, i.api_url, i.api_token
      FROM ha_instance i
     WHERE i.active
       AND coalesce(i.api_url, '') <> ''
       AND coalesce(i.api_token, '') <> ''
"""


class DatabaseWorker(threading.Thread):
    """Locks, instance reconciliation and the request queue of one database."""

    def __init__(self, dbname, loop_thread):
        super().__init__(name=f"odoo_ha_addon.db.{dbname}", daemon=True)
        self.dbname = dbname
        self.loop_thread = loop_thread
        self.leaders = {}  # instance id -> InstanceLeader
        self.locks = LeaderLocks()
        self.queue = QueueRunner(self)
        self.work = None  # queries and writes; the control one is self.locks.conn
        self._standby = False  # some wanted instance is led elsewhere
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()

    @property
    def control(self):
        return self.locks.conn

    # -- lifecycle

    def inherited_fds(self):
        """Every descriptor this worker owns (see ``process_policy``)."""
        fds = [self._wake_r, self._wake_w]
        for conn in (self.control, self.work):
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
        self.wake()

    def wake(self):
        """Wake the worker's thread (from any thread)."""
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            _logger.debug("wake-up pipe closed: the worker is stopping")

    def run(self):
        attempt = 0
        while not self._stopping.is_set():
            try:
                self.connect()
                attempt = 0
                self.serve()
            except (psycopg2.Error, OSError) as err:
                _logger.warning("HA supervisor lost database %s: %s", self.dbname, err)
            except Exception:
                _logger.exception("HA supervisor of %s failed", self.dbname)
            finally:
                self.release_all()
            if self._stopping.is_set():
                break
            delay = min(30.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
            attempt += 1
            self._stopping.wait(delay)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def connect(self):
        self.locks.conn = connect_autocommit(self.dbname)
        self.work = connect_autocommit(self.dbname)
        with self.control.cursor() as cr:
            cr.execute(LISTEN_SQL)

    def release_all(self):
        """Stop every leader and close both connections (ending the locks)."""
        for instance_id in list(self.leaders):
            self._drop_leader(instance_id, unlock=False)
        for conn in (self.control, self.work):
            if conn is not None:
                try:
                    conn.close()  # ends the session: every lock is released
                except psycopg2.Error:
                    _logger.debug("closing a broken connection", exc_info=True)
        self.locks.forget()
        self.work = None

    def serve(self):
        next_reconcile = 0.0
        while not self._stopping.is_set():
            now = time.monotonic()
            if now >= next_reconcile:
                self.reconcile()
                self.queue.claim()
                next_reconcile = now + (
                    LOCK_RETRY if self._standby else RECONCILE_EVERY
                )
            timeout = max(0.0, next_reconcile - time.monotonic())
            control = self.control
            if control.notifies:
                # Read while a lock query ran on this connection: select()
                # would not wake for them.
                timeout = 0.0
            readable, _w, _x = select.select([control, self._wake_r], [], [], timeout)
            if control.notifies and control not in readable:
                readable.append(control)
            if self._wake_r in readable:
                os.read(self._wake_r, 4096)
                self.queue.write_results()
            if control in readable:
                control.poll()
                notifies, control.notifies[:] = list(control.notifies), []
                if any(n.channel == CONTROL_CHANNEL for n in notifies):
                    self._handle_control(notifies)
                    next_reconcile = 0.0
                if any(n.channel != CONTROL_CHANNEL for n in notifies):
                    self.queue.claim()

    # -- instances

    def _configured_instances(self):
        """``{id: (websocket URL, token)}`` of the instances to lead."""
        with self.work.cursor() as cr:
            cr.execute(CONFIGURED_INSTANCES_SQL)
            return {
                instance_id: (websocket_url(api_url), token)
                for instance_id, api_url, token in cr.fetchall()
            }

    def reconcile(self):
        """Lead what is configured and free; drop what no longer is."""
        wanted = self._configured_instances() if self._addon_installed() else {}
        for instance_id in list(self.locks.held):
            leader = self.leaders.get(instance_id)
            config_key = wanted.get(instance_id)
            if config_key is None:
                self._drop_leader(instance_id)
            elif leader and leader.config_key != config_key:
                _logger.info("HA instance %s configuration changed", instance_id)
                self._drop_leader(instance_id, unlock=False)
        standby = False
        for instance_id, (ws_url, token) in wanted.items():
            if instance_id in self.leaders:
                continue
            if not self.locks.try_lock(instance_id):
                standby = True
                continue
            self._start_leader(instance_id, ws_url, token)
        self._standby = standby
        self.queue.sweep()

    def _addon_installed(self):
        with self.work.cursor() as cr:
            cr.execute(
                "SELECT state FROM ir_module_module WHERE name = 'odoo_ha_addon'"
            )
            row = cr.fetchone()
        return bool(row and row[0] in ("installed", "to upgrade"))

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
        if unlock:
            self.locks.unlock(instance_id)

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
                        self.leaders.pop(instance_id).stop()
