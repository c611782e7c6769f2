"""Subscriptions of the Home Assistant WebSocket client (no ``odoo`` import).

A :class:`Subscription` survives reconnects: :class:`HassWsSubscriptions`
(mixed into :class:`.hass_websocket_service.HassWebSocketClient`) sends it
again with a new id on every new connection, once per connection.
"""

import logging

from .ha_entity_diff import EntityStateMirror
from .ha_errors import HaError, HaUnreachableError

_logger = logging.getLogger(__name__.rpartition(".")[0] + ".hass_websocket_service")


class Subscription:
    """Handle returned by the ``subscribe_*`` methods."""

    __slots__ = (
        "_client",
        "message",
        "deliver",
        "id",
        "active",
        "mirror",
        "generation",
    )

    def __init__(self, client, message, deliver, mirror=None):
        self._client = client
        self.message = message
        self.deliver = deliver
        self.mirror = mirror
        self.id = None
        self.active = False
        self.generation = 0  # client.connections when last sent

    async def unsubscribe(self):
        """Stop the subscription (also for future reconnects)."""
        await self._client._unsubscribe(self)

    def __repr__(self):
        return f"<Subscription {self.message.get('type')} id={self.id}>"


class HassWsSubscriptions:
    """``subscribe_*`` of the client, and their restoring after a reconnect."""

    async def subscribe_events(self, event_type, handler):
        """Call ``handler(event)`` for every event of ``event_type``.

        ``event_type=None`` subscribes to all events (admin token only).
        Returns a :class:`Subscription`; it survives reconnects.
        """
        message = {"type": "subscribe_events"}
        if event_type is not None:
            message["event_type"] = event_type
        return await self._add_subscription(Subscription(self, message, handler))

    async def subscribe_entities(self, handler, entity_ids=None):
        """Call ``handler(entity_id, state)`` for every state change.

        ``state`` is a full state dict shaped like ``get_states`` items
        (without ``last_reported``), or ``None`` when the entity was removed.
        After a reconnect the new snapshot is compared with the mirror, so
        entities removed while offline are reported as ``None`` too.
        """
        message = {"type": "subscribe_entities"}
        if entity_ids is not None:
            message["entity_ids"] = list(entity_ids)
        mirror = EntityStateMirror(handler)
        sub = Subscription(self, message, mirror.feed, mirror)
        return await self._add_subscription(sub)

    async def _add_subscription(self, sub):
        self._subscriptions.append(sub)
        if self.connected and sub.generation != self.connections:
            try:
                await self._subscribe(sub)
            except HaError as err:
                if not isinstance(err, HaUnreachableError):
                    self._subscriptions.remove(sub)
                    raise
                # lost the connection: restored by the next session
        return sub

    async def _subscribe(self, sub):
        sub.generation = self.connections
        msg_id, future = await self._send(sub.message, sub)
        try:
            await self._wait(msg_id, future, sub.message["type"], None)
        except HaError:
            self._handlers.pop(msg_id, None)
            raise
        sub.active = True

    async def _restore_subscriptions(self):
        # subscriptions added meanwhile are sent by _add_subscription or by
        # the next round here, never twice on one connection (generation)
        generation = self.connections
        while True:
            todo = [s for s in self._subscriptions if s.generation != generation]
            if not todo:
                return
            for sub in todo:
                if sub.generation == generation:
                    continue
                if sub.mirror is not None:
                    sub.mirror.expect_snapshot()
                try:
                    await self._subscribe(sub)
                except HaError as err:
                    if not self.connected:
                        raise
                    _logger.error("cannot restore %r: %s", sub, err)

    async def _unsubscribe(self, sub):
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)
        if sub.id is not None:
            self._handlers.pop(sub.id, None)
        if sub.active and self.connected:
            sub.active = False
            try:
                await self.call({"type": "unsubscribe_events", "subscription": sub.id})
            except HaError as err:
                _logger.debug("unsubscribe of %r failed: %s", sub, err)
        sub.active = False
