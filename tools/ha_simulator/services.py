"""Service registry of the simulated home: descriptions and per-domain semantics."""

import colorsys
import time

ON_OFF = ("turn_on", "turn_off", "toggle")
# domain -> {service: [field names]}; descriptions are generated from this.
CATALOG = {
    "homeassistant": {s: [] for s in ON_OFF + ("update_entity", "reload_all")},
    "light": {
        "turn_on": [
            "brightness",
            "brightness_pct",
            "color_temp_kelvin",
            "hs_color",
            "rgb_color",
            "transition",
            "effect",
        ],
        "turn_off": ["transition", "flash"],
        "toggle": ["transition"],
    },
    "switch": {s: [] for s in ON_OFF},
    "input_boolean": {s: [] for s in ON_OFF + ("reload",)},
    "fan": {
        "turn_on": ["percentage", "preset_mode"],
        "turn_off": [],
        "toggle": [],
        "set_percentage": ["percentage"],
        "oscillate": ["oscillating"],
        "set_direction": ["direction"],
        "set_preset_mode": ["preset_mode"],
    },
    "cover": {
        "open_cover": [],
        "close_cover": [],
        "stop_cover": [],
        "toggle": [],
        "set_cover_position": ["position"],
        "set_cover_tilt_position": ["tilt_position"],
    },
    "climate": {
        "turn_on": [],
        "turn_off": [],
        "toggle": [],
        "set_temperature": [
            "temperature",
            "target_temp_low",
            "target_temp_high",
            "hvac_mode",
        ],
        "set_hvac_mode": ["hvac_mode"],
        "set_fan_mode": ["fan_mode"],
        "set_preset_mode": ["preset_mode"],
        "set_humidity": ["humidity"],
    },
    "lock": {"lock": ["code"], "unlock": ["code"], "open": ["code"]},
    "media_player": {
        "turn_on": [],
        "turn_off": [],
        "toggle": [],
        "volume_set": ["volume_level"],
        "volume_mute": ["is_volume_muted"],
        "media_play": [],
        "media_pause": [],
        "media_play_pause": [],
        "media_stop": [],
        "media_next_track": [],
        "media_previous_track": [],
        "select_source": ["source"],
    },
    "vacuum": {
        "start": [],
        "stop": [],
        "pause": [],
        "return_to_base": [],
        "set_fan_speed": ["fan_speed"],
    },
    "alarm_control_panel": {
        s: ["code"]
        for s in (
            "alarm_disarm",
            "alarm_arm_home",
            "alarm_arm_away",
            "alarm_arm_night",
            "alarm_arm_vacation",
            "alarm_trigger",
        )
    },
    "input_number": {
        "set_value": ["value"],
        "increment": [],
        "decrement": [],
        "reload": [],
    },
    "input_select": {"select_option": ["option"], "reload": []},
    "input_text": {"set_value": ["value"], "reload": []},
    "input_button": {"press": [], "reload": []},
    "input_datetime": {"set_datetime": ["date", "time", "datetime"], "reload": []},
    "counter": {"increment": [], "decrement": [], "reset": [], "set_value": ["value"]},
    "timer": {"start": ["duration"], "pause": [], "cancel": [], "finish": []},
    "number": {"set_value": ["value"]},
    "select": {"select_option": ["option"]},
    "button": {"press": []},
    "scene": {"turn_on": ["transition"], "apply": ["entities"]},
    "script": {"turn_on": ["variables"], "turn_off": [], "toggle": []},
    "automation": {
        "trigger": ["skip_condition"],
        "turn_on": [],
        "turn_off": ["stop_actions"],
        "toggle": [],
    },
    "siren": {"turn_on": ["tone", "volume_level", "duration"], "turn_off": []},
    "humidifier": {
        "turn_on": [],
        "turn_off": [],
        "toggle": [],
        "set_humidity": ["humidity"],
        "set_mode": ["mode"],
    },
    "water_heater": {
        "turn_on": [],
        "turn_off": [],
        "set_temperature": ["temperature", "operation_mode"],
        "set_operation_mode": ["operation_mode"],
        "set_away_mode": ["away_mode"],
    },
    "valve": {
        "open_valve": [],
        "close_valve": [],
        "stop_valve": [],
        "toggle": [],
        "set_valve_position": ["position"],
    },
    "update": {"install": ["version", "backup"], "skip": []},
    "weather": {"get_forecasts": ["type"]},
    "camera": {"turn_on": [], "turn_off": []},
    "device_tracker": {"see": ["dev_id", "location_name"]},
}
RESPONSE_ONLY = {("weather", "get_forecasts")}
NO_TARGET = {("device_tracker", "see"), ("homeassistant", "reload_all")}
ALARM_STATES = {
    "alarm_disarm": "disarmed",
    "alarm_arm_home": "armed_home",
    "alarm_arm_away": "armed_away",
    "alarm_arm_night": "armed_night",
    "alarm_arm_vacation": "armed_vacation",
    "alarm_trigger": "triggered",
}


class ServiceNotFound(Exception):
    def __init__(self, domain, service):
        super().__init__(f"Service {domain}.{service} not found.")
        self.domain = domain
        self.service = service


class ServiceValidationError(Exception):
    """Bad input for a service (WS code ``service_validation_error``)."""

    def __init__(self, message, translation_key=None, placeholders=None, domain=None):
        super().__init__(message)
        self.translation_key = translation_key
        self.placeholders = placeholders
        self.translation_domain = domain or "homeassistant"


class InvalidFormat(Exception):
    """Schema-level rejection (WS code ``invalid_format``)."""


class HomeAssistantError(Exception):
    """A service failed (WS code ``home_assistant_error``)."""


def _title(name):
    return name.replace("_", " ").capitalize()


def build_descriptions(extra_scripts=()):
    """``get_services`` payload: {domain: {service: description}}."""
    out = {}
    for domain, services in CATALOG.items():
        out[domain] = {}
        for service, fields in services.items():
            desc = {
                "name": _title(service),
                "description": f"{_title(service)} ({domain}).",
                "fields": {
                    f: {"name": _title(f), "description": _title(f), "selector": {}}
                    for f in fields
                },
            }
            if (domain, service) not in NO_TARGET and service != "reload":
                desc["target"] = {"entity": [{"domain": [domain]}]}
            if (domain, service) in RESPONSE_ONLY:
                desc["response"] = {"optional": False}
            out[domain][service] = desc
    for object_id in extra_scripts:
        out["script"][object_id] = {
            "name": _title(object_id),
            "description": "",
            "fields": {},
            "response": {"optional": True},
        }
    return out


def _number(data, key, lo=None, hi=None):
    try:
        value = float(data[key])
    except (TypeError, ValueError) as exc:
        raise ServiceValidationError(
            f"expected float for dictionary value @ data['{key}']"
        ) from exc
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ServiceValidationError(
            f"Validation error: Value {value} for {key} is outside valid range "
            f"{lo} - {hi}",
            "value_out_of_range",
            {"value": str(value), "min_value": str(lo), "max_value": str(hi)},
        )
    return value


def _light_on(attrs, data):
    attrs["brightness"] = attrs.get("brightness") or 255
    if "brightness" in data:
        attrs["brightness"] = int(_number(data, "brightness", 0, 255))
    if "brightness_pct" in data:
        pct = _number(data, "brightness_pct", 0, 100)
        attrs["brightness"] = round(pct * 255 / 100)
    modes = attrs.get("supported_color_modes") or []
    if "color_temp_kelvin" in data and "color_temp" in modes:
        kelvin = int(_number(data, "color_temp_kelvin", 1000, 40000))
        kelvin = max(attrs["min_color_temp_kelvin"], kelvin)
        kelvin = min(attrs["max_color_temp_kelvin"], kelvin)
        attrs.update(color_mode="color_temp", color_temp_kelvin=kelvin)
        if "min_mireds" in attrs:
            attrs["color_temp"] = round(1000000 / kelvin)
        attrs.update(hs_color=[30.0, 50.0], rgb_color=[255, 191, 127])
    for key in ("hs_color", "rgb_color"):
        if key in data and set(modes) & {"hs", "rgb", "rgbw", "rgbww", "xy"}:
            if key == "hs_color":
                hue, sat = (float(v) for v in data[key])
                rgb = colorsys.hsv_to_rgb(hue / 360, sat / 100, 1)
                rgb = [round(c * 255) for c in rgb]
            else:
                rgb = [int(v) for v in data[key]]
                hue, sat, _v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
                hue, sat = round(hue * 360, 3), round(sat * 100, 3)
            mode = "hs" if "hs" in modes else modes[0]
            attrs.update(color_mode=mode, hs_color=[hue, sat], rgb_color=rgb)
            attrs["color_temp_kelvin"] = None
            if "color_temp" in attrs:
                attrs["color_temp"] = None
    if "effect" in data and data["effect"] in (attrs.get("effect_list") or []):
        attrs["effect"] = data["effect"]
    attrs.setdefault("color_mode", modes[0] if modes else "onoff")
    if not attrs.get("color_mode"):
        attrs["color_mode"] = modes[0] if modes else "onoff"
    return attrs


LIGHT_ON_ONLY = (
    "brightness",
    "color_temp",
    "color_mode",
    "color_temp_kelvin",
    "hs_color",
    "rgb_color",
    "xy_color",
    "effect",
)


def _light(service, st, data):
    attrs = dict(st.attributes)
    on = {"turn_on": True, "turn_off": False}.get(service, st.state != "on")
    if on:
        return "on", _light_on(attrs, data)
    for key in LIGHT_ON_ONLY:
        if key in attrs:
            attrs[key] = None
    return "off", attrs


def _toggle(service, st, on_state="on", off_state="off"):
    if service == "turn_on":
        return on_state
    if service == "turn_off":
        return off_state
    return off_state if st.state == on_state else on_state


def _svc_homeassistant(domain, service, st, data, home, s, a):
    if service in ON_OFF and st.domain in CATALOG and service in CATALOG[st.domain]:
        return apply(st.domain, service, st, data, home)
    return s, a


def _svc_light(domain, service, st, data, home, s, a):
    return _light(service, st, data)


def _svc_switch(domain, service, st, data, home, s, a):
    if domain == "siren" and service == "turn_on":
        for key in ("tone", "volume_level", "duration"):
            if key in data:
                a[key] = data[key]
    if domain == "automation" and service == "trigger":
        a["last_triggered"] = _now_iso()
        a["current"] = 0
        return s, a
    if domain == "camera":
        return _toggle(service, st, "idle", "off"), a
    return _toggle(service, st), a


def _svc_fan(domain, service, st, data, home, s, a):
    if service in ON_OFF:
        s = _toggle(service, st)
        if s == "on" and "percentage" in data:
            a["percentage"] = int(_number(data, "percentage", 0, 100))
        elif s == "on" and not a.get("percentage"):
            a["percentage"] = 67
        if s == "off":
            a["percentage"] = 0
    elif service == "set_percentage":
        a["percentage"] = int(_number(data, "percentage", 0, 100))
        s = "on" if a["percentage"] else "off"
    elif service == "oscillate":
        a["oscillating"] = bool(data.get("oscillating"))
    elif service == "set_direction":
        a["direction"] = str(data.get("direction"))
    elif service == "set_preset_mode":
        _choice(data.get("preset_mode"), a.get("preset_modes"), "preset_mode")
        a["preset_mode"] = data["preset_mode"]
    return s, a


def _svc_cover(domain, service, st, data, home, s, a):
    pos_service = "set_cover_position" if domain == "cover" else "set_valve_position"
    if service in ("open_cover", "open_valve"):
        s, a["current_position"] = "open", 100
    elif service in ("close_cover", "close_valve"):
        s, a["current_position"] = "closed", 0
    elif service == "toggle":
        closed = s == "closed"
        s, a["current_position"] = ("open", 100) if closed else ("closed", 0)
    elif service == pos_service:
        pos = int(_number(data, "position", 0, 100))
        s, a["current_position"] = ("closed" if pos == 0 else "open"), pos
    elif service == "set_cover_tilt_position":
        a["current_tilt_position"] = int(_number(data, "tilt_position", 0, 100))
    if "current_position" not in st.attributes:
        a.pop("current_position", None)
    return s, a


def _svc_climate(domain, service, st, data, home, s, a):
    modes = a.get("hvac_modes") or []
    if service in ON_OFF:
        on_mode = next((m for m in modes if m != "off"), "heat")
        s = (
            "off"
            if service == "turn_off" or (service == "toggle" and s != "off")
            else on_mode
        )
    elif service == "set_hvac_mode":
        s = _choice(data.get("hvac_mode"), modes, "hvac_mode")
    elif service == "set_temperature":
        lo, hi = a.get("min_temp", 7), a.get("max_temp", 35)
        if "temperature" in data:
            temp = _number(data, "temperature")
            if not lo <= temp <= hi:
                raise ServiceValidationError(
                    f"Validation error: Provided temperature {temp} is not valid. "
                    f"Accepted range is {lo} to {hi}",
                    "temp_out_of_range",
                    {
                        "check_temp": str(temp),
                        "min_temp": str(lo),
                        "max_temp": str(hi),
                    },
                    "climate",
                )
            a["temperature"] = temp
        if "target_temp_low" in data:
            a["target_temp_low"] = _number(data, "target_temp_low", lo, hi)
            a["target_temp_high"] = _number(data, "target_temp_high", lo, hi)
        if "hvac_mode" in data:
            s = _choice(data["hvac_mode"], modes, "hvac_mode")
    elif service == "set_fan_mode":
        a["fan_mode"] = _choice(data.get("fan_mode"), a.get("fan_modes"), "fan_mode")
    elif service == "set_preset_mode":
        a["preset_mode"] = _choice(
            data.get("preset_mode"), a.get("preset_modes"), "preset_mode"
        )
    elif service == "set_humidity":
        a["humidity"] = _number(data, "humidity", 0, 100)
    return s, a


def _svc_lock(domain, service, st, data, home, s, a):
    code = home.codes.get(st.entity_id)
    if code and str(data.get("code", "")) != code:
        raise ServiceValidationError("Invalid code")
    s = {"lock": "locked", "unlock": "unlocked", "open": "open"}[service]
    return s, a


def _svc_media_player(domain, service, st, data, home, s, a):
    if service in ON_OFF:
        s = _toggle(service, st, "playing" if s == "off" else s, "off")
        if service != "turn_off" and s == "off":
            s = "off"
        elif service in ("turn_on", "toggle") and st.state == "off":
            s = "idle"
    elif service == "volume_set":
        a["volume_level"] = _number(data, "volume_level", 0, 1)
    elif service == "volume_mute":
        a["is_volume_muted"] = bool(data.get("is_volume_muted"))
    elif service in ("media_play", "media_pause", "media_play_pause", "media_stop"):
        target = {
            "media_play": "playing",
            "media_pause": "paused",
            "media_stop": "idle",
        }.get(service, "paused" if s == "playing" else "playing")
        s = target
    elif service in ("media_next_track", "media_previous_track"):
        step = 1 if service == "media_next_track" else -1
        a["media_track"] = max(1, int(a.get("media_track") or 1) + step)
        a["media_title"] = f"Track {a['media_track']}"
    elif service == "select_source":
        a["source"] = _choice(data.get("source"), a.get("source_list"), "source")
    return s, a


def _svc_vacuum(domain, service, st, data, home, s, a):
    s = {
        "start": "cleaning",
        "stop": "idle",
        "pause": "paused",
        "return_to_base": "returning",
    }.get(service, s)
    if service == "set_fan_speed":
        a["fan_speed"] = _choice(
            data.get("fan_speed"), a.get("fan_speed_list"), "fan_speed"
        )
    return s, a


def _svc_alarm_control_panel(domain, service, st, data, home, s, a):
    code = home.codes.get(st.entity_id)
    needs = service == "alarm_disarm" or a.get("code_arm_required")
    if code and needs and str(data.get("code", "")) != code:
        raise ServiceValidationError(
            "Invalid alarm code provided",
            "invalid_code",
            {"entity_id": st.entity_id},
        )
    a["changed_by"] = None
    return ALARM_STATES[service], a


def _svc_input_number(domain, service, st, data, home, s, a):
    lo, hi, step = a.get("min", 0), a.get("max", 100), a.get("step", 1)
    value = float(s)
    if service == "set_value":
        value = _number(data, "value")
        if not lo <= value <= hi and domain == "input_number":
            raise InvalidFormat(
                f"Invalid value for {st.entity_id}: {value} (range {float(lo)} - "
                f"{float(hi)})"
            )
        if not lo <= value <= hi:
            raise ServiceValidationError(
                f"Validation error: Value {value} for {st.entity_id} is outside "
                f"valid range {float(lo)} - {float(hi)}",
                "out_of_range",
                {
                    "value": value,
                    "entity_id": st.entity_id,
                    "min_value": str(float(lo)),
                    "max_value": str(float(hi)),
                },
                "number",
            )
    elif service == "increment":
        value = min(hi, value + step)
    elif service == "decrement":
        value = max(lo, value - step)
    return str(value), a


def _svc_input_select(domain, service, st, data, home, s, a):
    if data.get("option") not in a.get("options", []):
        raise HomeAssistantError(
            f"Invalid option: {data.get('option')} (possible options: "
            f"{', '.join(a.get('options', []))})"
        )
    return data["option"], a


def _svc_select(domain, service, st, data, home, s, a):
    return _choice(data.get("option"), a.get("options"), "option"), a


def _svc_input_text(domain, service, st, data, home, s, a):
    value = str(data.get("value", ""))
    if not a.get("min", 0) <= len(value) <= a.get("max", 100):
        return s, a  # HA only logs a warning and keeps the value
    return value, a


def _svc_input_button(domain, service, st, data, home, s, a):
    if domain == "update":
        if service == "install":
            a["installed_version"] = a.get("latest_version")
            return "off", a
        a["skipped_version"] = a.get("latest_version")
        return "off", a
    return _now_iso(), a


def _svc_input_datetime(domain, service, st, data, home, s, a):
    if "datetime" in data:
        return str(data["datetime"]).replace("T", " ")[:19], a
    if "time" in data:
        return str(data["time"])[:8].ljust(8, ":00")[:8], a
    return str(data.get("date", s)), a


def _svc_counter(domain, service, st, data, home, s, a):
    value = int(s)
    step = int(a.get("step", 1))
    if service == "increment":
        value += step
    elif service == "decrement":
        value -= step
    elif service == "reset":
        value = int(a.get("initial", 0))
    else:
        value = int(_number(data, "value"))
    return str(value), a


def _svc_timer(domain, service, st, data, home, s, a):
    s = {"start": "active", "pause": "paused"}.get(service, "idle")
    return s, a


def _svc_script(domain, service, st, data, home, s, a):
    if service == "turn_on" or (service == "toggle" and s == "off"):
        a["last_triggered"] = _now_iso()
    return s, a


def _svc_humidifier(domain, service, st, data, home, s, a):
    if service in ON_OFF:
        s = _toggle(service, st)
    elif service == "set_humidity":
        a["humidity"] = int(
            _number(data, "humidity", a.get("min_humidity"), a.get("max_humidity"))
        )
    elif service == "set_mode":
        a["mode"] = _choice(data.get("mode"), a.get("available_modes"), "mode")
    return s, a


def _svc_water_heater(domain, service, st, data, home, s, a):
    if service == "turn_off":
        s = "off"
    elif service == "turn_on":
        s = next(m for m in a["operation_list"] if m != "off")
    elif service == "set_temperature":
        a["temperature"] = _number(data, "temperature", a["min_temp"], a["max_temp"])
        if "operation_mode" in data:
            s = _choice(data["operation_mode"], a["operation_list"], "operation_mode")
    elif service == "set_operation_mode":
        s = _choice(data.get("operation_mode"), a["operation_list"], "operation_mode")
    elif service == "set_away_mode":
        a["away_mode"] = "on" if data.get("away_mode") else "off"
    a["operation_mode"] = s
    return s, a


DOMAIN_HANDLERS = {
    "homeassistant": _svc_homeassistant,
    "light": _svc_light,
    "switch": _svc_switch,
    "input_boolean": _svc_switch,
    "siren": _svc_switch,
    "automation": _svc_switch,
    "camera": _svc_switch,
    "fan": _svc_fan,
    "cover": _svc_cover,
    "valve": _svc_cover,
    "climate": _svc_climate,
    "lock": _svc_lock,
    "media_player": _svc_media_player,
    "vacuum": _svc_vacuum,
    "alarm_control_panel": _svc_alarm_control_panel,
    "input_number": _svc_input_number,
    "number": _svc_input_number,
    "input_select": _svc_input_select,
    "select": _svc_select,
    "input_text": _svc_input_text,
    "input_button": _svc_input_button,
    "button": _svc_input_button,
    "scene": _svc_input_button,
    "update": _svc_input_button,
    "input_datetime": _svc_input_datetime,
    "counter": _svc_counter,
    "timer": _svc_timer,
    "script": _svc_script,
    "humidifier": _svc_humidifier,
    "water_heater": _svc_water_heater,
}


def apply(domain, service, st, data, home):
    """Return (state, attributes) after ``domain.service`` on ``st``.

    Raises :class:`ServiceValidationError` for out-of-range or unknown values.
    """
    handler = DOMAIN_HANDLERS.get(domain)
    if handler is None:
        return st.state, dict(st.attributes)
    return handler(domain, service, st, data, home, st.state, dict(st.attributes))


def _choice(value, options, key):
    if value not in (options or []):
        raise ServiceValidationError(
            f"Validation error: Invalid {key}: {value} (possible: {options})",
            "not_valid_" + key,
            {"value": str(value)},
        )
    return value


def _now_iso():
    from .core import iso

    return iso(time.time())


def forecasts(st):
    """Response of weather.get_forecasts for one entity."""
    from .core import iso

    base = int(time.time() // 86400) * 86400
    temp = float(st.attributes.get("temperature", 15))
    return {
        "forecast": [
            {
                "condition": ("sunny", "cloudy", "rainy")[day % 3],
                "datetime": iso(base + 86400 * (day + 1)),
                "precipitation_probability": (day * 17) % 100,
                "temperature": round(temp + day % 4, 1),
                "templow": round(temp - 5 + day % 3, 1),
            }
            for day in range(5)
        ]
    }
