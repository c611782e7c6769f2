"""Which Odoo process may hold HA connections, and what a fork inherits.

Only a serving process runs a supervisor: a threaded server with its HTTP
server up, or a prefork HTTP worker. Never a prefork cron worker (it runs
the cron jobs, the automation rules' actions among them, at a lower
priority), nor the prefork master (every worker it
forks would inherit its sockets and keep the lock's session alive after the
master died), the gevent process (asyncio and gevent patching do not mix),
``--stop-after-init`` runs, shells or tests. ``ODOO_HA_SUPERVISOR=0`` turns it
off by hand.
"""

import atexit
import logging
import os
import socket
import sys

import odoo
from odoo.tools import config

_logger = logging.getLogger(__name__)


def leader_identity():
    """``host:pid`` of this process, as shown in ``ha.instance.ws_leader``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def supervisor_enabled():
    """Whether this process may hold HA connections."""
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
        # Its workers run the supervisor (see _after_fork).
        return os.getpid() != current.pid
    return isinstance(current, odoo_server.ThreadedServer) and bool(
        getattr(current, "httpd", None)
    )


def in_prefork_worker():
    from odoo.service import server as odoo_server

    return isinstance(odoo_server.server, odoo_server.PreforkServer)


def _forking_cron_worker():
    """Whether this fork is a prefork cron worker's: it runs the cron jobs
    (the automation rules' actions among them) at a lower priority, and
    leads no instance, so that neither holds up the mirror. Read from the
    spawning frame: the worker class is known there only."""
    from odoo.service import server as odoo_server

    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is odoo_server.PreforkServer.worker_spawn.__code__:
            klass = frame.f_locals.get("klass")
            return isinstance(klass, type) and issubclass(klass, odoo_server.WorkerCron)
        frame = frame.f_back
    return False


# Supervisors inherited from a parent: kept so nothing ever closes (writes to)
# their descriptors, which now point at /dev/null.
_inherited = []


def _after_fork():
    """In a forked child: forget the parent's supervisor, start our own.

    A prefork worker starts its supervisor here: ``post_load`` ran in the
    master (before the fork) and will not run again. Any other fork only drops
    the parent's objects; their descriptors are pointed at /dev/null so the
    child cannot keep the parent's sessions or HA connections alive.
    """
    from . import supervisor

    parents = supervisor.forget_after_fork()
    if parents is not None:
        _inherited.append(parents)
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            for fd in parents.inherited_fds():
                try:
                    os.dup2(devnull, fd)
                except OSError:
                    _logger.debug("fd %s already closed", fd)
        finally:
            os.close(devnull)
    if in_prefork_worker() and not _forking_cron_worker():
        supervisor.start_supervisor()
        # A worker Odoo recycles (memory or request limit) ends with
        # sys.exit(), which runs this: its instances are handed over at once.
        # SIGTERM / SIGKILL skip it; the dead session frees the locks then.
        atexit.register(supervisor.stop_supervisor)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
