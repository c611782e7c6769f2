"""HA events → short, coalesced ORM transactions (one thread per led instance).

The asyncio reader only appends to a queue (``push_*`` are cheap and never
block); this thread drains the queue in batches and applies each batch in one
transaction through the ``ha.instance`` methods ``_ha_apply_full_sync``,
``_ha_apply_registries``, ``_ha_apply_events`` and ``_ha_set_ws_status``.
Bus notifications sent by those methods leave on commit.
"""

import logging
import queue
import threading
import time

import odoo
from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

MAX_BATCH = 5000  # events per transaction
_STOP = object()


class InstanceDispatcher(threading.Thread):
    def __init__(self, dbname, instance_id):
        super().__init__(
            name=f"odoo_ha_addon.dispatch.{dbname}.{instance_id}", daemon=True
        )
        self.dbname = dbname
        self.instance_id = instance_id
        self._queue = queue.SimpleQueue()
        self.applied_events = 0  # diagnostics

    # -- producers (asyncio loop thread)

    def push_event(self, event):
        self._queue.put(("event", event))

    def push_full_sync(self, snapshot):
        self._queue.put(("full_sync", snapshot))

    def push_registries(self, lists):
        self._queue.put(("registries", lists))

    def push_status(self, status):
        self._queue.put(
            ("status", (status.state, status.message, status.ha_version, status.code))
        )

    def push_status_error(self, message):
        self._queue.put(("status", ("error", message, None, "crashed")))

    def stop(self, timeout=10):
        self._queue.put((_STOP, None))
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    # -- consumer

    def run(self):
        threading.current_thread().dbname = self.dbname
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(kind is _STOP for kind, _ in batch)
            self._process([item for item in batch if item[0] is not _STOP])
            if stop:
                return

    def _process(self, batch):
        # Consecutive events form one transaction; a full sync or a status
        # change is applied in its own, in arrival order.
        group = []
        for kind, value in batch:
            if kind == "event":
                group.append(value)
                continue
            if group:
                self._apply("_ha_apply_events", group)
                group = []
            if kind == "full_sync":
                self._apply("_ha_apply_full_sync", value)
            elif kind == "registries":
                self._apply("_ha_apply_registries", value)
            elif kind == "status":
                self._apply("_ha_set_ws_status", *value)
        if group:
            self._apply("_ha_apply_events", group)

    def _apply(self, method, *args):
        started = time.monotonic()
        try:
            registry = odoo.modules.registry.Registry(self.dbname).check_signaling()
            with registry.manage_changes(), registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"from_ha_sync": True})
                instance = env["ha.instance"].browse(self.instance_id).exists()
                if instance:
                    getattr(instance, method)(*args)
        except Exception:
            # Never let one bad batch stop the mirror; the next (re)connect
            # runs a full sync that repairs whatever this one missed.
            _logger.exception(
                "HA instance %s: %s failed", self.instance_id, method.lstrip("_")
            )
            return
        if method == "_ha_apply_events":
            self.applied_events += len(args[0])
        _logger.debug(
            "HA instance %s: %s in %.1f ms",
            self.instance_id,
            method,
            (time.monotonic() - started) * 1000,
        )
