"""Home Assistant WebSocket commands, as methods (no ``odoo`` import).

:class:`HassWsCommands` is mixed into
:class:`.hass_websocket_service.HassWebSocketClient`; every method builds one
command of HA's WebSocket API and sends it through ``self.call``, which returns
the ``result`` or raises the typed errors of :mod:`.ha_errors`.  Registry
writes (create/update/delete) need an admin token.
"""

from datetime import datetime, timezone

__all__ = ["HassWsCommands", "iso_time"]


def iso_time(value):
    """Format a datetime (naive = UTC) or pass an ISO-8601 string through."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, str) and value:
        return value
    raise ValueError("expected a datetime or an ISO-8601 string")


class HassWsCommands:
    """Command methods; the host class provides ``async call(payload, timeout)``."""

    async def get_states(self, timeout=None):
        return await self.call({"type": "get_states"}, timeout)

    async def get_config(self, timeout=None):
        return await self.call({"type": "get_config"}, timeout)

    async def get_services(self, timeout=None):
        return await self.call({"type": "get_services"}, timeout)

    async def call_service(
        self,
        domain,
        service,
        service_data=None,
        target=None,
        return_response=False,
        timeout=None,
    ):
        """``call_service``; HA answers only once the service has finished."""
        payload = {"type": "call_service", "domain": domain, "service": service}
        if service_data:
            payload["service_data"] = service_data
        if target:
            payload["target"] = target
        if return_response:
            payload["return_response"] = True
        return await self.call(payload, timeout)

    async def area_registry_list(self, timeout=None):
        return await self.call({"type": "config/area_registry/list"}, timeout)

    async def device_registry_list(self, timeout=None):
        return await self.call({"type": "config/device_registry/list"}, timeout)

    async def entity_registry_list(self, timeout=None):
        return await self.call({"type": "config/entity_registry/list"}, timeout)

    async def label_registry_list(self, timeout=None):
        return await self.call({"type": "config/label_registry/list"}, timeout)

    async def floor_registry_list(self, timeout=None):
        return await self.call({"type": "config/floor_registry/list"}, timeout)

    async def area_create(self, name, **fields):
        return await self.call(
            {"type": "config/area_registry/create", "name": name, **fields}
        )

    async def area_update(self, area_id, **changes):
        return await self.call(
            {"type": "config/area_registry/update", "area_id": area_id, **changes}
        )

    async def area_delete(self, area_id):
        return await self.call(
            {"type": "config/area_registry/delete", "area_id": area_id}
        )

    async def label_create(self, name, **fields):
        return await self.call(
            {"type": "config/label_registry/create", "name": name, **fields}
        )

    async def label_update(self, label_id, **changes):
        return await self.call(
            {"type": "config/label_registry/update", "label_id": label_id, **changes}
        )

    async def label_delete(self, label_id):
        return await self.call(
            {"type": "config/label_registry/delete", "label_id": label_id}
        )

    async def entity_registry_update(self, entity_id, **changes):
        return await self.call(
            {
                "type": "config/entity_registry/update",
                "entity_id": entity_id,
                **changes,
            }
        )

    async def device_registry_update(self, device_id, **changes):
        return await self.call(
            {
                "type": "config/device_registry/update",
                "device_id": device_id,
                **changes,
            }
        )

    async def history_during_period(
        self,
        start_time,
        end_time=None,
        entity_ids=(),
        include_start_time_state=True,
        significant_changes_only=False,
        minimal_response=False,
        no_attributes=False,
        timeout=None,
    ):
        """``history/history_during_period``: compressed rows per entity."""
        if isinstance(entity_ids, str):
            entity_ids = [entity_ids]
        payload = {
            "type": "history/history_during_period",
            "start_time": iso_time(start_time),
            "entity_ids": list(entity_ids),
            "include_start_time_state": include_start_time_state,
            "significant_changes_only": significant_changes_only,
            "minimal_response": minimal_response,
            "no_attributes": no_attributes,
        }
        if end_time is not None:
            payload["end_time"] = iso_time(end_time)
        return await self.call(payload, timeout)

    async def statistics_during_period(
        self,
        start_time,
        end_time,
        statistic_ids,
        period="hour",
        types=None,
        units=None,
        timeout=None,
    ):
        """``recorder/statistics_during_period``; start/end come back in ms."""
        payload = {
            "type": "recorder/statistics_during_period",
            "start_time": iso_time(start_time),
            "statistic_ids": list(statistic_ids),
            "period": period,
        }
        if end_time is not None:
            payload["end_time"] = iso_time(end_time)
        if types is not None:
            payload["types"] = list(types)
        if units:
            payload["units"] = dict(units)
        return await self.call(payload, timeout)

    async def search_related(self, item_type, item_id, timeout=None):
        """``search/related``: items related to an area, device, entity…"""
        return await self.call(
            {"type": "search/related", "item_type": item_type, "item_id": item_id},
            timeout,
        )
