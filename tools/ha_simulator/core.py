"""State machine, event bus, registries and recorder of the simulated home.

All mutation happens on the simulator's event loop thread; other threads go
through :class:`~.server.Simulator`, which hops onto the loop first.
"""

import base64
import json
import random
import re
import time
from collections import deque
from datetime import UTC, datetime

HA_VERSION = "2025.4.4"
USER_ID = "5f0a6b1c2d3e4f5061728394a5b6c7d8"  # the owner behind every token
HISTORY_ROWS_PER_ENTITY = 2000
# Domains whose attribute-only changes are significant and which keep their
# attributes in minimal/no_attributes history answers.
NEED_ATTRIBUTE_DOMAINS = {
    "climate",
    "humidifier",
    "input_datetime",
    "thermostat",
    "water_heater",
}
SIGNIFICANT_DOMAINS = {
    "climate",
    "device_tracker",
    "humidifier",
    "thermostat",
    "water_heater",
}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_B32_TO_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD.encode()
)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(obj):
    """Compact JSON, as HA sends it."""
    return _dumps(obj)


def iso(ts):
    """Epoch seconds -> ISO string with ``+00:00`` like HA."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


def parse_iso(text):
    """ISO string -> epoch seconds (naive times are UTC); None if invalid."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def slugify(text):
    slug = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return slug or "unnamed"


class IdFactory:
    """ULID-shaped context ids and hex registry ids, seeded for determinism."""

    def __init__(self, seed=0):
        self._rng = random.Random(seed)

    def ulid(self, ts=None):
        ms = int((time.time() if ts is None else ts) * 1000)
        value = (ms << 80) | self._rng.getrandbits(80)
        head = _CROCKFORD[value >> 125] + _CROCKFORD[(value >> 120) & 31]
        tail = (value & ((1 << 120) - 1)).to_bytes(15, "big")
        return head + base64.b32encode(tail).translate(_B32_TO_CROCKFORD).decode()

    def hex32(self):
        return f"{self._rng.getrandbits(128):032x}"


class State:
    """One entity state; ``as_dict``/``json`` are cached (states are immutable)."""

    __slots__ = (
        "entity_id",
        "state",
        "attributes",
        "last_changed",
        "last_updated",
        "last_reported",
        "context",
        "_json",
    )

    def __init__(self, entity_id, state, attributes, lc, lu, context):
        self.entity_id = entity_id
        self.state = state
        self.attributes = attributes
        self.last_changed = lc
        self.last_updated = lu
        self.last_reported = lu
        self.context = context
        self._json = None

    @property
    def domain(self):
        return self.entity_id.split(".", 1)[0]

    def as_dict(self):
        return {
            "entity_id": self.entity_id,
            "state": self.state,
            "attributes": self.attributes,
            "last_changed": iso(self.last_changed),
            "last_reported": iso(self.last_reported),
            "last_updated": iso(self.last_updated),
            "context": self.context,
        }

    def json(self):
        if self._json is None:
            self._json = dumps(self.as_dict())
        return self._json

    def compressed(self):
        ctx = self.context
        out = {
            "s": self.state,
            "a": self.attributes,
            "c": ctx["id"]
            if ctx["parent_id"] is None and ctx["user_id"] is None
            else ctx,
            "lc": self.last_changed,
        }
        if self.last_updated != self.last_changed:
            out["lu"] = self.last_updated
        return out


def state_diff(old, new):
    """The ``c`` entry of a subscribe_entities change, per HA's rules."""
    plus = {}
    diff = {"+": plus}
    if old.state != new.state:
        plus["s"] = new.state
    if old.last_changed != new.last_changed:
        plus["lc"] = new.last_changed
    elif old.last_updated != new.last_updated:
        plus["lu"] = new.last_updated
    octx, nctx = old.context, new.context
    ctx = {}
    for key in ("parent_id", "user_id"):
        if octx[key] != nctx[key]:
            ctx[key] = nctx[key]
    if octx["id"] != nctx["id"]:
        if ctx:
            ctx["id"] = nctx["id"]
        else:
            plus["c"] = nctx["id"]
    if ctx:
        plus["c"] = ctx
    oattr, nattr = old.attributes, new.attributes
    if oattr != nattr:
        changed = {k: v for k, v in nattr.items() if k not in oattr or oattr[k] != v}
        if changed:
            plus["a"] = changed
        removed = [k for k in oattr if k not in nattr]
        if removed:
            diff["-"] = {"a": removed}
    return diff


class Home:
    """Entities, registries, history and the event bus of one simulated HA."""

    def __init__(self, seed=0):
        self.ids = IdFactory(seed)
        self.states = {}
        self.history = {}  # entity_id -> deque of (state, attrs, lc, lu)
        self.floors = {}
        self.areas = {}
        self.labels = {}
        self.devices = {}
        self.entities = {}  # entity registry, by entity_id
        self.statistics = {}  # statistic_id -> dict(kind, unit, base, amp)
        self.listeners = []  # callables (event_type, event_json_body, extra)
        self.services = {}  # filled by services.build_descriptions
        self.config = {}
        self.codes = {}  # entity_id -> code for locks and alarm panels
        self.service_calls = []  # (domain, service, data, target) for stats

    # ---------------------------------------------------------- contexts
    def context(self, user_id=None, parent_id=None, ts=None):
        return {"id": self.ids.ulid(ts), "parent_id": parent_id, "user_id": user_id}

    # -------------------------------------------------------------- bus
    def fire(self, event_type, data, context=None, ts=None, extra=None):
        """Serialize an event once and hand it to every listener."""
        if not self.listeners:
            return
        ts = time.time() if ts is None else ts
        context = context or self.context(ts=ts)
        body = dumps(
            {
                "event_type": event_type,
                "data": data,
                "origin": "LOCAL",
                "time_fired": iso(ts),
                "context": context,
            }
        )
        for listener in list(self.listeners):
            listener(event_type, body, extra)

    def fire_state_changed(self, entity_id, old, new, context, ts):
        if not self.listeners:
            return
        body = (
            '{"event_type":"state_changed","data":{"entity_id":'
            + dumps(entity_id)
            + ',"old_state":'
            + (old.json() if old else "null")
            + ',"new_state":'
            + (new.json() if new else "null")
            + '},"origin":"LOCAL","time_fired":"'
            + iso(ts)
            + '","context":'
            + dumps(context)
            + "}"
        )
        for listener in list(self.listeners):
            listener("state_changed", body, (old, new))

    # ------------------------------------------------------------ states
    def set_state(
        self, entity_id, state, attributes=None, context=None, ts=None, force=False
    ):
        """Write a state like ``StateMachine.async_set``; returns the new State.

        ``last_changed`` moves only when the state string changes; nothing is
        fired when neither state nor attributes change (unless ``force``).
        """
        ts = time.time() if ts is None else ts
        state = str(state)
        old = self.states.get(entity_id)
        if attributes is None:
            attributes = dict(old.attributes) if old else {}
        if old is not None and not force:
            if old.state == state and old.attributes == attributes:
                old.last_reported = ts
                old._json = None
                return old
        context = context or self.context(ts=ts)
        lc = old.last_changed if old is not None and old.state == state else ts
        new = State(entity_id, state, attributes, lc, ts, context)
        self.states[entity_id] = new
        self.record(new)
        self.fire_state_changed(entity_id, old, new, context, ts)
        return new

    def remove_state(self, entity_id, context=None):
        old = self.states.pop(entity_id, None)
        if old is not None:
            ts = time.time()
            self.fire_state_changed(
                entity_id, old, None, context or self.context(ts=ts), ts
            )
        return old

    def record(self, st):
        rows = self.history.get(st.entity_id)
        if rows is None:
            rows = self.history[st.entity_id] = deque(maxlen=HISTORY_ROWS_PER_ENTITY)
        rows.append((st.state, st.attributes, st.last_changed, st.last_updated))

    # -------------------------------------------------------- registries
    def area_of(self, entity_id):
        entry = self.entities.get(entity_id)
        if entry is None:
            return None
        if entry["area_id"]:
            return entry["area_id"]
        device = self.devices.get(entry["device_id"])
        return device["area_id"] if device else None

    def new_floor(self, name, level=None, icon=None, aliases=(), floor_id=None):
        floor_id = floor_id or self._unique(slugify(name), self.floors)
        now = time.time()
        self.floors[floor_id] = {
            "aliases": list(aliases),
            "created_at": now,
            "floor_id": floor_id,
            "icon": icon,
            "level": level,
            "modified_at": now,
            "name": name,
        }
        return self.floors[floor_id]

    def new_area(self, name, floor_id=None, icon=None, labels=(), area_id=None):
        area_id = area_id or self._unique(slugify(name), self.areas)
        now = time.time()
        self.areas[area_id] = {
            "aliases": [],
            "area_id": area_id,
            "floor_id": floor_id,
            "humidity_entity_id": None,
            "icon": icon,
            "labels": list(labels),
            "name": name,
            "picture": None,
            "temperature_entity_id": None,
            "created_at": now,
            "modified_at": now,
        }
        return self.areas[area_id]

    def new_label(self, name, icon=None, color=None, description=None):
        label_id = self._unique(slugify(name), self.labels)
        now = time.time()
        self.labels[label_id] = {
            "color": color,
            "created_at": now,
            "description": description,
            "icon": icon,
            "label_id": label_id,
            "name": name,
            "modified_at": now,
        }
        return self.labels[label_id]

    def new_device(self, name, manufacturer, model, area_id=None, **extra):
        device_id = self.ids.hex32()
        entry_id = extra.pop("config_entry", "01JSIMDEMO0000000000000000")
        now = time.time()
        device = {
            "area_id": area_id,
            "configuration_url": None,
            "config_entries": [entry_id],
            "config_entries_subentries": {entry_id: [None]},
            "connections": [],
            "created_at": now,
            "disabled_by": None,
            "entry_type": None,
            "hw_version": None,
            "id": device_id,
            "identifiers": [["demo", slugify(name)]],
            "labels": [],
            "manufacturer": manufacturer,
            "model": model,
            "model_id": None,
            "modified_at": now,
            "name_by_user": None,
            "name": name,
            "primary_config_entry": entry_id,
            "serial_number": None,
            "sw_version": None,
            "via_device_id": None,
        }
        device.update(extra)
        self.devices[device_id] = device
        return device

    def new_entity_entry(self, entity_id, platform, device_id=None, **extra):
        now = time.time()
        entry = {
            "area_id": None,
            "categories": {},
            "config_entry_id": "01JSIMDEMO0000000000000000" if device_id else None,
            "config_subentry_id": None,
            "created_at": now,
            "device_id": device_id,
            "disabled_by": None,
            "entity_category": None,
            "entity_id": entity_id,
            "has_entity_name": bool(device_id),
            "hidden_by": None,
            "icon": None,
            "id": self.ids.hex32(),
            "labels": [],
            "modified_at": now,
            "name": None,
            "options": {"conversation": {"should_expose": False}},
            "original_name": None,
            "platform": platform,
            "translation_key": None,
            "unique_id": f"{platform}_{entity_id.replace('.', '_')}",
        }
        entry.update(extra)
        self.entities[entity_id] = entry
        return entry

    @staticmethod
    def _unique(base, existing):
        candidate, n = base, 2
        while candidate in existing:
            candidate = f"{base}_{n}"
            n += 1
        return candidate

    # ---------------------------------------------------------- targets
    def resolve_target(self, target):
        """entity/device/area/floor/label ids -> ordered entity_id list."""

        def as_list(value):
            if value is None:
                return []
            return [value] if isinstance(value, str) else list(value)

        result = []
        seen = set()

        def add(eid):
            if eid not in seen:
                seen.add(eid)
                result.append(eid)

        entity_ids = as_list(target.get("entity_id"))
        if "all" in entity_ids:
            entity_ids = list(self.states)
        for eid in entity_ids:
            add(str(eid).lower())
        areas = set(as_list(target.get("area_id")))
        for floor_id in as_list(target.get("floor_id")):
            areas |= {a for a, e in self.areas.items() if e["floor_id"] == floor_id}
        devices = set(as_list(target.get("device_id")))
        labels = set(as_list(target.get("label_id")))
        if labels:
            areas |= {a for a, e in self.areas.items() if labels & set(e["labels"])}
            devices |= {d for d, e in self.devices.items() if labels & set(e["labels"])}
        if areas:
            devices |= {d for d, e in self.devices.items() if e["area_id"] in areas}
        for eid, entry in self.entities.items():
            if entry["disabled_by"] or entry["hidden_by"]:
                continue
            if (
                entry["device_id"] in devices
                and not (entry["area_id"] and areas and entry["area_id"] not in areas)
                or entry["area_id"] in areas
                or labels & set(entry["labels"])
            ):
                add(eid)
        return result
