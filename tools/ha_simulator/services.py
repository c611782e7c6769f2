"""Service registry of the simulated home: descriptions and per-domain semantics."""

import time

from . import lights

ON_OFF = ("turn_on", "turn_off", "toggle")
LIGHT_ON_FIELDS = ("transition", "rgb_color", "color_temp_kelvin", "brightness_pct")
LIGHT_ADVANCED = (
    "rgbw_color",
    "rgbww_color",
    "color_name",
    "hs_color",
    "xy_color",
    "color_temp",
    "brightness",
)
LIGHT_ADVANCED_TAIL = ("white", "profile", "flash")
# domain -> {service: fields}, as HA 2025.4 describes them in get_services.  A
# field ending in "*" is required; a (name, fields) pair is a collapsed
# section of fields.  Descriptions are generated from this.
CATALOG = {
    "homeassistant": {
        "save_persistent_states": (),
        "turn_off": (),
        "turn_on": (),
        "toggle": (),
        "stop": (),
        "restart": (),
        "check_config": (),
        "update_entity": ("entity_id*",),
        "reload_core_config": (),
        "set_location": ("latitude*", "longitude*", "elevation"),
        "reload_custom_templates": (),
        "reload_config_entry": ("entry_id",),
        "reload_all": (),
    },
    "persistent_notification": {
        "create": ("message*", "title", "notification_id"),
        "dismiss": ("notification_id*",),
        "dismiss_all": (),
    },
    "light": {
        "turn_on": LIGHT_ON_FIELDS
        + ("brightness_step_pct", "effect")
        + (
            (
                "advanced_fields",
                LIGHT_ADVANCED + ("brightness_step",) + LIGHT_ADVANCED_TAIL,
            ),
        ),
        "turn_off": ("transition", ("advanced_fields", ("flash",))),
        "toggle": LIGHT_ON_FIELDS
        + ("effect", ("advanced_fields", LIGHT_ADVANCED + LIGHT_ADVANCED_TAIL)),
    },
    "switch": {s: () for s in ON_OFF},
    "input_boolean": {"reload": ()} | {s: () for s in ON_OFF},
    "fan": {
        "turn_on": ("percentage", "preset_mode"),
        "turn_off": (),
        "toggle": (),
        "increase_speed": ("percentage_step",),
        "decrease_speed": ("percentage_step",),
        "oscillate": ("oscillating*",),
        "set_direction": ("direction*",),
        "set_percentage": ("percentage*",),
        "set_preset_mode": ("preset_mode*",),
    },
    "cover": {
        "open_cover": (),
        "close_cover": (),
        "set_cover_position": ("position*",),
        "stop_cover": (),
        "toggle": (),
        "open_cover_tilt": (),
        "close_cover_tilt": (),
        "stop_cover_tilt": (),
        "set_cover_tilt_position": ("tilt_position*",),
        "toggle_cover_tilt": (),
    },
    "climate": {
        "turn_on": (),
        "turn_off": (),
        "toggle": (),
        "set_hvac_mode": ("hvac_mode",),
        "set_preset_mode": ("preset_mode*",),
        "set_aux_heat": ("aux_heat*",),
        "set_temperature": (
            "temperature",
            "target_temp_high",
            "target_temp_low",
            "hvac_mode",
        ),
        "set_humidity": ("humidity*",),
        "set_fan_mode": ("fan_mode*",),
        "set_swing_mode": ("swing_mode*",),
        "set_swing_horizontal_mode": ("swing_horizontal_mode*",),
    },
    "lock": {"unlock": ("code",), "lock": ("code",), "open": ("code",)},
    "media_player": {
        "turn_on": (),
        "turn_off": (),
        "toggle": (),
        "volume_up": (),
        "volume_down": (),
        "media_play_pause": (),
        "media_play": (),
        "media_pause": (),
        "media_stop": (),
        "media_next_track": (),
        "media_previous_track": (),
        "clear_playlist": (),
        "volume_set": ("volume_level*",),
        "volume_mute": ("is_volume_muted*",),
        "media_seek": ("seek_position*",),
        "join": ("group_members*",),
        "select_source": ("source*",),
        "select_sound_mode": ("sound_mode",),
        "play_media": (
            "media_content_id*",
            "media_content_type*",
            "enqueue",
            "announce",
        ),
        "browse_media": ("media_content_type", "media_content_id"),
        "shuffle_set": ("shuffle*",),
        "unjoin": (),
        "repeat_set": ("repeat*",),
    },
    "vacuum": {
        "start": (),
        "pause": (),
        "return_to_base": (),
        "clean_spot": (),
        "locate": (),
        "stop": (),
        "set_fan_speed": ("fan_speed*",),
        "send_command": ("command*", "params"),
    },
    "alarm_control_panel": {
        s: ("code",)
        for s in (
            "alarm_disarm",
            "alarm_arm_home",
            "alarm_arm_away",
            "alarm_arm_night",
            "alarm_arm_vacation",
            "alarm_arm_custom_bypass",
            "alarm_trigger",
        )
    },
    "input_number": {
        "reload": (),
        "set_value": ("value*",),
        "increment": (),
        "decrement": (),
    },
    "input_select": {
        "reload": (),
        "select_first": (),
        "select_last": (),
        "select_next": ("cycle",),
        "select_option": ("option*",),
        "select_previous": ("cycle",),
        "set_options": ("options*",),
    },
    "input_text": {"reload": (), "set_value": ("value*",)},
    "input_button": {"reload": (), "press": ()},
    "input_datetime": {
        "reload": (),
        "set_datetime": ("date", "time", "datetime", "timestamp"),
    },
    "counter": {
        "increment": (),
        "decrement": (),
        "reset": (),
        "set_value": ("value*",),
    },
    "timer": {
        "reload": (),
        "start": ("duration",),
        "pause": (),
        "cancel": (),
        "finish": (),
        "change": ("duration*",),
    },
    "number": {"set_value": ("value*",)},
    "select": {
        "select_first": (),
        "select_last": (),
        "select_next": ("cycle",),
        "select_option": ("option*",),
        "select_previous": ("cycle",),
    },
    "button": {"press": ()},
    "scene": {
        "reload": (),
        "apply": ("entities*", "transition"),
        "create": ("scene_id*", "entities", "snapshot_entities"),
        "delete": (),
        "turn_on": ("transition",),
    },
    "script": {"reload": (), "turn_on": (), "turn_off": (), "toggle": ()},
    "automation": {
        "trigger": ("skip_condition",),
        "toggle": (),
        "turn_on": (),
        "turn_off": ("stop_actions",),
        "reload": (),
    },
    "siren": {
        "turn_on": ("tone", "volume_level", "duration"),
        "turn_off": (),
        "toggle": (),
    },
    "humidifier": {
        "turn_on": (),
        "turn_off": (),
        "toggle": (),
        "set_mode": ("mode*",),
        "set_humidity": ("humidity*",),
    },
    "water_heater": {
        "turn_on": (),
        "turn_off": (),
        "set_away_mode": ("away_mode*",),
        "set_temperature": ("temperature*", "operation_mode"),
        "set_operation_mode": ("operation_mode*",),
    },
    "valve": {
        "open_valve": (),
        "close_valve": (),
        "set_valve_position": ("position*",),
        "stop_valve": (),
        "toggle": (),
    },
    "update": {"install": ("version", "backup"), "skip": (), "clear_skipped": ()},
    "weather": {"get_forecasts": ("type*",)},
    "camera": {
        "enable_motion_detection": (),
        "disable_motion_detection": (),
        "turn_off": (),
        "turn_on": (),
        "snapshot": ("filename*",),
        "play_stream": ("media_player*", "format"),
        "record": ("filename*", "duration", "lookback"),
    },
    "device_tracker": {
        "see": (
            "mac",
            "dev_id",
            "host_name",
            "location_name",
            "gps",
            "gps_accuracy",
            "battery",
        )
    },
    "person": {"reload": ()},
    "zone": {"reload": ()},
    # The demo's legacy TTS platform adds demo_say; speak targets tts entities.
    "tts": {
        "demo_say": ("entity_id*", "message*", "cache", "language", "options"),
        "speak": (
            "media_player_entity_id*",
            "message*",
            "cache",
            "language",
            "options",
        ),
        "clear_cache": (),
    },
}
RESPONSE_ONLY = {("weather", "get_forecasts"), ("media_player", "browse_media")}
# Services HA describes without a target (they act on no entity, or take
# their entities as data).
NO_TARGET = {
    ("device_tracker", "see"),
    ("scene", "apply"),
    ("scene", "create"),
    ("homeassistant", "update_entity"),
    ("tts", "demo_say"),
    ("tts", "clear_cache"),
} | {
    ("homeassistant", s)
    for s in (
        "save_persistent_states",
        "stop",
        "restart",
        "check_config",
        "reload_core_config",
        "set_location",
        "reload_custom_templates",
        "reload_all",
    )
}
NO_TARGET |= {(d, s) for d, ss in CATALOG.items() for s in ss if s == "reload"}
NO_TARGET |= {
    ("persistent_notification", s) for s in CATALOG["persistent_notification"]
}
ALARM_STATES = {
    "alarm_disarm": "disarmed",
    "alarm_arm_home": "armed_home",
    "alarm_arm_away": "armed_away",
    "alarm_arm_night": "armed_night",
    "alarm_arm_vacation": "armed_vacation",
    "alarm_arm_custom_bypass": "armed_custom_bypass",
    "alarm_trigger": "triggered",
}


def required_fields(domain, service):
    """Names of the fields ``domain.service`` cannot do without."""
    out = []
    for field in CATALOG.get(domain, {}).get(service, ()):
        fields = field[1] if isinstance(field, tuple) else (field,)
        out += [f[:-1] for f in fields if f.endswith("*")]
    return out


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


class UnknownError(Exception):
    """An error HA did not expect (WS code ``unknown_error``)."""


def _title(name):
    return name.replace("_", " ").capitalize()


def _field(name):
    required = name.endswith("*")
    name = name.rstrip("*")
    desc = {"name": _title(name), "description": _title(name), "selector": {}}
    if required:
        desc["required"] = True
    return name, desc


def _fields(spec):
    out = {}
    for item in spec:
        if isinstance(item, tuple):
            section, names = item
            out[section] = {"collapsed": True, "fields": dict(map(_field, names))}
        else:
            name, desc = _field(item)
            out[name] = desc
    return out


_DESCRIPTIONS = {}


def build_descriptions(extra_scripts=()):
    """``get_services`` payload: {domain: {service: description}}.

    Homes without scripts of their own share one (read-only) payload.
    """
    extra_scripts = tuple(extra_scripts)
    cached = _DESCRIPTIONS.get(extra_scripts)
    if cached is not None:
        return cached
    out = {}
    for domain, services in CATALOG.items():
        out[domain] = {}
        for service, fields in services.items():
            desc = {
                "name": _title(service),
                "description": f"{_title(service)} ({domain}).",
                "fields": _fields(fields),
            }
            if (domain, service) not in NO_TARGET:
                entity = {} if domain == "homeassistant" else {"domain": [domain]}
                desc["target"] = {"entity": [entity]}
                if service == "reload_config_entry":
                    desc["target"]["device"] = [{}]
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
    _DESCRIPTIONS[extra_scripts] = out
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


def _clamp(value, low, high):
    return max(low, min(high, value))


def _light_on(attrs, memory, data):
    """Update a light's ``memory`` from turn_on data; False if it goes off."""
    modes = attrs.get("supported_color_modes") or ["onoff"]
    brightness = memory["brightness"]
    # HA clamps brightness and the steps, but rejects a percentage out of range
    if "brightness" in data:
        brightness = int(_clamp(_number(data, "brightness"), 0, 255))
    if "brightness_pct" in data:
        brightness = round(_number(data, "brightness_pct", 0, 100) * 255 / 100)
    if "brightness_step" in data:
        brightness += int(_clamp(_number(data, "brightness_step"), -255, 255))
    if "brightness_step_pct" in data:
        step = _clamp(_number(data, "brightness_step_pct"), -100, 100)
        brightness += round(step * 255 / 100)
    if brightness <= 0:
        return False  # brightness 0 (also stepped down to 0) means off in HA
    memory["brightness"] = min(255, brightness)
    color_modes = [m for m in modes if m in lights.COLOR_MODES]
    if "color_temp_kelvin" in data and "color_temp" in modes:
        kelvin = int(_number(data, "color_temp_kelvin", 1000, 40000))
        kelvin = max(attrs.get("min_color_temp_kelvin") or 2000, kelvin)
        kelvin = min(attrs.get("max_color_temp_kelvin") or 6535, kelvin)
        memory.update(color_mode="color_temp", kelvin=kelvin)
    hs = None
    if "hs_color" in data:
        hs = tuple(float(v) for v in data["hs_color"])
    elif "rgb_color" in data:
        hs = tuple(lights.rgb_to_hs([int(v) for v in data["rgb_color"]]))
    if hs is not None and color_modes:
        mode = next((m for m in ("hs", "xy", "rgb") if m in modes), color_modes[0])
        memory.update(color_mode=mode, hs=hs)
        if mode in ("rgbw", "rgbww"):
            memory[mode] = tuple(lights.hs_to_rgb(hs)) + (0,) * (len(mode) - 3)
    for mode in ("rgbw", "rgbww"):
        if f"{mode}_color" in data and mode in modes:
            memory.update({"color_mode": mode, mode: tuple(data[f"{mode}_color"])})
    if "white" in data and "white" in modes:
        memory["color_mode"] = "white"
    if "effect" in data and data["effect"] in (attrs.get("effect_list") or []):
        memory["effect"] = data["effect"]
    return True


def _light(service, st, data, home):
    """turn_on / turn_off / toggle of a light, keeping HA's attribute keys."""
    attrs = st.attributes
    memory = home.light_memory.get(st.entity_id)
    if memory is None:
        modes = sorted(attrs.get("supported_color_modes") or ["onoff"])
        on_now = st.state == "on"
        memory = lights.new_memory(modes, attrs if on_now else None)
        home.light_memory[st.entity_id] = memory
    on = {"turn_on": True, "turn_off": False}.get(service, st.state != "on")
    if on:
        on = _light_on(attrs, memory, data)
    return ("on" if on else "off"), lights.light_attributes(attrs, on, memory)


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
    return _light(service, st, data, home)


def _svc_switch(domain, service, st, data, home, s, a):
    if domain == "siren" and service == "turn_on":
        for key in ("tone", "volume_level", "duration"):
            if key in data:
                a[key] = data[key]
    if domain == "automation" and service == "trigger":
        a["last_triggered"] = _now_iso()
        a["current"] = 0
        return s, a
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
    elif service in ("increase_speed", "decrease_speed"):
        step = a.get("percentage_step") or 1
        if "percentage_step" in data:
            step = _number(data, "percentage_step", 0, 100)
        step = step if service == "increase_speed" else -step
        pct = round(min(100, max(0, (a.get("percentage") or 0) + step)))
        a["percentage"] = pct
        s = "on" if pct else "off"
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
    elif service in ("open_cover_tilt", "close_cover_tilt", "toggle_cover_tilt"):
        if "current_tilt_position" not in a:
            raise _not_supported(st, domain, service)
        tilt = {"open_cover_tilt": 100, "close_cover_tilt": 0}.get(
            service, 0 if a["current_tilt_position"] else 100
        )
        a["current_tilt_position"] = tilt
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
    elif service in ("set_swing_mode", "set_swing_horizontal_mode"):
        key = service[len("set_") :]
        if f"{key}s" not in a:
            raise _not_supported(st, domain, service)
        a[key] = _choice(data.get(key), a[f"{key}s"], key)
    elif service == "set_aux_heat":
        raise _not_supported(st, domain, service)
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
    elif service == "play_media":
        a["media_content_id"] = str(data["media_content_id"])
        a["media_content_type"] = str(data["media_content_type"])
        s = "playing"
    else:
        _media_settings(service, st, data, a)
    return s, a


def _media_settings(service, st, data, a):
    """The media player services that change attributes only."""
    if service == "volume_set":
        a["volume_level"] = _number(data, "volume_level", 0, 1)
    elif service == "volume_mute":
        a["is_volume_muted"] = bool(data.get("is_volume_muted"))
    elif service == "select_source":
        a["source"] = _choice(data.get("source"), a.get("source_list"), "source")
    elif service in ("volume_up", "volume_down"):
        step = 0.1 if service == "volume_up" else -0.1
        level = float(a.get("volume_level") or 0) + step
        a["volume_level"] = round(min(1.0, max(0.0, level)), 2)
    elif service == "media_seek":
        a["media_position"] = _number(data, "seek_position", 0)
    elif service == "join":
        members = data.get("group_members") or []
        members = [members] if isinstance(members, str) else list(members)
        a["group_members"] = [st.entity_id] + [m for m in members if m != st.entity_id]
    elif service == "unjoin":
        a["group_members"] = [st.entity_id]
    elif service == "select_sound_mode":
        a["sound_mode"] = data.get("sound_mode")
    elif service == "shuffle_set":
        a["shuffle"] = bool(data.get("shuffle"))
    elif service == "repeat_set":
        a["repeat"] = _choice(data.get("repeat"), ["off", "all", "one"], "repeat")


def _svc_vacuum(domain, service, st, data, home, s, a):
    s = {
        "start": "cleaning",
        "stop": "idle",
        "pause": "paused",
        "return_to_base": "returning",
        "clean_spot": "cleaning",
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


def _select_step(service, s, a, data):
    """select_first / last / next / previous; None for other services."""
    options = a.get("options") or []
    if not options or service not in SELECT_STEPS:
        return None
    if service == "select_first":
        return options[0]
    if service == "select_last":
        return options[-1]
    step = 1 if service == "select_next" else -1
    idx = options.index(s) if s in options else (-1 if step > 0 else 0)
    new = idx + step
    if not data.get("cycle", True):
        return options[max(0, min(len(options) - 1, new))]
    return options[new % len(options)]


SELECT_STEPS = ("select_first", "select_last", "select_next", "select_previous")


def _svc_input_select(domain, service, st, data, home, s, a):
    stepped = _select_step(service, s, a, data)
    if stepped is not None:
        return stepped, a
    if service == "set_options":
        options = data["options"]
        options = [options] if isinstance(options, str) else list(options)
        if not options or len(set(options)) != len(options):
            raise HomeAssistantError(f"Invalid options: {options}")
        a["options"] = options
        return (s if s in options else options[0]), a
    if data.get("option") not in a.get("options", []):
        raise HomeAssistantError(
            f"Invalid option: {data.get('option')} (possible options: "
            f"{', '.join(a.get('options', []))})"
        )
    return data["option"], a


def _svc_select(domain, service, st, data, home, s, a):
    stepped = _select_step(service, s, a, data)
    if stepped is not None:
        return stepped, a
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
        if service == "clear_skipped":
            a["skipped_version"] = None
            latest = a.get("latest_version")
            return ("on" if latest != a.get("installed_version") else "off"), a
        a["skipped_version"] = a.get("latest_version")
        return "off", a
    return _now_iso(), a


def _svc_input_datetime(domain, service, st, data, home, s, a):
    if "timestamp" in data:
        from datetime import UTC, datetime

        moment = datetime.fromtimestamp(_number(data, "timestamp"), UTC)
        if not a.get("has_date"):
            return moment.strftime("%H:%M:%S"), a
        if not a.get("has_time"):
            return moment.strftime("%Y-%m-%d"), a
        return moment.strftime("%Y-%m-%d %H:%M:%S"), a
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
    if service == "change":
        if s != "active":
            raise HomeAssistantError(
                f"Timer {st.entity_id} is not running, only active timers can be "
                "changed"
            )
        return s, a
    # As HA's timer: `duration` is the running duration, `remaining` is set while
    # active or paused (it does not tick), `finishes_at` only while active.
    configured = vars(home).setdefault("timer_durations", {}) if home else {}
    configured.setdefault(st.entity_id, a.get("duration", "0:00:00"))
    now = int(time.time())
    if service == "start":
        if data.get("duration") not in (None, ""):
            a["duration"] = a["remaining"] = _format_seconds(
                _timer_seconds(data["duration"])
            )
        elif s == "idle" or "remaining" not in a:
            a["remaining"] = a.get("duration", configured[st.entity_id])
        a["finishes_at"] = _iso_at(now + _timer_seconds(a["remaining"]))
        return "active", a
    if service == "pause":
        if s != "active":
            return s, a
        end = a.pop("finishes_at", None)
        from .core import parse_iso

        end_ts = parse_iso(end) if end else None
        left = (
            _timer_seconds(a.get("remaining", "0:00:00"))
            if end_ts is None
            else max(0, int(end_ts - now))
        )
        a["remaining"] = _format_seconds(left)
        return "paused", a
    # cancel, finish
    for key in ("remaining", "finishes_at"):
        a.pop(key, None)
    a["duration"] = configured[st.entity_id]
    return "idle", a


def _timer_seconds(value):
    """Seconds of a duration as HA takes it: seconds, "H:MM:SS" or "MM:SS"."""
    if isinstance(value, int | float):
        return int(value)
    try:
        parts = [float(part) for part in str(value).split(":")]
    except ValueError:
        parts = []
    if len(parts) == 2:
        parts = [0.0, *parts]
    if len(parts) != 3 or any(part < 0 for part in parts):
        raise ServiceValidationError(
            f"Invalid duration: {value}", "invalid_duration", {"value": str(value)}
        )
    hours, minutes, seconds = parts
    return int(hours * 3600 + minutes * 60 + seconds)


def _format_seconds(seconds):
    """ "0:45:00", as HA formats a timedelta."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _iso_at(epoch):
    from .core import iso

    return iso(epoch)


def _svc_tts(domain, service, st, data, home, s, a):
    # A TTS entity's state is when it last spoke.
    return (_now_iso() if service == "speak" else s), a


def _svc_camera(domain, service, st, data, home, s, a):
    if service in ON_OFF:
        return _toggle(service, st, "idle", "off"), a
    if service in ("enable_motion_detection", "disable_motion_detection"):
        a["motion_detection"] = service.startswith("enable")
    return s, a  # snapshot, record, play_stream write no state


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
    "camera": _svc_camera,
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
    "tts": _svc_tts,
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


def _not_supported(st, domain, service):
    return ServiceValidationError(
        f"Entity {st.entity_id} does not support action {domain}.{service}",
        "entity_not_supported",
        {"entity_id": st.entity_id, "action": f"{domain}.{service}"},
    )


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
