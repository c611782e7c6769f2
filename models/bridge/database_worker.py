"""One database's thread: locks, reconciliation of instances, request queue.

The worker keeps one autocommit connection (the *control* connection): it
holds the presence and instance locks, LISTENs and runs the worker's queries.
The mirror's transactions go through the worker's one
:class:`.event_dispatcher.DatabaseDispatcher`, whatever the number of led
instances. The worker wakes on PostgreSQL ``NOTIFY`` — :data:`CONTROL_CHANNEL`
when an instance's URL, token or active flag changed, a restart was asked or a
process handed instances over, :data:`.request_queue.REQUEST_CHANNEL` when a
command was queued — on its self-pipe when an HA command finished, and every
``RECONCILE_EVERY`` seconds (``LOCK_RETRY`` while standing by) as a safety
net. When the database goes away it drops every leader (and, with its
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
from .event_dispatcher import DatabaseDispatcher
from .instance_leader import InstanceLeader
from .leader_locks import LOCK_RETRY, LeaderLocks, fair_share
from .process_policy import leader_identity
from .request_queue import QueueRunner

_logger = logging.getLogger(__name__)

RECONCILE_EVERY = 5.0  # seconds: safety net besides NOTIFY
# Seconds a new session waits before taking instances, so that processes
# started together (a prefork server's workers) see each other first.
STARTUP_GRACE = 0.5
CONTROL_CHANNEL = "odoo_ha_addon_control"
# Literal statement: channel names cannot be query parameters.
LISTEN_SQL = "LISTEN odoo_ha_addon_control; LISTEN odoo_ha_addon_request"
CONFIGURED_INSTANCES_SQL = """
    SELECT i.id, i.api_url, i.api_token
      FROM ha_instance i
     WHERE i.active
       AND coalesce(i.api_url, '') <> ''
       AND coalesce(i.api_token, '') <> ''
     ORDER BY i.id
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
        self.dispatcher = DatabaseDispatcher(dbname)
        self._standby = False  # some wanted instance is led elsewhere
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()

    @property
    def control(self):
        """The control connection (locks, LISTEN, queries)."""
        return self.locks.conn

    # -- lifecycle

    def inherited_fds(self):
        """Every descriptor this worker owns (see ``process_policy``)."""
        fds = [self._wake_r, self._wake_w, self.dispatcher.bus_fileno()]
        if self.control is not None and not self.control.closed:
            fds.append(self.control.fileno())
        for leader in list(self.leaders.values()):
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
        self.dispatcher.start()
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
                self.release_all(leaving=self._stopping.is_set())
            if self._stopping.is_set():
                break
            delay = min(30.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
            attempt += 1
            self._stopping.wait(delay)
        self.dispatcher.stop()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def connect(self):
        self.locks.conn = connect_autocommit(self.dbname)
        with self.control.cursor() as cr:
            cr.execute(LISTEN_SQL)
        self.locks.announce()

    def release_all(self, leaving=False):
        """Stop every leader and close the connection (ending the locks).

        ``leaving``: this process stops (an Odoo worker recycled by its
        memory or request limit, a server shutting down) while its database
        is fine. Once its HA connections are closed it drops its presence and
        its instances together, so the others count it out (and may take more
        than their share), and says so: the instances are led again at once
        rather than at the next reconciliation. What it had not applied yet
        comes with their next leaders' full sync and history catch-up.
        """
        leaving = leaving and self.control is not None and not self.control.closed
        handed = sorted(self.locks.held) if leaving else []
        self._drop_leaders(list(self.leaders), unlock=False)
        if leaving:
            try:
                self.locks.withdraw()
                self._notify_released(handed)
            except psycopg2.Error:
                _logger.debug("handing over on a broken connection", exc_info=True)
        if self.control is not None:
            try:
                self.control.close()  # ends the session: every lock is released
            except psycopg2.Error:
                _logger.debug("closing a broken connection", exc_info=True)
        self.locks.forget()
        if handed:
            _logger.info(
                "HA: %s stops and hands %s instance(s) over",
                leader_identity(),
                len(handed),
            )

    def serve(self):
        next_reconcile = time.monotonic() + STARTUP_GRACE
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
                # Read while a query ran on this connection: select() would
                # not wake for them.
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
                    next_reconcile = min(next_reconcile, time.monotonic())
                if any(n.channel != CONTROL_CHANNEL for n in notifies):
                    self.queue.claim()

    # -- instances

    def _configured_instances(self):
        """``{id: (websocket URL, token)}`` of the instances to lead, by id."""
        with self.control.cursor() as cr:
            cr.execute(CONFIGURED_INSTANCES_SQL)
            return {
                instance_id: (websocket_url(api_url), token)
                for instance_id, api_url, token in cr.fetchall()
            }

    def reconcile(self):
        """Lead our fair share of what is configured; drop what no longer is."""
        wanted = self._configured_instances() if self._addon_installed() else {}
        for instance_id in list(self.locks.held):
            leader = self.leaders.get(instance_id)
            config_key = wanted.get(instance_id)
            if config_key is None:
                self._drop_leader(instance_id)
            elif leader and leader.config_key != config_key:
                _logger.info("HA instance %s configuration changed", instance_id)
                self._drop_leader(instance_id, unlock=False)
        share = fair_share(len(wanted), self.locks.live_processes())
        self._hand_over(len(self.locks.held) - (share + 1))
        # Locked but not running (a restart or a configuration change): go on.
        for instance_id in sorted(self.locks.held - set(self.leaders)):
            self._start_leader(instance_id, *wanted[instance_id])
        unled = [i for i in wanted if i not in self.locks.held]
        free = set(unled) - self.locks.led_elsewhere(unled) if unled else set()
        for instance_id in sorted(free):
            if len(self.locks.held) > share:
                break
            if self.locks.try_lock(instance_id):
                self._start_leader(instance_id, *wanted[instance_id])
        self._standby = bool(set(unled) - self.locks.held)
        self.queue.sweep()

    def _hand_over(self, surplus):
        """Let go of ``surplus`` led instances (a process joined) and say so,
        so that the processes under their share take them at once."""
        if surplus <= 0:
            return
        released = sorted(self.locks.held, reverse=True)[:surplus]
        self._drop_leaders(released)
        _logger.info(
            "HA: %s hands %s instance(s) over to other processes",
            leader_identity(),
            len(released),
        )
        self._notify_released(released)

    def _notify_released(self, ids):
        """Tell every process that ``ids`` are free: they reconcile at once."""
        if not ids:
            return
        with self.control.cursor() as cr:
            cr.execute(
                "SELECT pg_notify(%s, %s)",
                (CONTROL_CHANNEL, json.dumps({"action": "released", "ids": ids})),
            )

    def _addon_installed(self):
        with self.control.cursor() as cr:
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
            self.dispatcher.feed(instance_id), ws_url, token, self.loop_thread
        )
        self.leaders[instance_id] = leader
        leader.start()

    def _drop_leader(self, instance_id, unlock=True):
        self._drop_leaders([instance_id], unlock)

    def _drop_leaders(self, instance_ids, unlock=True):
        """Stop these leaders, their HA clients closing concurrently, then
        let go of their locks. Their unapplied queue is left to whoever
        leads them next (see ``InstanceFeed.stop``): nothing here waits for
        this process's mirror backlog."""
        leaders = [self.leaders.pop(i) for i in instance_ids if i in self.leaders]
        for leader in leaders:
            leader.request_stop()
        for leader in leaders:
            leader.stop()
        if unlock:
            for instance_id in instance_ids:
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
