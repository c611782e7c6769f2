"""State machine, event bus, registries and recorder of the simulated home.

All mutation happens on the simulator's event loop thread; other threads go
through :class:`~.server.Simulator`, which hops onto the loop first.
"""

import json
import math
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
# Two Crockford characters per 10 bits: a ULID's 80 random bits are 8 lookups.
_CROCKFORD_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# What ``_dumps`` does for a str, without the encoder's Python-level dispatch.
_dumps_str = json.encoder.encode_basestring


def dumps(obj):
    """Compact JSON, as HA sends it."""
    return _dumps(obj)


class _IsoFormatter:
    """Epoch seconds -> ``datetime.fromtimestamp(ts, UTC).isoformat()``.

    Same string, cheaper: the ``YYYY-MM-DDTHH:MM:SS`` part is cached for the
    last second seen (event storms stay within one second for many events)
    and only the microseconds are formatted per call.  Microseconds are
    rounded exactly like ``datetime.fromtimestamp`` (``modf``, then half-even
    rounding, with carry), and dropped when zero, like ``isoformat``.
    """

    __slots__ = ("_sec", "_prefix")

    def __init__(self):
        self._sec = None
        self._prefix = ""

    def __call__(self, ts):
        frac, whole = math.modf(ts)
        if frac < 0:  # before 1970: not worth a fast path
            return datetime.fromtimestamp(ts, UTC).isoformat()
        us = round(frac * 1e6)
        sec = int(whole)
        if us >= 1000000:
            sec += 1
            us -= 1000000
        if sec != self._sec:
            self._prefix = datetime.fromtimestamp(sec, UTC).isoformat()[:-6]
            self._sec = sec
        if us:
            return "%s.%06d+00:00" % (self._prefix, us)
        return self._prefix + "+00:00"


iso = _IsoFormatter()  # epoch seconds -> ISO string with ``+00:00`` like HA


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
        # ULIDs draw from their own generator, so registry ids do not depend
        # on how many contexts were made (or on the clock).
        self._ulid_rng = random.Random(f"ulid-{seed}")
        self._ms = None
        self._prefix = ""
        self._low = 0

    def ulid(self, ts=None):
        """26 Crockford characters: 48-bit milliseconds, 80 random bits.

        Like a monotonic ULID generator, ids of the same millisecond share
        their first 60 random bits and count up in the last 20, so the first
        22 characters are formatted once per millisecond and each id costs
        two table lookups.
        """
        ms = int((time.time() if ts is None else ts) * 1000)
        low = self._low
        if ms != self._ms or low > 0xFFFFF:
            pairs = _CROCKFORD_PAIRS
            r = self._ulid_rng.getrandbits(80)
            self._prefix = (
                _CROCKFORD[(ms >> 45) & 7]
                + _CROCKFORD[(ms >> 40) & 31]
                + pairs[(ms >> 30) & 1023]
                + pairs[(ms >> 20) & 1023]
                + pairs[(ms >> 10) & 1023]
                + pairs[ms & 1023]
                + pairs[r >> 70]
                + pairs[(r >> 60) & 1023]
                + pairs[(r >> 50) & 1023]
                + pairs[(r >> 40) & 1023]
                + pairs[(r >> 30) & 1023]
                + pairs[(r >> 20) & 1023]
            )
            self._ms = ms
            low = r & 0xFFFFF
        self._low = low + 1
        return self._prefix + _CROCKFORD_PAIRS[low >> 10] + _CROCKFORD_PAIRS[low & 1023]

    def hex32(self):
        return f"{self._rng.getrandbits(128):032x}"


def context_json(context):
    """``dumps(context)``, without the encoder for the usual plain context."""
    if (
        context.get("parent_id") is None
        and context.get("user_id") is None
        and len(context) == 3
        and type(context.get("id")) is str
        and next(iter(context)) == "id"
    ):
        return '{"id":' + _dumps(context["id"]) + ',"parent_id":null,"user_id":null}'
    return _dumps(context)


class State:
    """One entity state; its JSON is cached (states are immutable).

    ISO timestamps are formatted at most once per state and shared with the
    previous state when the instant is the same (``last_changed`` of a state
    whose string did not change); the attributes' JSON is shared with the
    previous state when the attributes dict is the same object.
    """

    __slots__ = (
        "entity_id",
        "state",
        "attributes",
        "last_changed",
        "last_updated",
        "last_reported",
        "context",
        "_json",
        "_lc_iso",
        "_lu_iso",
        "_lr_iso",
        "_ctx_json",
        "_attrs_json",
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
        self._lc_iso = None
        self._lu_iso = None
        self._lr_iso = None
        self._ctx_json = None
        self._attrs_json = None

    @property
    def domain(self):
        return self.entity_id.split(".", 1)[0]

    def lu_iso(self):
        if self._lu_iso is None:
            self._lu_iso = iso(self.last_updated)
        return self._lu_iso

    def lc_iso(self):
        if self._lc_iso is None:
            if self.last_changed == self.last_updated:
                self._lc_iso = self.lu_iso()
            else:
                self._lc_iso = iso(self.last_changed)
        return self._lc_iso

    def lr_iso(self):
        if self._lr_iso is None:
            if self.last_reported == self.last_updated:
                self._lr_iso = self.lu_iso()
            else:
                self._lr_iso = iso(self.last_reported)
        return self._lr_iso

    def context_json(self):
        if self._ctx_json is None:
            self._ctx_json = context_json(self.context)
        return self._ctx_json

    def attributes_json(self):
        if self._attrs_json is None:
            self._attrs_json = _dumps(self.attributes)
        return self._attrs_json

    def reported(self, ts):
        """Same state and attributes written again: only last_reported moves."""
        self.last_reported = ts
        self._lr_iso = None
        self._json = None

    def as_dict(self):
        return {
            "entity_id": self.entity_id,
            "state": self.state,
            "attributes": self.attributes,
            "last_changed": self.lc_iso(),
            "last_reported": self.lr_iso(),
            "last_updated": self.lu_iso(),
            "context": self.context,
        }

    def json(self):
        """``dumps(self.as_dict())``, assembled from cached parts."""
        if self._json is None:
            lu = self._lu_iso or self.lu_iso()
            self._json = "".join(
                (
                    '{"entity_id":',
                    _dumps_str(self.entity_id),
                    ',"state":',
                    _dumps_str(self.state),
                    ',"attributes":',
                    self._attrs_json or self.attributes_json(),
                    ',"last_changed":"',
                    self._lc_iso or self.lc_iso(),
                    '","last_reported":"',
                    self._lr_iso or self.lr_iso(),
                    '","last_updated":"',
                    lu,
                    '","context":',
                    self._ctx_json or self.context_json(),
                    "}",
                )
            )
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
        self.light_memory = {}  # entity_id -> how the light looks when on
        self.notifications = {}  # persistent notifications, by id
        self.created_scenes = set()  # scene.create's scenes (deletable)
        self.on_core_service = None  # homeassistant.restart/stop -> simulator

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

    def fire_state_changed(self, entity_id, old, new, context, ts, ctx_json=None):
        """Serialize a state_changed event once for every listener.

        ``time_fired`` is the new state's ``last_updated`` (same instant in
        HA) and the event context is the new state's, so both reuse the
        state's cached strings.
        """
        if not self.listeners:
            return
        if new is not None and new.last_updated == ts:
            fired = new._lu_iso or new.lu_iso()
        else:
            fired = iso(ts)
        if ctx_json is None:
            ctx_json = (
                new.context_json()
                if new is not None and new.context is context
                else context_json(context)
            )
        body = "".join(
            (
                '{"event_type":"state_changed","data":{"entity_id":',
                _dumps_str(entity_id),
                ',"old_state":',
                old.json() if old else "null",
                ',"new_state":',
                new.json() if new else "null",
                '},"origin":"LOCAL","time_fired":"',
                fired,
                '","context":',
                ctx_json,
                "}",
            )
        )
        extra = (old, new)
        for listener in self.listeners.copy():
            listener("state_changed", body, extra)

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
        if old is None:
            if attributes is None:
                attributes = {}
            lc = ts
        else:
            old_attrs = old.attributes
            if attributes is None:
                attributes = dict(old_attrs)
            if old.state == state:
                if not force and (attributes is old_attrs or attributes == old_attrs):
                    old.reported(ts)
                    return old
                lc = old.last_changed
            else:
                lc = ts
        ctx_json = None
        if not context:
            ctx_id = self.ids.ulid(ts)
            context = {"id": ctx_id, "parent_id": None, "user_id": None}
            ctx_json = '{"id":"' + ctx_id + '","parent_id":null,"user_id":null}'
        new = State(entity_id, state, attributes, lc, ts, context)
        new._ctx_json = ctx_json
        if old is not None:
            if lc is not ts:
                new._lc_iso = old._lc_iso
            if attributes is old_attrs:
                new._attrs_json = old._attrs_json
        self.states[entity_id] = new
        rows = self.history.get(entity_id)
        if rows is None:
            rows = self.history[entity_id] = deque(maxlen=HISTORY_ROWS_PER_ENTITY)
        rows.append((state, attributes, lc, ts))
        if self.listeners:
            new._lu_iso = new._lr_iso = stamp = iso(ts)
            if lc is ts:
                new._lc_iso = stamp
            self.fire_state_changed(entity_id, old, new, context, ts, ctx_json)
        return new

    def remove_state(self, entity_id, context=None):
        old = self.states.pop(entity_id, None)
        if old is not None:
            ts = time.time()
            self.fire_state_changed(
                entity_id, old, None, context or self.context(ts=ts), ts
            )
        return old

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
