"""Large generated homes and long-term statistics rows."""

import math
import random
import time
from datetime import UTC, datetime

from .core import Home
from .demo_catalog import _climate, _cover, _light, _sensor, _simple
from .demo_home import _finish, _register_statistics, _stat_value

SYNTH_DOMAINS = [
    ("sensor", 0.45),
    ("binary_sensor", 0.2),
    ("light", 0.15),
    ("switch", 0.1),
    ("cover", 0.05),
    ("climate", 0.05),
]

# colour modes (the first is the mode when on) and effect support
SYNTH_LIGHTS = [
    (["brightness"], False),
    (["color_temp", "hs"], True),
    (["onoff"], False),
    (["hs"], False),
    (["rgbw"], False),
]


def build_synthetic(entities, devices, areas, seed=0):
    """A large generated home: ``entities`` spread over ``devices`` and ``areas``."""
    home = Home(seed)
    rng = random.Random(seed)
    ts = time.time() - 3600
    devices = max(1, devices)
    floors = max(1, math.ceil(max(1, areas) / 10))
    for idx in range(floors):
        home.new_floor(f"Floor {idx}", idx, floor_id=f"floor_{idx}")
    area_ids = []
    for idx in range(areas):
        floor = f"floor_{idx // 10}" if idx < areas - 1 or areas == 1 else None
        area_ids.append(
            home.new_area(f"Area {idx:04d}", floor, area_id=f"area_{idx:04d}")[
                "area_id"
            ]
        )
    home.new_label("Odoo", "mdi:odoo", "purple")
    device_ids = []
    for idx in range(devices):
        area = area_ids[idx % len(area_ids)] if area_ids else None
        dev = home.new_device(
            f"Device {idx:05d}", "Simulated", f"Model {idx % 7}", area
        )
        device_ids.append(dev["id"])
    cumulative = []
    total = 0.0
    for domain, share in SYNTH_DOMAINS:
        total += share
        cumulative.append((total, domain))
    home.listeners = []
    for idx in range(entities):
        pick = (idx * 0.6180339887) % 1.0
        domain = next(d for limit, d in cumulative if pick <= limit)
        eid = f"{domain}.synthetic_{idx:05d}"
        name = f"Synthetic {domain} {idx}"
        if domain == "sensor":
            state, attrs = _sensor(
                name, round(rng.uniform(10, 30), 1), "°C", "temperature"
            )
        elif domain == "light":
            modes, effects = SYNTH_LIGHTS[idx % len(SYNTH_LIGHTS)]
            state, attrs = _light(name, modes, idx % 2 == 0, effects=effects)
        elif domain == "cover":
            state, attrs = _cover(name, (idx * 10) % 101)
        elif domain == "climate":
            state, attrs = _climate(name, "heat", 21, 20.5)
        else:
            state, attrs = _simple(name, "on" if idx % 3 else "off")
        home.new_entity_entry(
            eid, "simulated", device_ids[idx % devices], original_name=name
        )
        home.set_state(eid, state, attrs, ts=ts)
    _register_statistics(home)
    _finish(home)
    return home


def statistics_rows(home, statistic_id, start, end, period, types):
    """Rows of ``recorder/statistics_during_period`` (epoch-ms start/end)."""
    stat = home.statistics.get(statistic_id)
    if stat is None:
        return []
    now = time.time()
    first = now - 7 * 86400
    bucket = {"5minute": 300, "hour": 3600, "day": 86400, "week": 7 * 86400}.get(period)
    rows = []
    t = max(start, first)
    if period == "month":
        t = _month_start(t)
    else:
        t = t - (t % bucket)
        if period == "week":
            t -= 3 * 86400  # weeks start on Monday (epoch 0 was a Thursday)
            if t + bucket <= max(start, first):
                t += bucket
    last_full_hour = now - now % 3600
    limit = last_full_hour if period != "5minute" else now - now % 300
    while t < min(end, limit):
        t_end = _month_end(t) if period == "month" else t + bucket
        samples = [
            _stat_value(statistic_id, s, stat)
            for s in range(int(max(t, first)), int(min(t_end, limit)), 300)
        ]
        if samples:
            row = {"start": int(t * 1000), "end": int(t_end * 1000)}
            if stat["kind"] == "mean":
                full = {
                    "mean": round(sum(samples) / len(samples), 3),
                    "min": round(min(samples), 3),
                    "max": round(max(samples), 3),
                    "last_reset": None,
                    "state": None,
                    "sum": None,
                    "change": None,
                }
            else:
                first_v = _stat_value(statistic_id, max(t, first), stat)
                last_v = samples[-1]
                full = {
                    "last_reset": None,
                    "state": round(last_v, 3),
                    "sum": round(last_v - stat["base"] + 1000, 3),
                    "change": round(last_v - first_v, 3),
                    "mean": None,
                    "min": None,
                    "max": None,
                }
            for key in types:
                if key in full:
                    row[key] = full[key]
            rows.append(row)
        t = t_end
    return rows


def _month_start(ts):
    d = datetime.fromtimestamp(ts, UTC)
    return datetime(d.year, d.month, 1, tzinfo=UTC).timestamp()


def _month_end(ts):
    d = datetime.fromtimestamp(ts, UTC)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return datetime(year, month, 1, tzinfo=UTC).timestamp()
