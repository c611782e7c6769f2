"""Reading routes of ``ha.api``: the Odoo mirror, history and statistics.

Everything here reads the mirror as the calling user (record rules apply) and
never triggers a sync; only ``entity_related`` and ``statistics`` ask Home
Assistant, through the request queue, and ``camera_snapshot`` over REST.
"""

import base64
from datetime import datetime, timedelta

from odoo import _, api, models

from .common.hass_rest_api import HassRestApi
from .ha_api import DOMAIN_RE, ENTITY_ID_RE, HaApiError, iso

UNASSIGNED_ICON = "mdi:help-circle-outline"
STAT_PERIODS = ("5minute", "hour", "day", "week", "month")
STAT_TYPES = ("sum", "change", "mean", "min", "max", "state", "last_reset")
MAX_RANGE = timedelta(days=366)
CAMERA_TIMEOUT = 10.0


def entity_dict(entity):
    return {
        "id": entity.id,
        "entity_id": entity.entity_id,
        "name": entity.name or entity.entity_id,
        "domain": entity.domain,
        "entity_state": entity.entity_state,
        "last_changed": iso(entity.last_changed),
        "last_updated": iso(entity.last_updated),
        "attributes": entity.attributes or {},
        "area_id": entity.display_area_id.id or False,
        "device_id": entity.device_id.id or False,
    }


def device_dict(device):
    return {
        "id": device.id,
        "device_id": device.device_id,
        "name": device.display_name,
        "name_by_user": device.name_by_user or False,
        "manufacturer": device.manufacturer or False,
        "model": device.model or False,
        "sw_version": device.sw_version or False,
        "area_id": device.area_id.id or False,
    }


def ref_dict(record):
    return {"id": record.id, "name": record.display_name} if record else False


class HaApi(models.AbstractModel):
    _inherit = "ha.api"

    # -- areas and entities ---------------------------------------------------------

    @api.model
    def get_areas(self, instance):
        """The instance's areas from the mirror (never syncs)."""
        areas = self.env["ha.area"].search([("ha_instance_id", "=", instance.id)])
        counts = dict(
            self.env["ha.entity"]._read_group(
                [("display_area_id", "in", areas.ids)],
                ["display_area_id"],
                ["__count"],
            )
        )
        return [
            {
                "id": area.id,
                "area_id": area.area_id,
                "name": area.name,
                "icon": area.icon or False,
                "entity_count": counts.get(area, 0),
            }
            for area in areas
        ]

    @api.model
    def _area(self, instance, area_id, allow_unassigned=False):
        """The visible area ``area_id`` of ``instance`` (empty for unassigned)."""
        if allow_unassigned and area_id in (None, False, 0, "0", "unassigned"):
            return self.env["ha.area"]
        area_id = self._to_id(area_id, "area_id")
        area = self.env["ha.area"].search(
            [("id", "=", area_id), ("ha_instance_id", "=", instance.id)]
        )
        if not area:
            raise HaApiError(
                _("Area %(id)s was not found.", id=area_id),
                "not_found",
                {"area_id": area_id},
            )
        return area

    @api.model
    def entities_by_area(self, instance, area_id):
        area = self._area(instance, area_id)
        entities = self.env["ha.entity"].search(
            [("ha_instance_id", "=", instance.id), ("display_area_id", "=", area.id)]
        )
        return [entity_dict(entity) for entity in entities]

    @api.model
    def area_dashboard_data(self, instance, area_id):
        """Devices of the area with their entities, then the area's other entities.

        An entity shown under its device but living in another area carries
        ``area_override``; an entity of this area whose device is elsewhere is
        standalone with ``source_device``.
        """
        area = self._area(instance, area_id, allow_unassigned=True)
        Entity = self.env["ha.entity"]
        devices = self.env["ha.device"].search(
            [("ha_instance_id", "=", instance.id), ("area_id", "=", area.id)]
        )
        device_entities = Entity.search([("device_id", "in", devices.ids)])
        area_entities = Entity.search(
            [("ha_instance_id", "=", instance.id), ("display_area_id", "=", area.id)]
        )
        by_device = {}
        for entity in device_entities:
            data = entity_dict(entity)
            data["area_override"] = (
                ref_dict(entity.display_area_id)
                if entity.display_area_id != area
                else False
            )
            by_device.setdefault(entity.device_id.id, []).append(data)
        standalone = []
        for entity in area_entities - device_entities:
            data = entity_dict(entity)
            data["source_device"] = ref_dict(entity.device_id)
            standalone.append(data)
        if area:
            area_data = {
                "id": area.id,
                "area_id": area.area_id,
                "name": area.name,
                "icon": area.icon or False,
            }
        else:
            area_data = {
                "id": 0,
                "area_id": False,
                "name": _("Unassigned"),
                "icon": UNASSIGNED_ICON,
            }
        return {
            "area": area_data,
            "devices": [
                dict(device_dict(device), entities=by_device.get(device.id, []))
                for device in devices
            ],
            "standalone_entities": standalone,
        }

    @api.model
    def ha_data(self, instance, domain=None, area_id=None, entity_ids=None):
        """The instance's visible entities and states, optionally filtered."""
        search = [("ha_instance_id", "=", instance.id)]
        if domain not in (None, False, ""):
            search.append(
                ("domain", "in", self._to_str_list(domain, "domain", DOMAIN_RE))
            )
        if area_id not in (None, False, ""):
            area = self._area(instance, area_id, allow_unassigned=True)
            search.append(("display_area_id", "=", area.id))
        if entity_ids not in (None, False):
            search += self._to_entity_refs(entity_ids)
        entities = self.env["ha.entity"].search(search)
        return {
            "ha_instance_id": instance.id,
            "count": len(entities),
            "entities": [entity_dict(entity) for entity in entities],
        }

    # -- glances (from the mirror) ---------------------------------------------------

    @staticmethod
    def _is_glances(device):
        identifiers = device.identifiers or []
        return any(
            isinstance(item, list) and item and item[0] == "glances"
            for item in identifiers
        )

    @api.model
    def glances_devices(self, instance):
        devices = self.env["ha.device"].search([("ha_instance_id", "=", instance.id)])
        return [
            {
                "id": device.device_id,
                "name": device.display_name,
                "model": device.model or False,
                "manufacturer": device.manufacturer or False,
                "sw_version": device.sw_version or False,
                "config_entry_id": device.primary_config_entry
                or (device.config_entries or [False])[0],
                "area_id": device.area_id.area_id or False,
            }
            for device in devices
            if self._is_glances(device)
        ]

    @api.model
    def glances_device_entities(self, instance, device_id):
        device_id = self._to_str(device_id, "device_id")
        device = self.env["ha.device"].search(
            [("ha_instance_id", "=", instance.id), ("device_id", "=", device_id)]
        )
        if not device:
            raise HaApiError(
                _("Device %(id)s was not found.", id=device_id[:80]),
                "not_found",
                {"device_id": device_id[:80]},
            )
        rows = []
        for entity in self.env["ha.entity"].search([("device_id", "=", device.id)]):
            attributes = entity.attributes or {}
            rows.append(
                {
                    "entity_id": entity.entity_id,
                    "name": entity.name or entity.entity_id,
                    "state": entity.entity_state,
                    "unit_of_measurement": attributes.get("unit_of_measurement"),
                    "device_class": attributes.get("device_class"),
                    "icon": attributes.get("icon"),
                    "state_class": attributes.get("state_class"),
                    "last_changed": iso(entity.last_changed),
                    "last_updated": iso(entity.last_updated),
                    "attributes": attributes,
                }
            )
        rows.sort(key=lambda r: (str(r["device_class"] or ""), r["name"]))
        return rows

    # -- related records (asks HA, returns only what the user may see) ----------------

    @api.model
    def entity_related(self, instance, entity_id):
        entity_id = self._to_str(entity_id, "entity_id", ENTITY_ID_RE)
        entity = self.env["ha.entity"].search(
            [("ha_instance_id", "=", instance.id), ("entity_id", "=", entity_id)]
        )
        if not entity:
            raise HaApiError(
                _("Entity %(id)s was not found.", id=entity_id),
                "not_found",
                {"entity_id": entity_id},
            )
        result = self._ha_call(
            instance,
            {"type": "search/related", "item_type": "entity", "item_id": entity_id},
        )
        result = result if isinstance(result, dict) else {}

        def ids(key):
            value = result.get(key) or []
            return (
                [v for v in value if isinstance(v, str)]
                if isinstance(value, list)
                else []
            )

        on_instance = [("ha_instance_id", "=", instance.id)]
        areas = self.env["ha.area"].search(
            on_instance + [("area_id", "in", ids("area"))]
        )
        devices = self.env["ha.device"].search(
            on_instance + [("device_id", "in", ids("device"))]
        )
        labels = self.env["ha.label"].search(
            on_instance + [("label_id", "in", ids("label"))]
        )

        def entities(key):
            found = self.env["ha.entity"].search(
                on_instance + [("entity_id", "in", ids(key))]
            )
            return [
                {
                    "id": e.id,
                    "entity_id": e.entity_id,
                    "name": e.name or e.entity_id,
                    "state": e.entity_state or False,
                    "icon": (e.attributes or {}).get("icon") or False,
                }
                for e in found
            ]

        area, device = areas[:1], devices[:1]
        return {
            "area": dict(ref_dict(area), icon=area.icon or False) if area else False,
            "device": dict(
                ref_dict(device),
                manufacturer=device.manufacturer or False,
                model=device.model or False,
            )
            if device
            else False,
            "labels": [
                dict(
                    ref_dict(label),
                    icon=label.icon or False,
                    color=label.ha_color or False,
                )
                for label in labels
            ],
            "automations": entities("automation"),
            "scenes": entities("scene"),
            "scripts": entities("script"),
        }

    # -- charts ------------------------------------------------------------------

    @api.model
    def _time_range(self, start_time, end_time, default_hours=24):
        end = self._to_datetime(end_time, "end_time", datetime.utcnow())
        start = self._to_datetime(
            start_time, "start_time", end - timedelta(hours=default_hours)
        )
        if end <= start or end - start > MAX_RANGE:
            raise HaApiError(
                _("The time range must be positive and at most 366 days."),
                details={"field": "start_time"},
            )
        return start, end

    @api.model
    def history(
        self, instance, entity_ids, start_time=None, end_time=None, max_points=None
    ):
        """Downsampled history of visible entities (``get_chart_data``)."""
        refs = self._to_entity_refs(entity_ids, max_items=200)
        start, end = self._time_range(start_time, end_time)
        max_points = self._to_int(max_points, "max_points", 500, 2, 5000)
        domain = [("ha_instance_id", "=", instance.id)] + refs
        return self.env["ha.entity.history"].get_chart_data(
            domain, start, end, max_points
        )

    @api.model
    def statistics(
        self,
        instance,
        statistic_ids,
        start_time=None,
        end_time=None,
        period=None,
        types=None,
    ):
        """Long-term statistics of visible entities, from HA's recorder."""
        wanted = self._to_str_list(statistic_ids, "statistic_ids", ENTITY_ID_RE, 50)
        start, end = self._time_range(start_time, end_time, default_hours=24 * 7)
        period = period or "hour"
        if period not in STAT_PERIODS:
            raise HaApiError(
                _("period must be one of %(values)s.", values=", ".join(STAT_PERIODS)),
                details={"field": "period"},
            )
        payload_types = None
        if types not in (None, False):
            payload_types = self._to_str_list(types, "types", max_items=len(STAT_TYPES))
            if set(payload_types) - set(STAT_TYPES):
                raise HaApiError(
                    _("types must be among %(values)s.", values=", ".join(STAT_TYPES)),
                    details={"field": "types"},
                )
        visible = self.env["ha.entity"].search(
            [("ha_instance_id", "=", instance.id), ("entity_id", "in", wanted)]
        )
        if len(visible) != len(wanted):
            raise HaApiError(
                _("You may not read the statistics of some of these entities."),
                "access_denied",
            )
        payload = {
            "type": "recorder/statistics_during_period",
            "start_time": start.isoformat() + "+00:00",
            "end_time": end.isoformat() + "+00:00",
            "statistic_ids": wanted,
            "period": period,
        }
        if payload_types:
            payload["types"] = payload_types
        return self._ha_call(instance, payload, timeout=30.0)

    # -- camera ------------------------------------------------------------------

    @api.model
    def camera_snapshot(self, instance, entity_id):
        """The current image of a camera the user may see, fetched by the server.

        ``GET /api/camera_proxy/<entity_id>`` with the instance's token: the
        browser never talks to Home Assistant and never sees the token.
        Returns ``{content_type, image}`` (base64).
        """
        entity_id = self._to_str(entity_id, "entity_id", ENTITY_ID_RE)
        if not entity_id.startswith("camera."):
            raise HaApiError(
                _("%(id)s is not a camera.", id=entity_id),
                details={"field": "entity_id"},
            )
        # As the user: record rules decide whether this camera is visible.
        entity = self.env["ha.entity"].search(
            [("ha_instance_id", "=", instance.id), ("entity_id", "=", entity_id)],
            limit=1,
        )
        if not entity:
            raise HaApiError(
                _("Entity %(id)s was not found.", id=entity_id),
                "not_found",
                {"entity_id": entity_id},
            )
        # sudo: the token is manager-only; it is used here and never returned.
        config = instance.sudo()
        with HassRestApi(
            config.api_url, config.api_token, timeout=CAMERA_TIMEOUT
        ) as client:
            content_type, data = client.camera_proxy(entity_id)
        return {
            "content_type": content_type,
            "image": base64.b64encode(data).decode("ascii"),
        }
