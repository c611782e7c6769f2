"""One led instance: its HA client on the loop thread, feeding the dispatcher.

On every (re)connect the leader subscribes (once: the client restores its
subscriptions itself) and then reads the full picture, which the dispatcher
applies as one full sync. Registry events carry ids only, so a burst of them
triggers one re-read of the registries concerned.
"""

import asyncio
import logging

from ..common import ha_errors
from ..common.ha_registry_kinds import BY_EVENT_TYPE, SNAPSHOT_COMMANDS
from ..common.hass_websocket_service import HassWebSocketClient
from ..ha_entity import BACKFILL_BATCH, BACKFILL_TIMEOUT
from .odoo_contexts import odoo_contexts

_logger = logging.getLogger(__name__)

REGISTRY_REFETCH_DELAY = 0.3  # seconds: coalesces a burst of registry events


class InstanceLeader:
    """This process holds the lock of one instance: its HA client.

    ``feed`` is the instance's :class:`.instance_feed.InstanceFeed`.
    """

    def __init__(self, feed, ws_url, token, loop_thread):
        self.instance_id = feed.instance_id
        self.config_key = (ws_url, token)
        self.loop_thread = loop_thread
        self.feed = feed
        self.client = HassWebSocketClient(
            ws_url,
            token,
            on_connect=self._on_connect,
            on_status=self.feed.push_status,
        )
        self._future = None
        self._stop_event = None
        self._dirty_registries = set()  # sync keys of registries to re-read
        self._refetch_handle = None
        self._subscribed = False

    def start(self):
        # Made here, not in _run: a stop asked before _run starts must hold.
        self._stop_event = asyncio.Event()
        self._future = self.loop_thread.submit(self._run())

    async def _run(self):
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
            self.feed.push_status_error("client crashed, see the server log")

    async def _on_connect(self, client):
        # Subscribe first, then read the full picture: an event newer than the
        # snapshot wins in the ORM by HA's last_updated, whatever the order.
        if not self._subscribed:
            self._subscribed = True
            await client.subscribe_events("state_changed", self.feed.push_event)
            for event_type in BY_EVENT_TYPE:
                await client.subscribe_events(event_type, self._on_registry_event)
        self.feed.push_full_sync(
            await self._fetch_snapshot(client), catch_up=self.request_catch_up
        )

    def request_catch_up(self, start, entity_ids):
        """Fetch the history of ``entity_ids`` since ``start`` (any thread)."""
        self.loop_thread.submit(self._catch_up(start, entity_ids))

    async def _catch_up(self, start, entity_ids):
        # The changes made while no process was connected: the snapshot has
        # each entity's last state, the recorded history wants every one.
        rows = {}
        try:
            for offset in range(0, len(entity_ids), BACKFILL_BATCH):
                part = await self.client.history_during_period(
                    start,
                    entity_ids=entity_ids[offset : offset + BACKFILL_BATCH],
                    include_start_time_state=False,
                    timeout=BACKFILL_TIMEOUT,
                )
                rows.update(part or {})
        except Exception as err:  # noqa: BLE001 - logged; live events go on
            _logger.warning(
                "HA instance %s: history since %s not caught up: %s",
                self.instance_id,
                start,
                err,
            )
            return
        self.feed.push_history(rows, start)  # even empty: the gap is closed

    def _on_registry_event(self, event):
        # Re-read the whole registry, once per burst (HA sends many events
        # when e.g. an integration reloads).
        registry = BY_EVENT_TYPE.get(event.get("event_type"))
        if registry is None:
            return
        self._dirty_registries.add(registry)
        if self._refetch_handle is None:
            loop = asyncio.get_running_loop()
            self._refetch_handle = loop.call_later(
                REGISTRY_REFETCH_DELAY, lambda: asyncio.ensure_future(self._refetch())
            )

    async def _refetch(self):
        registries, self._dirty_registries = list(self._dirty_registries), set()
        self._refetch_handle = None
        try:
            results = await asyncio.gather(
                *(
                    self.client.call({"type": registry.command})
                    for registry in registries
                )
            )
        except Exception as err:  # noqa: BLE001 - the next reconnect resyncs all
            _logger.warning("HA registry refresh failed: %s", err)
            return
        self.feed.push_registries(
            {
                registry.sync_key: result
                for registry, result in zip(registries, results, strict=True)
            }
        )

    @staticmethod
    async def _fetch_snapshot(client):
        """``{snapshot key: result}`` of every command of a full sync."""
        keys = list(SNAPSHOT_COMMANDS)
        results = await asyncio.gather(
            *(client.call({"type": SNAPSHOT_COMMANDS[key]}) for key in keys)
        )
        return dict(zip(keys, results, strict=True))

    async def call(self, payload, timeout):
        """Run one command on this instance's connection."""
        result = await self.client.call(payload, timeout=timeout)
        odoo_contexts.remember(payload, result)
        return result

    def request_stop(self):
        """Start closing the HA connection; returns at once (any thread)."""
        if self._stop_event is not None:
            self.loop_thread.loop.call_soon_threadsafe(self._stop_event.set)

    def wait_closed(self, timeout=6):
        """Wait until the HA client has stopped (after ``request_stop``)."""
        if self._future is not None:
            try:
                self._future.result(timeout=timeout)
            except Exception:  # noqa: BLE001 - stopping: report, never raise
                _logger.debug("HA client stop", exc_info=True)

    def stop(self):
        self.request_stop()
        self.wait_closed()
        self.feed.stop()
