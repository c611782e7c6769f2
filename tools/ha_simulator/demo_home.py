"""Deterministic demo home and synthetic large homes.

The demo home has ~130 entities in 36 domains, 45+ devices, 9 areas on two
floors (plus a garden without floor), labels, three days of recorded history
and hourly long-term statistics for numeric sensors.
"""

import math
import random
import time

from .core import Home
from .demo_catalog import AREAS, FLOORS, LABELS, _devices
from .demo_glances import add_glances
from .demo_helpers import HELPERS, UNREGISTERED
from .services import build_descriptions


def build_demo(seed=0):
    """The deterministic demo home (with ~3 days of history)."""
    home = Home(seed)
    rng = random.Random(seed)
    now = time.time()
    start = now - 3 * 86400
    for floor_id, name, level in FLOORS:
        home.new_floor(name, level, f"mdi:home-floor-{level}", floor_id=floor_id)
    for area_id, name, floor in AREAS:
        home.new_area(name, floor, area_id=area_id)
    for label_id, name, icon, color in LABELS:
        home.new_label(name, icon, color)
        assert label_id in home.labels
    home.areas["garden"]["labels"] = ["energy"]
    home.areas["living_room"]["temperature_entity_id"] = (
        "sensor.living_room_temperature"
    )
    home.areas["living_room"]["humidity_entity_id"] = "sensor.living_room_humidity"
    for name, area, manufacturer, model, entities in _devices():
        device = home.new_device(
            name,
            manufacturer,
            model,
            area,
            sw_version="1.0.0" if manufacturer else None,
            entry_type="service" if manufacturer is None else None,
        )
        for eid, (state, attrs), labels in entities:
            home.new_entity_entry(
                eid,
                "demo",
                device["id"],
                labels=list(labels),
                original_name=attrs["friendly_name"],
                entity_category="diagnostic" if eid.endswith("_battery") else None,
            )
            _seed_state(home, eid, state, attrs, start)
    home.devices[next(iter(home.devices))]["labels"] = ["odoo"]
    add_glances(
        home, lambda eid, state, attrs: _seed_state(home, eid, state, attrs, start)
    )
    for eid, (name, state, attrs), area, labels in HELPERS:
        platform = eid.split(".")[0]
        home.new_entity_entry(
            eid,
            platform,
            None,
            area_id=area,
            labels=labels,
            unique_id=eid.split(".")[1],
            original_name=name,
        )
        _seed_state(home, eid, state, dict(attrs, friendly_name=name), start)
    for eid, (name, state, attrs) in UNREGISTERED:
        _seed_state(home, eid, state, dict(attrs, friendly_name=name), start)
    home.codes.update({"alarm_control_panel.home_alarm": "1234", "lock.shed": "1234"})
    _register_statistics(home)
    _seed_history(home, rng, start, now)
    _finish(home)
    return home


def _seed_state(home, eid, state, attrs, ts):
    home.set_state(eid, state, attrs, ts=ts)


def _seed_history(home, rng, start, now):
    """Half-hourly numeric sensor samples, a few toggles, final = current state."""
    numeric = [
        eid
        for eid, st in home.states.items()
        if eid.startswith("sensor.") and is_number(st.state)
    ]
    toggles = [eid for eid in home.states if eid.split(".")[0] in ("light", "switch")]
    final = {eid: (st.state, st.attributes) for eid, st in home.states.items()}
    step = 1800
    t = start + step
    while t < now - 60:
        for eid in numeric:
            st = home.states[eid]
            stat = home.statistics.get(eid)
            value = _stat_value(eid, t, stat) if stat else float(st.state)
            home.set_state(eid, _fmt(value, st.state), st.attributes, ts=t)
        if int(t) % (4 * step) < step:
            for eid in toggles:
                if rng.random() < 0.3:
                    st = home.states[eid]
                    home.set_state(eid, "off" if st.state == "on" else "on", ts=t)
        t += step
    for eid, (state, attrs) in final.items():
        home.set_state(eid, state, attrs, ts=now - 30)


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fmt(value, like):
    if "." not in like:
        return str(int(round(value)))
    decimals = len(like.split(".")[1])
    return f"{value:.{decimals}f}"


def _stat_value(statistic_id, ts, stat):
    """Deterministic smooth signal used for both history and statistics."""
    hours = ts / 3600
    phase = (sum(map(ord, statistic_id)) % 24) / 24 * 2 * math.pi
    if stat["kind"] == "sum":
        return stat["base"] + stat["amp"] * (hours - stat["t0"] / 3600)
    return stat["base"] + stat["amp"] * math.sin(2 * math.pi * hours / 24 + phase)


def _register_statistics(home):
    """Long-term statistics for every numeric sensor with a state_class."""
    for eid, st in home.states.items():
        sc = st.attributes.get("state_class")
        if not eid.startswith("sensor.") or not sc or not is_number(st.state):
            continue
        value = float(st.state)
        if sc == "measurement":
            home.statistics[eid] = {
                "kind": "mean",
                "unit": st.attributes.get("unit_of_measurement"),
                "base": value,
                "amp": max(0.5, abs(value) * 0.05),
                "t0": 0,
            }
        else:
            home.statistics[eid] = {
                "kind": "sum",
                "unit": st.attributes.get("unit_of_measurement"),
                "base": value,
                "amp": 0.35,
                "t0": time.time(),
            }


def _finish(home):
    """Service descriptions and the core config."""
    scripts = [e.split(".", 1)[1] for e in home.states if e.startswith("script.")]
    home.services = build_descriptions(scripts)
    domains = sorted({e.split(".")[0] for e in home.states})
    home.config = {
        "allowlist_external_dirs": ["/config/www", "/config/media"],
        "allowlist_external_urls": [],
        "components": sorted(
            set(domains)
            | {
                "api",
                "websocket_api",
                "history",
                "recorder",
                "config",
                "http",
                "search",
            }
        ),
        "config_dir": "/config",
        "config_source": "storage",
        "country": "BE",
        "currency": "EUR",
        "debug": False,
        "elevation": 13,
        "external_url": None,
        "internal_url": None,
        "language": "en",
        "latitude": 50.85,
        "location_name": "Simulated Home",
        "longitude": 4.35,
        "radius": 100,
        "recovery_mode": False,
        "safe_mode": False,
        "state": "RUNNING",
        "time_zone": "UTC",
        "unit_system": {
            "length": "km",
            "accumulated_precipitation": "mm",
            "area": "m²",
            "mass": "g",
            "pressure": "Pa",
            "temperature": "°C",
            "volume": "L",
            "wind_speed": "m/s",
        },
        "version": "2025.4.4",
        "whitelist_external_dirs": ["/config/www", "/config/media"],
    }
