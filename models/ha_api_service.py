"""``ha.api.call_service``: controlling entities, within the user's rights.

A call is accepted only on entities the user may see (record rules), of the
instance it targets, with a service of the entities' own domain taken from an
allow-list (HA's service domains that the entity controls use).
Numbers are clamped to the entity's limits; data keys that would widen the
target to other entities, areas or devices are refused.
"""

import json
import re

from odoo import _, api, fields, models

from .ha_api import DOMAIN_RE, ENTITY_ID_RE, HaApiError
from .ha_control_log import ORIGIN_KEYS

ON_OFF = frozenset({"turn_on", "turn_off", "toggle"})
SELECT = frozenset(
    {"select_option", "select_next", "select_previous", "select_first", "select_last"}
)
ALLOWED_SERVICES = {
    "light": ON_OFF,
    "switch": ON_OFF,
    "input_boolean": ON_OFF,
    "siren": ON_OFF,
    "fan": ON_OFF
    | {
        "set_percentage",
        "increase_speed",
        "decrease_speed",
        "oscillate",
        "set_direction",
        "set_preset_mode",
    },
    "cover": frozenset(
        {
            "open_cover",
            "close_cover",
            "stop_cover",
            "toggle",
            "set_cover_position",
            "open_cover_tilt",
            "close_cover_tilt",
            "stop_cover_tilt",
            "toggle_cover_tilt",
            "set_cover_tilt_position",
        }
    ),
    "climate": ON_OFF
    | {
        "set_temperature",
        "set_hvac_mode",
        "set_fan_mode",
        "set_preset_mode",
        "set_swing_mode",
        "set_swing_horizontal_mode",
        "set_humidity",
    },
    "lock": frozenset({"lock", "unlock", "open"}),
    "media_player": ON_OFF
    | {
        "volume_up",
        "volume_down",
        "volume_set",
        "volume_mute",
        "media_play_pause",
        "media_play",
        "media_pause",
        "media_stop",
        "media_next_track",
        "media_previous_track",
        "media_seek",
        "select_source",
        "select_sound_mode",
        "shuffle_set",
        "repeat_set",
    },
    "vacuum": frozenset(
        {"start", "pause", "stop", "return_to_base", "locate", "set_fan_speed"}
    ),
    "scene": frozenset({"turn_on"}),
    "script": ON_OFF,
    "automation": ON_OFF | {"trigger"},
    "input_number": frozenset({"set_value", "increment", "decrement"}),
    "number": frozenset({"set_value"}),
    "input_text": frozenset({"set_value"}),
    "text": frozenset({"set_value"}),
    "input_select": SELECT,
    "select": SELECT,
    "input_datetime": frozenset({"set_datetime"}),
    "date": frozenset({"set_value"}),
    "time": frozenset({"set_value"}),
    "datetime": frozenset({"set_value"}),
    "button": frozenset({"press"}),
    "input_button": frozenset({"press"}),
    "humidifier": ON_OFF | {"set_humidity", "set_mode"},
    "water_heater": frozenset(
        {
            "set_temperature",
            "set_operation_mode",
            "set_away_mode",
            "turn_on",
            "turn_off",
        }
    ),
    "valve": frozenset(
        {"open_valve", "close_valve", "stop_valve", "toggle", "set_valve_position"}
    ),
    "alarm_control_panel": frozenset(
        {
            "alarm_disarm",
            "alarm_arm_home",
            "alarm_arm_away",
            "alarm_arm_night",
            "alarm_arm_vacation",
            "alarm_trigger",
        }
    ),
    "remote": ON_OFF | {"send_command"},
    "lawn_mower": frozenset({"start_mowing", "pause", "dock"}),
    "todo": frozenset({"add_item"}),
    "update": frozenset({"install", "skip"}),
    "counter": frozenset({"increment", "decrement", "reset"}),
    "timer": frozenset({"start", "pause", "cancel", "finish"}),
    "tts": frozenset({"speak"}),
}
NO_DATA = (frozenset(), frozenset())
# Services whose data is a closed set of keys: (required, optional).
SERVICE_DATA_KEYS = {
    ("counter", "increment"): NO_DATA,
    ("counter", "decrement"): NO_DATA,
    ("counter", "reset"): NO_DATA,
    ("timer", "start"): (frozenset(), frozenset({"duration"})),
    ("timer", "pause"): NO_DATA,
    ("timer", "cancel"): NO_DATA,
    ("timer", "finish"): NO_DATA,
    ("tts", "speak"): (
        frozenset({"media_player_entity_id", "message"}),
        frozenset({"cache", "language", "options"}),
    ),
}
# Data keys that name more entities a service acts on, with their domain: the
# user must see them as well as the target.
ENTITY_DATA_KEYS = {("tts", "speak"): {"media_player_entity_id": "media_player"}}
# timer.start's duration: "HH:MM:SS" or "MM:SS" (HA also takes seconds).
DURATION_RE = re.compile(r"^\d{1,4}:[0-5]\d(:[0-5]\d)?$")
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$")
MAX_MESSAGE_LENGTH = 2000
# Keys that would reach entities, areas or devices other than the target.
FORBIDDEN_KEYS = frozenset(
    {
        "area_id",
        "device_id",
        "label_id",
        "floor_id",
        "target",
        "media_player_entity_id",
        "group_members",
    }
)
# Numeric data keys: (lower, upper); a string names the entity attribute.
CLAMPS = {
    "value": ("min", "max"),
    "temperature": ("min_temp", "max_temp"),
    "target_temp_low": ("min_temp", "max_temp"),
    "target_temp_high": ("min_temp", "max_temp"),
    "humidity": ("min_humidity", "max_humidity"),
    "brightness": (0, 255),
    "brightness_pct": (0, 100),
    "percentage": (0, 100),
    "position": (0, 100),
    "tilt_position": (0, 100),
    "volume_level": (0, 1),
    "color_temp_kelvin": ("min_color_temp_kelvin", "max_color_temp_kelvin"),
}
NUMERIC_VALUE_DOMAINS = ("input_number", "number")
MAX_DATA_SIZE = 8192


class HaApi(models.AbstractModel):
    _inherit = "ha.api"

    @api.model
    def _service_target(self, domain, service, service_data):
        """Validate the request shape; returns (entity ids, data without them)."""
        domain = self._to_str(domain, "domain", DOMAIN_RE, 64)
        service = self._to_str(service, "service", DOMAIN_RE, 64)
        if service_data in (None, False):
            service_data = {}
        if not isinstance(service_data, dict):
            raise HaApiError(
                _("service_data must be an object."), details={"field": "service_data"}
            )
        try:
            size = len(json.dumps(service_data))
        except (TypeError, ValueError) as err:
            raise HaApiError(
                _("service_data must be plain JSON."), details={"field": "service_data"}
            ) from err
        if size > MAX_DATA_SIZE:
            raise HaApiError(
                _("service_data is too large."), details={"field": "service_data"}
            )
        keys = SERVICE_DATA_KEYS.get((domain, service))
        if keys is not None:
            self._check_data_keys(keys, service_data)
        allowed = keys[0] | keys[1] if keys else frozenset()
        forbidden = FORBIDDEN_KEYS & (set(service_data) - allowed)
        if forbidden:
            raise HaApiError(
                _(
                    "service_data may not contain %(keys)s: only the entity itself "
                    "can be targeted.",
                    keys=", ".join(sorted(forbidden)),
                ),
                details={"field": "service_data"},
            )
        data = dict(service_data)
        if "entity_id" not in data:
            raise HaApiError(
                _("service_data.entity_id is required."),
                details={"field": "service_data.entity_id"},
            )
        entity_ids = self._to_str_list(
            data.pop("entity_id"), "service_data.entity_id", ENTITY_ID_RE, 50
        )
        if service not in ALLOWED_SERVICES.get(domain, ()):
            raise HaApiError(
                _(
                    "%(domain)s.%(service)s is not a service Odoo may call.",
                    domain=domain,
                    service=service,
                ),
                details={"field": "service"},
            )
        for entity_id in entity_ids:
            if entity_id.split(".", 1)[0] != domain:
                raise HaApiError(
                    _(
                        "%(entity)s is not a %(domain)s entity.",
                        entity=entity_id,
                        domain=domain,
                    ),
                    details={"field": "service_data.entity_id"},
                )
        linked_ids = {}
        for key, key_domain in ENTITY_DATA_KEYS.get((domain, service), {}).items():
            linked_ids[key] = self._to_str_list(
                data[key], f"service_data.{key}", ENTITY_ID_RE, 50
            )
            for entity_id in linked_ids[key]:
                if entity_id.split(".", 1)[0] != key_domain:
                    raise HaApiError(
                        _(
                            "%(entity)s is not a %(domain)s entity.",
                            entity=entity_id,
                            domain=key_domain,
                        ),
                        details={"field": f"service_data.{key}"},
                    )
            data[key] = linked_ids[key]
        self._check_data_values(data)
        return domain, service, entity_ids, data, linked_ids

    @api.model
    def _check_data_keys(self, keys, service_data):
        """``service_data`` (besides entity_id) holds exactly the keys allowed."""
        required, optional = keys
        given = set(service_data) - {"entity_id"}
        unknown = given - required - optional
        if unknown:
            raise HaApiError(
                _(
                    "service_data may not contain %(keys)s for this service.",
                    keys=", ".join(sorted(unknown)),
                ),
                details={"field": "service_data"},
            )
        missing = required - given
        if missing:
            raise HaApiError(
                _(
                    "service_data.%(key)s is required.",
                    key=", ".join(sorted(missing)),
                ),
                details={"field": "service_data"},
            )

    @api.model
    def _check_data_values(self, data):
        """Types of the data keys that only some services take."""
        if "duration" in data:
            duration = data["duration"]
            if not (
                (isinstance(duration, str) and DURATION_RE.match(duration))
                or (self._is_number(duration) and 0 <= duration <= 86400 * 366)
            ):
                raise HaApiError(
                    _(
                        "service_data.duration must be HH:MM:SS or a number of "
                        "seconds."
                    ),
                    details={"field": "service_data.duration"},
                )
        if "message" in data:
            message = data["message"]
            if (
                not isinstance(message, str)
                or not message.strip()
                or len(message) > MAX_MESSAGE_LENGTH
            ):
                raise HaApiError(
                    _(
                        "service_data.message must be a text of 1 to %(max)s "
                        "characters.",
                        max=MAX_MESSAGE_LENGTH,
                    ),
                    details={"field": "service_data.message"},
                )
        if "cache" in data and not isinstance(data["cache"], bool):
            raise HaApiError(
                _("service_data.cache must be true or false."),
                details={"field": "service_data.cache"},
            )
        if "language" in data and not (
            isinstance(data["language"], str) and LANGUAGE_RE.match(data["language"])
        ):
            raise HaApiError(
                _("service_data.language must be a language code such as en or en-US."),
                details={"field": "service_data.language"},
            )
        if "options" in data and not isinstance(data["options"], dict):
            raise HaApiError(
                _("service_data.options must be an object."),
                details={"field": "service_data.options"},
            )

    @api.model
    def _clamp_data(self, domain, data, entities):
        """Clamp numeric values to every target entity's limits."""
        for key, (low, high) in CLAMPS.items():
            if key not in data:
                continue
            value = data[key]
            if key == "value" and domain not in NUMERIC_VALUE_DOMAINS:
                continue
            if not self._is_number(value):
                raise HaApiError(
                    _("service_data.%(key)s must be a number.", key=key),
                    details={"field": f"service_data.{key}"},
                )
            for entity in entities:
                attributes = entity.attributes or {}
                bounds = []
                for bound in (low, high):
                    if isinstance(bound, str):
                        bound = attributes.get(bound)
                    bounds.append(bound if self._is_number(bound) else None)
                if bounds[0] is not None:
                    value = max(value, bounds[0])
                if bounds[1] is not None:
                    value = min(value, bounds[1])
            data[key] = value
        return data

    @api.model
    def _ha_call_logged(
        self, instance, entities, domain, service, data, origin, requested_at, targets
    ):
        """Call ``domain.service`` on ``targets`` (entity ids, in the caller's
        order), the ``entities`` the caller checked, and log the control in
        the audit trail; HA's result."""
        result = self._ha_call(
            instance,
            {
                "type": "call_service",
                "domain": domain,
                "service": service,
                "service_data": data,
                "target": {"entity_id": targets},
            },
        )
        self.env["ha.control.log"]._ha_record(
            entities, f"{domain}.{service}", data, result, origin, requested_at
        )
        return result

    @api.model
    def call_service(
        self, instance_id, domain, service, service_data, origin="backend"
    ):
        """Call ``domain.service`` on entities of the instance ``instance_id``
        that the user may see; the control is logged (``ha.control.log``)
        with its ``origin``: backend, portal, rule or api."""
        if origin not in ORIGIN_KEYS:
            raise HaApiError(
                _("Unknown origin %(origin)s.", origin=origin),
                details={"field": "origin"},
            )
        requested_at = fields.Datetime.now()
        domain, service, entity_ids, data, linked_ids = self._service_target(
            domain, service, service_data
        )
        # The entities named in the data (tts.speak's media players) go through
        # the same rights check as the targets, in the same query.
        linked = [eid for ids in linked_ids.values() for eid in ids]
        checked = list(dict.fromkeys(entity_ids + linked))
        instance, entities = self._validate_targets(instance_id, checked)
        if len(entities) != len(checked):
            raise HaApiError(
                _("You may not control %(entities)s.", entities=", ".join(checked)),
                "access_denied",
            )
        entities = entities.filtered(lambda entity: entity.entity_id in entity_ids)
        data = self._clamp_data(domain, data, entities)
        result = self._ha_call_logged(
            instance, entities, domain, service, data, origin, requested_at, entity_ids
        )
        return {
            "entity_ids": entity_ids,
            "service_data": data,
            "result": result,
        }
