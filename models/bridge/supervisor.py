"""This process's supervisor: one asyncio loop thread, one worker per database.

``hooks.post_load`` calls :func:`start_supervisor` once per process (it does
nothing where :func:`.process_policy.supervisor_enabled` says no); each
registry that loads the addon registers its database
(``ha.instance._register_hook``), which gets a
:class:`.database_worker.DatabaseWorker`. The loop thread runs every HA client
of the process and does network I/O only.
"""

import asyncio
import logging
import os
import threading

from .database_worker import RECONCILE_EVERY, DatabaseWorker
from .process_policy import supervisor_enabled

_logger = logging.getLogger(__name__)

_supervisor = None
_supervisor_lock = threading.Lock()
_registered_dbs = set()


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


def forget_after_fork():
    """Drop the parent's supervisor in a forked child; returns it."""
    global _supervisor
    supervisor, _supervisor = _supervisor, None
    return supervisor


def register_database(dbname):
    """A registry with this addon was loaded for ``dbname`` in this process."""
    with _supervisor_lock:
        _registered_dbs.add(dbname)
    _tell_supervisor("add_database", dbname)


def stop_database(dbname):
    """Stop every HA connection this process holds for ``dbname``."""
    with _supervisor_lock:
        _registered_dbs.discard(dbname)
    _tell_supervisor("remove_database", dbname)


def _tell_supervisor(method, dbname):
    # Both methods are idempotent: a supervisor started meanwhile (which adds
    # every registered database itself) may hear it twice.
    supervisor = _supervisor
    if supervisor is not None:
        getattr(supervisor, method)(dbname)


def local_leader(dbname, instance_id):
    """The :class:`.instance_leader.InstanceLeader` of this process, if any."""
    supervisor = _supervisor
    if supervisor is None:
        return None
    worker = supervisor.workers.get(dbname)
    return worker.leaders.get(instance_id) if worker else None


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
        """Run ``coro`` on the loop; returns a concurrent future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)

    def inherited_fds(self):
        """The loop's selector and self-pipe (see ``process_policy``)."""
        fds = []
        selector = getattr(self.loop, "_selector", None)
        if selector is not None:
            fds.append(selector.fileno())
        for name in ("_ssock", "_csock"):
            sock = getattr(self.loop, name, None)
            if sock is not None:
                fds.append(sock.fileno())
        return fds


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

    def remove_database(self, dbname):
        self._pending.discard(dbname)
        worker = self.workers.pop(dbname, None)
        if worker is not None:
            worker.stop()

    def inherited_fds(self):
        """Every descriptor this supervisor owns (see ``process_policy``)."""
        fds = self.loop_thread.inherited_fds()
        for worker in list(self.workers.values()):
            fds.extend(worker.inherited_fds())
        return [fd for fd in fds if isinstance(fd, int) and fd >= 0]

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
