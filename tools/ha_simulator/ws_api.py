"""WebSocket commands of the simulator, with HA's message shapes and codes."""

import time

from . import history
from .core import USER_ID, dumps, iso, parse_iso, slugify, state_diff
from .services import (
    CATALOG,
    RESPONSE_ONLY,
    HomeAssistantError,
    InvalidFormat,
    ServiceNotFound,
    ServiceValidationError,
    UnknownError,
    apply,
    forecasts,
    required_fields,
)
from .synthetic import statistics_rows

SUBSCRIBABLE = {
    "state_changed",
    "area_registry_updated",
    "device_registry_updated",
    "entity_registry_updated",
    "label_registry_updated",
    "floor_registry_updated",
    "category_registry_updated",
    "core_config_updated",
    "component_loaded",
    "service_registered",
    "service_removed",
    "call_service",
    "homeassistant_started",
    "homeassistant_stop",
    "automation_triggered",
}
UNIT_CLASSES = {
    "°C": "temperature",
    "W": "power",
    "kWh": "energy",
    "V": "voltage",
    "hPa": "pressure",
    "mm": "distance",
    "%": None,
}
STAT_TYPES = ["change", "last_reset", "max", "mean", "min", "state", "sum"]


class WSError(Exception):
    def __init__(self, code, message, translation=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.translation = translation  # (domain, key, placeholders)


def error_message(msg_id, code, message, translation=None):
    error = {"code": code, "message": message}
    if translation:
        domain, key, placeholders = translation
        error["translation_key"] = key
        error["translation_placeholders"] = placeholders
        error["translation_domain"] = domain
    return {"id": msg_id, "type": "result", "success": False, "error": error}


def result_message(msg_id, result=None):
    return {"id": msg_id, "type": "result", "success": True, "result": result}


# ---------------------------------------------------------------- services
def _check_response(domain, service, home, return_response):
    must_respond = (domain, service) in RESPONSE_ONLY
    can_respond = must_respond or (
        domain == "script" and service not in CATALOG[domain]
    )
    if return_response and not can_respond:
        raise ServiceValidationError(
            "Validation error: An action which does not return responses can't be "
            "called with return_response=True",
            "service_does_not_support_response",
            {"return_response": "return_response=True"},
        )
    if must_respond and not return_response:
        raise ServiceValidationError(
            "Validation error: The action requires responses and must be called with "
            "return_response=True",
            "service_lacks_response_request",
            {"return_response": "return_response=True"},
        )


def call_service(home, domain, service, data, target, context, return_response):
    """Run one service call; returns (changed states, response or None)."""
    if domain not in CATALOG or (
        service not in CATALOG[domain]
        and not (domain == "script" and f"script.{service}" in home.states)
    ):
        raise ServiceNotFound(domain, service)
    _check_response(domain, service, home, return_response)
    data, tgt = _split_target(domain, service, data, target)
    home.service_calls.append(
        {"domain": domain, "service": service, "service_data": data, "target": tgt}
    )
    # HA announces every call before running it
    announced = {k: _as_list(v) for k, v in tgt.items() if v is not None}
    home.fire(
        "call_service",
        {"domain": domain, "service": service, "service_data": data | announced},
        context,
    )
    special = SPECIAL_SERVICES.get((domain, service))
    if special is not None:
        return special(home, data, tgt, context), ({} if return_response else None)
    if domain == "script" and service not in CATALOG[domain]:
        tgt = {"entity_id": [f"script.{service}"]}
        service = "turn_on"
    planned, changed = _apply_to_entities(home, domain, service, data, tgt, context)
    response = None
    if return_response:
        if domain == "weather":
            response = {e: forecasts(home.states[e]) for e, _ in planned}
        elif (domain, service) == ("media_player", "browse_media"):
            response = {e: _browse_root(home.states[e]) for e, _ in planned}
        else:
            response = {}
    return changed, response


def _split_target(domain, service, data, target):
    """(service data, target): required fields checked, target keys moved."""
    data = dict(data or {})
    tgt = dict(target or {})
    for field in required_fields(domain, service):
        if field not in data and field not in tgt:
            if field == "entity_id":
                # HA's update_entity reads it without a schema check
                raise UnknownError(f"'{field}'")
            raise InvalidFormat(f"required key not provided @ data['{field}']")
    for key in ("entity_id", "device_id", "area_id", "floor_id", "label_id"):
        if key in data:
            tgt.setdefault(key, data.pop(key))
    return data, tgt


def _apply_to_entities(home, domain, service, data, tgt, context):
    """Run the service on its targets: ([(entity_id, planned)], changed)."""
    entity_ids = home.resolve_target(tgt)
    if domain != "homeassistant":
        entity_ids = [e for e in entity_ids if e.split(".", 1)[0] == domain]
    planned = []
    for eid in entity_ids:
        st = home.states.get(eid)
        if st is None:
            continue  # HA only logs a warning for unknown entities
        planned.append((eid, apply(domain, service, st, data, home)))
    changed = []
    ts = time.time()
    for eid, (state, attrs) in planned:
        old = home.states[eid]
        new = home.set_state(eid, state, attrs, context=context, ts=ts)
        if new is not old:
            changed.append(new)
        if domain == "scene":
            for member in old.attributes.get("entity_id", []):
                target_state = home.states.get(member)
                if target_state and member.startswith("light."):
                    s, a = apply("light", "turn_on", target_state, {}, home)
                    changed.append(home.set_state(member, s, a, context=context))
    return planned, changed


def _as_list(value):
    return [value] if isinstance(value, str) else value


def _browse_root(st):
    return {
        "title": st.attributes.get("friendly_name") or st.entity_id,
        "media_class": "directory",
        "media_content_type": "",
        "media_content_id": "",
        "children_media_class": None,
        "can_play": False,
        "can_expand": True,
        "can_search": False,
        "thumbnail": None,
        "not_shown": 0,
        "children": [],
    }


# ------------------------------------------------- services on no entity
def _notification_create(home, data, tgt, context):
    notification_id = str(data.get("notification_id") or home.ids.hex32())
    home.notifications[notification_id] = {
        "notification_id": notification_id,
        "title": data.get("title"),
        "message": str(data["message"]),
        "created_at": iso(time.time()),
    }
    return []


def _notification_dismiss(home, data, tgt, context):
    home.notifications.pop(str(data["notification_id"]), None)
    return []


def _notification_dismiss_all(home, data, tgt, context):
    home.notifications.clear()
    return []


def _set_location(home, data, tgt, context):
    changes = {}
    for key in ("latitude", "longitude", "elevation"):
        if key in data:
            value = float(data[key])
            home.config[key] = int(value) if key == "elevation" else value
            changes[key] = home.config[key]
    home.fire("core_config_updated", changes)
    return []


def _core_lifecycle(service):
    def run(home, data, tgt, context):
        if home.on_core_service is not None:
            home.on_core_service(service)
        return []

    return run


def _scene_create(home, data, tgt, context):
    object_id = slugify(str(data["scene_id"]))
    eid = f"scene.{object_id}"
    entities = data.get("entities") or {}
    members = list(entities) + list(data.get("snapshot_entities") or [])
    home.created_scenes.add(eid)
    state = home.set_state(
        eid,
        "unknown",
        {"entity_id": members, "friendly_name": object_id},
        context=context,
    )
    return [state]


def _scene_delete(home, data, tgt, context):
    removed = []
    for eid in home.resolve_target(tgt):
        if not eid.startswith("scene.") or eid not in home.states:
            continue
        if eid not in home.created_scenes:
            raise ServiceValidationError(
                f"The scene {eid} is not created with action `scene.create`",
                "only_created_scenes_can_be_deleted",
                {"entity_id": eid},
            )
        home.created_scenes.discard(eid)
        home.remove_state(eid, context)
    return removed


def _scene_apply(home, data, tgt, context):
    changed = []
    for eid, wanted in (data.get("entities") or {}).items():
        st = home.states.get(eid)
        if st is None:
            continue
        if isinstance(wanted, dict):
            state = str(wanted.get("state", st.state))
            extra = {k: v for k, v in wanted.items() if k != "state"}
        else:
            state, extra = str(wanted), {}
        domain = eid.split(".", 1)[0]
        if state in ("on", "off") and domain in CATALOG:
            new_state, attrs = apply(domain, f"turn_{state}", st, extra, home)
        else:
            new_state, attrs = state, dict(st.attributes)
        changed.append(home.set_state(eid, new_state, attrs, context=context))
    return changed


def _tracker_see(home, data, tgt, context):
    dev_id = data.get("dev_id") or data.get("mac") or data.get("host_name")
    if not dev_id:
        raise InvalidFormat("must contain at least one of mac, dev_id.")
    eid = f"device_tracker.{slugify(str(dev_id))}"
    old = home.states.get(eid)
    attrs = dict(old.attributes) if old else {"source_type": "gps"}
    attrs.setdefault("friendly_name", str(dev_id))
    if data.get("gps"):
        attrs["latitude"], attrs["longitude"] = (float(v) for v in data["gps"])
    for key in ("gps_accuracy", "battery", "host_name"):
        if key in data:
            attrs[key] = data[key]
    state = data.get("location_name") or (old.state if old else "not_home")
    return [home.set_state(eid, str(state), attrs, context=context)]


SPECIAL_SERVICES = {
    ("persistent_notification", "create"): _notification_create,
    ("persistent_notification", "dismiss"): _notification_dismiss,
    ("persistent_notification", "dismiss_all"): _notification_dismiss_all,
    ("homeassistant", "set_location"): _set_location,
    ("homeassistant", "restart"): _core_lifecycle("restart"),
    ("homeassistant", "stop"): _core_lifecycle("stop"),
    ("scene", "create"): _scene_create,
    ("scene", "delete"): _scene_delete,
    ("scene", "apply"): _scene_apply,
    ("device_tracker", "see"): _tracker_see,
}


def _ws_call_service(sim, conn, msg):
    context = sim.home.context(user_id=USER_ID)
    try:
        _changed, response = call_service(
            sim.home,
            msg["domain"],
            msg["service"],
            msg.get("service_data"),
            msg.get("target"),
            context,
            msg.get("return_response", False),
        )
    except ServiceNotFound as exc:
        raise WSError(
            "not_found",
            str(exc),
            (
                "homeassistant",
                "service_not_found",
                {"domain": exc.domain, "service": exc.service},
            ),
        ) from exc
    except ServiceValidationError as exc:
        message = str(exc)
        if not message.startswith("Validation error"):
            message = f"Validation error: {message}"
        translation = None
        if exc.translation_key:
            translation = (
                exc.translation_domain,
                exc.translation_key,
                exc.placeholders,
            )
        raise WSError("service_validation_error", message, translation) from exc
    except InvalidFormat as exc:
        raise WSError("invalid_format", str(exc)) from exc
    except UnknownError as exc:
        raise WSError("unknown_error", str(exc)) from exc
    except HomeAssistantError as exc:
        raise WSError("home_assistant_error", str(exc)) from exc
    result = {"context": context}
    if msg.get("return_response"):
        result["response"] = response
    return result


# ---------------------------------------------------------- subscriptions
def _subscribe_events(sim, conn, msg):
    event_type = msg.get("event_type")
    if event_type is not None and event_type not in SUBSCRIBABLE:
        if not isinstance(event_type, str):
            raise WSError("invalid_format", "string value is None")
    suffix = ',"id":%d}' % msg["id"]

    def listener(etype, body, _extra):
        if event_type is None or etype == event_type:
            conn.queue('{"type":"event","event":' + body + suffix)

    sim.home.listeners.append(listener)
    conn.subscriptions[msg["id"]] = lambda: sim.home.listeners.remove(listener)
    return None


def _subscribe_entities(sim, conn, msg):
    wanted = set(msg["entity_ids"]) if msg.get("entity_ids") else None
    suffix = ',"id":%d}' % msg["id"]

    def listener(etype, _body, extra):
        if etype != "state_changed":
            return
        old, new = extra
        eid = (new or old).entity_id
        if wanted is not None and eid not in wanted:
            return
        if new is None:
            event = {"r": [eid]}
        elif old is None:
            event = {"a": {eid: new.compressed()}}
        else:
            event = {"c": {eid: state_diff(old, new)}}
        conn.queue('{"type":"event","event":' + dumps(event) + suffix)

    sim.home.listeners.append(listener)
    conn.subscriptions[msg["id"]] = lambda: sim.home.listeners.remove(listener)
    snapshot = {
        eid: st.compressed()
        for eid, st in sim.home.states.items()
        if wanted is None or eid in wanted
    }
    conn.send_result(msg["id"], None)
    conn.reply('{"type":"event","event":' + dumps({"a": snapshot}) + suffix)
    return conn.ALREADY_SENT


def _unsubscribe_events(sim, conn, msg):
    cancel = conn.subscriptions.pop(msg.get("subscription"), None)
    if cancel is None:
        raise WSError("not_found", "Subscription not found.")
    cancel()
    return None


# -------------------------------------------------------------- registries
def _registry_event(home, kind, action, key, value, **extra):
    data = {"action": action, key: value}
    data.update(extra)
    home.fire(f"{kind}_registry_updated", data)


def _area_create(sim, conn, msg):
    home = sim.home
    if any(a["name"].lower() == msg["name"].lower() for a in home.areas.values()):
        raise WSError("invalid_info", f"The name {msg['name']} is already in use")
    area = home.new_area(msg["name"], msg.get("floor_id"))
    _apply_fields(area, msg, ("aliases", "icon", "labels", "picture"))
    _apply_fields(area, msg, ("humidity_entity_id", "temperature_entity_id"))
    _registry_event(home, "area", "create", "area_id", area["area_id"])
    return area


def _area_update(sim, conn, msg):
    area = _get(sim.home.areas, msg, "area_id", "Area ID doesn't exist")
    fields = ("name", "floor_id", "aliases", "icon", "labels", "picture")
    _apply_fields(area, msg, fields + ("humidity_entity_id", "temperature_entity_id"))
    area["modified_at"] = time.time()
    _registry_event(sim.home, "area", "update", "area_id", area["area_id"])
    return area


def _area_delete(sim, conn, msg):
    home = sim.home
    area = _get(home.areas, msg, "area_id", "Area ID doesn't exist")
    del home.areas[area["area_id"]]
    for entries, kind, key in (
        (home.devices.values(), "device", "id"),
        (home.entities.values(), "entity", "entity_id"),
    ):
        for entry in entries:
            if entry["area_id"] == area["area_id"]:
                entry["area_id"] = None
                _registry_event(
                    home,
                    kind,
                    "update",
                    f"{kind}_id",
                    entry[key],
                    changes={"area_id": area["area_id"]},
                )
    _registry_event(home, "area", "remove", "area_id", area["area_id"])
    return "success"


def _label_create(sim, conn, msg):
    home = sim.home
    if any(lb["name"].lower() == msg["name"].lower() for lb in home.labels.values()):
        raise WSError("invalid_info", f"The name {msg['name']} is already in use")
    label = home.new_label(msg["name"], msg.get("icon"), msg.get("color"))
    _apply_fields(label, msg, ("description",))
    _registry_event(home, "label", "create", "label_id", label["label_id"])
    return label


def _label_update(sim, conn, msg):
    label = _get(sim.home.labels, msg, "label_id", "Label ID doesn't exist")
    _apply_fields(label, msg, ("name", "icon", "color", "description"))
    label["modified_at"] = time.time()
    _registry_event(sim.home, "label", "update", "label_id", label["label_id"])
    return label


def _label_delete(sim, conn, msg):
    home = sim.home
    if isinstance(msg.get("label_id"), str) and msg["label_id"] not in home.labels:
        # HA 2025.4 answers an unknown label id with invalid_info.
        raise WSError("invalid_info", "Label ID doesn't exist")
    label = _get(home.labels, msg, "label_id", "Label ID doesn't exist")
    del home.labels[label["label_id"]]
    for entries in (home.areas.values(), home.devices.values(), home.entities.values()):
        for entry in entries:
            if label["label_id"] in entry["labels"]:
                entry["labels"].remove(label["label_id"])
    _registry_event(home, "label", "remove", "label_id", label["label_id"])
    return None


def _floor_create(sim, conn, msg):
    floor = sim.home.new_floor(msg["name"], msg.get("level"), msg.get("icon"))
    _apply_fields(floor, msg, ("aliases",))
    _registry_event(sim.home, "floor", "create", "floor_id", floor["floor_id"])
    return floor


def _entity_update(sim, conn, msg):
    home = sim.home
    eid = msg.get("entity_id")
    entry = home.entities.get(eid)
    if entry is None:
        raise WSError("not_found", "Entity not found")
    fields = ("name", "icon", "area_id", "labels", "disabled_by", "hidden_by")
    changes = {}
    for key in fields + ("aliases", "categories", "device_class", "options"):
        if key in msg and entry.get(key) != msg[key]:
            changes[key] = entry.get(key)
            entry[key] = msg[key]
    extra = {}
    new_eid = msg.get("new_entity_id")
    if new_eid and new_eid != eid:
        if new_eid in home.states or new_eid in home.entities:
            raise WSError("invalid_info", "Entity with this ID is already registered")
        changes["entity_id"] = eid
        entry["entity_id"] = new_eid
        home.entities[new_eid] = home.entities.pop(eid)
        extra["old_entity_id"] = eid
        old = home.remove_state(eid)
        if old is not None:
            home.set_state(new_eid, old.state, old.attributes)
    if changes:
        entry["modified_at"] = time.time()
        _registry_event(
            home,
            "entity",
            "update",
            "entity_id",
            entry["entity_id"],
            changes=changes,
            **extra,
        )
        st = home.states.get(entry["entity_id"])
        if st is not None and "name" in changes:
            name = entry["name"] or entry["original_name"]
            home.set_state(
                st.entity_id, st.state, dict(st.attributes, friendly_name=name)
            )
    return {"entity_entry": _entity_full(home, entry)}


def _entity_full(home, entry):
    full = dict(entry)
    st = home.states.get(entry["entity_id"])
    attrs = st.attributes if st else {}
    caps = None
    if entry["entity_id"].startswith("light."):
        keys = ("max_color_temp_kelvin", "max_mireds", "min_color_temp_kelvin")
        keys += ("min_mireds", "supported_color_modes", "effect_list")
        caps = {k: attrs[k] for k in keys if k in attrs} or None
    full.update(
        aliases=entry.get("aliases", []),
        capabilities=caps,
        device_class=entry.get("device_class"),
        original_device_class=attrs.get("device_class"),
        original_icon=None,
    )
    return full


def _device_update(sim, conn, msg):
    device = _get(sim.home.devices, msg, "device_id", "Device not found")
    changes = {}
    for key in ("area_id", "name_by_user", "labels", "disabled_by"):
        if key in msg and device.get(key) != msg[key]:
            changes[key] = device[key]
            device[key] = msg[key]
    if changes:
        device["modified_at"] = time.time()
        _registry_event(
            sim.home, "device", "update", "device_id", device["id"], changes=changes
        )
    return device


def _get(registry, msg, key, error):
    if not isinstance(msg.get(key), str):
        raise WSError(
            "invalid_format",
            f"expected str for dictionary value @ data['{key}']. Got {msg.get(key)!r}",
        )
    entry = registry.get(msg[key])
    if entry is None:
        raise WSError("unknown_error", "Unknown error")
    return entry


def _apply_fields(entry, msg, fields):
    for key in fields:
        if key in msg:
            value = msg[key]
            entry[key] = list(value) if isinstance(value, list | tuple) else value


# ---------------------------------------------------------------- recorder
def _history_during_period(sim, conn, msg):
    start = parse_iso(msg.get("start_time", ""))
    if start is None:
        raise WSError("invalid_start_time", "Invalid start_time")
    end = None
    if msg.get("end_time"):
        end = parse_iso(msg["end_time"])
        if end is None:
            raise WSError("invalid_end_time", "Invalid end_time")
    entity_ids = msg.get("entity_ids")
    if not entity_ids or not isinstance(entity_ids, list):
        raise WSError(
            "invalid_format", "required key not provided @ data['entity_ids']"
        )
    bad = [e for e in entity_ids if "." not in e]
    if bad:
        raise WSError("invalid_entity_ids", "Invalid entity_ids")
    minimal = msg.get("minimal_response", False)
    no_attrs = msg.get("no_attributes", False)
    rows = history.query(
        sim.home,
        entity_ids,
        start,
        end,
        msg.get("include_start_time_state", True),
        msg.get("significant_changes_only", True),
        minimal,
        no_attrs,
    )
    return history.compressed(sim.home, rows, minimal, no_attrs)


def _statistics_during_period(sim, conn, msg):
    start = parse_iso(msg.get("start_time", ""))
    if start is None:
        raise WSError("invalid_start_time", "Invalid start_time")
    end = time.time()
    if msg.get("end_time"):
        end = parse_iso(msg["end_time"])
        if end is None:
            raise WSError("invalid_end_time", "Invalid end_time")
    period = msg.get("period")
    if period not in ("5minute", "hour", "day", "week", "month"):
        raise WSError("invalid_format", f"value must be one of ... for {period}")
    types = msg.get("types") or STAT_TYPES
    out = {}
    for statistic_id in msg.get("statistic_ids") or []:
        rows = statistics_rows(sim.home, statistic_id, start, end, period, types)
        if rows:
            out[statistic_id] = rows
    return out


def _list_statistic_ids(sim, conn, msg):
    wanted = msg.get("statistic_type")
    out = []
    for sid, stat in sim.home.statistics.items():
        has_sum = stat["kind"] == "sum"
        if wanted and (wanted == "sum") != has_sum:
            continue
        out.append(
            {
                "statistic_id": sid,
                "display_unit_of_measurement": stat["unit"],
                "has_mean": not has_sum,
                "mean_type": 0 if has_sum else 1,
                "has_sum": has_sum,
                "name": None,
                "source": "recorder",
                "statistics_unit_of_measurement": stat["unit"],
                "unit_class": UNIT_CLASSES.get(stat["unit"]),
            }
        )
    return out


# ------------------------------------------------------------------ search
def _related_area(home, item_id, add):
    area = home.areas.get(item_id)
    if area:
        add("floor", area["floor_id"])
    for dev in home.devices.values():
        if dev["area_id"] == item_id:
            add("config_entry", dev["primary_config_entry"])
            add("device", dev["id"])
    for eid in home.entities:
        if home.area_of(eid) == item_id:
            add("entity", eid)


def _related_floor(home, item_id, add):
    for area in home.areas.values():
        if area["floor_id"] == item_id:
            add("area", area["area_id"])


def _related_device(home, item_id, add):
    dev = home.devices.get(item_id)
    if dev:
        add("area", dev["area_id"])
        add("config_entry", dev["primary_config_entry"])
        add("integration", dev["identifiers"][0][0] if dev["identifiers"] else None)
    for eid, entry in home.entities.items():
        if entry["device_id"] == item_id:
            add("entity", eid)


def _related_entity(home, item_id, add):
    entry = home.entities.get(item_id)
    if entry:
        add("device", entry["device_id"])
        add("area", home.area_of(item_id))
        add("config_entry", entry["config_entry_id"])
        add("integration", entry["platform"])


def _related_label(home, item_id, add):
    for kind, entries, key in (
        ("area", home.areas.values(), "area_id"),
        ("device", home.devices.values(), "id"),
        ("entity", home.entities.values(), "entity_id"),
    ):
        for entry in entries:
            if item_id in entry["labels"]:
                add(kind, entry[key])


RELATED = {
    "area": _related_area,
    "floor": _related_floor,
    "device": _related_device,
    "entity": _related_entity,
    "label": _related_label,
}


def _search_related(sim, conn, msg):
    out = {}

    def add(kind, value):
        if value:
            bucket = out.setdefault(kind, [])
            if value not in bucket:
                bucket.append(value)

    finder = RELATED.get(msg.get("item_type"))
    if finder is not None:
        finder(sim.home, msg.get("item_id"), add)
    return out


HANDLERS = {
    "ping": None,  # handled by the connection (pong, not a result)
    "get_states": lambda sim, conn, msg: conn.RAW_STATES,
    "get_config": lambda sim, conn, msg: sim.home.config,
    "get_services": lambda sim, conn, msg: sim.home.services,
    "call_service": _ws_call_service,
    "subscribe_events": _subscribe_events,
    "unsubscribe_events": _unsubscribe_events,
    "subscribe_entities": _subscribe_entities,
    "config/area_registry/list": lambda sim, c, m: list(sim.home.areas.values()),
    "config/area_registry/create": _area_create,
    "config/area_registry/update": _area_update,
    "config/area_registry/delete": _area_delete,
    "config/floor_registry/list": lambda sim, c, m: list(sim.home.floors.values()),
    "config/floor_registry/create": _floor_create,
    "config/label_registry/list": lambda sim, c, m: list(sim.home.labels.values()),
    "config/label_registry/create": _label_create,
    "config/label_registry/update": _label_update,
    "config/label_registry/delete": _label_delete,
    "config/device_registry/list": lambda sim, c, m: list(sim.home.devices.values()),
    "config/device_registry/update": _device_update,
    "config/entity_registry/list": lambda sim, c, m: list(sim.home.entities.values()),
    "config/entity_registry/get": lambda sim, c, m: _entity_full(
        sim.home, _get(sim.home.entities, m, "entity_id", "Entity not found")
    ),
    "config/entity_registry/update": _entity_update,
    "history/history_during_period": _history_during_period,
    "recorder/statistics_during_period": _statistics_during_period,
    "recorder/list_statistic_ids": _list_statistic_ids,
    "search/related": _search_related,
    # HA's own URLs: the configured ones (the simulator sets internal_url).
    "network/url": lambda sim, c, m: {
        "internal": sim.home.config.get("internal_url"),
        "external": sim.home.config.get("external_url"),
        "cloud": None,
    },
}


def slug(text):
    return slugify(text)
