"""Contract suite: our REST and WebSocket clients against a Home Assistant peer.

One suite, run twice with the same test names:

* default (``HA_CONTRACT_PEER`` unset or ``sim``): against the simulator of
  ``tools/ha_simulator``;
* ``HA_CONTRACT_PEER=real`` with ``HA_CONTRACT_URL`` and ``HA_CONTRACT_TOKEN``:
  against real Home Assistant (2025.4.4 demo home of the real-ha kit).  A
  simulator is started too, and every reply and event our clients get from
  real HA is compared with the simulator's for the same command: same keys,
  same value types (``assert_same_shape``; documented optional keys allowed).
  Missing variables make the suite fail, never skip.

Shapes alone miss what null values hide, so some checks hold on each peer:
light attributes by HA's rules (keys fixed by the colour modes and
features, null when off), ``context`` with ``id``/``parent_id``/``user_id``
everywhere, the services every HA has (``homeassistant``,
``persistent_notification``) and, against real HA, the same services,
fields and targets for every domain the simulator serves.

Writes are reversible: labels and areas are created then deleted, the
``input_boolean`` is toggled back, registry names are restored.
"""

import asyncio
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

try:
    from odoo.addons.odoo_ha_addon.models.common import (
        ha_errors,
        hass_rest_api,
    )
    from odoo.addons.odoo_ha_addon.models.common import (
        hass_websocket_service as hws,
    )
    from odoo.addons.odoo_ha_addon.tools.ha_simulator import SimulatorThread

    from .common_pure import PureAsyncCase, PureCase
except ImportError:  # plain pytest, outside Odoo: load the pure packages by path
    from unittest import IsolatedAsyncioTestCase as PureAsyncCase
    from unittest import TestCase as PureCase

    sys.path.append(str(Path(__file__).resolve().parent))
    from _pure_imports import load_common, load_simulator_thread

    ha_errors, hass_rest_api, hws = load_common(
        "ha_errors", "hass_rest_api", "hass_websocket_service"
    )
    SimulatorThread = load_simulator_thread()

PEER = (os.environ.get("HA_CONTRACT_PEER") or "sim").strip().lower()
SIM_TOKEN = "contract-sim-token"
TOGGLE_ENTITY = "input_boolean.guest_mode"
HISTORY_ENTITIES = ["light.bed_light", "sensor.outside_temperature"]
STATISTIC_ID = "sensor.outside_temperature"
REGISTRY_ENTITY = "light.bed_light"
# tts.speak as the web client's API sends it (``ha.api`` checks its data
# against this): the data keys and whether each is required.
TTS_SPEAK_FIELDS = {
    "media_player_entity_id": True,
    "message": True,
    "cache": False,
    "language": False,
    "options": False,
}
# No TTS entity in either demo home: HA validates the data before it looks
# for the target, so an absent one shows what the schema accepts.
TTS_TARGET = "tts.odoo_contract_speech"

# --------------------------------------------------------------- shapes

_OPTIONAL_KEYS = {
    # keys HA 2025.4 sends only in some replies of a kind (an error's
    # translation, an update that needs a reload, a period's statistics)
    "translation_key",
    "translation_domain",
    "translation_placeholders",
    "require_restart",
    "reload_delay",
    "old_entity_id",
    "last_reset",
    "change",
}

# Per command: paths whose dict keys are data (maps), paths only checked
# for their own type (opaque) and, per path, keys either side may leave out
# (optional).  Paths: "$" root, ".key", "[]" list item, ".*" map value.
SHAPE_RULES = {
    "states": {"opaque": {"$[].attributes"}},
    "state": {"opaque": {"$.attributes"}},
    "config": {"opaque": {"$.unit_system"}},
    "ws_services": {
        "maps": {"$", "$.*", "$.*.*.fields"},
        "opaque": {"$.*.*.fields.*", "$.*.*.target"},
    },
    "rest_services": {
        "maps": {"$[].services", "$[].services.*.fields"},
        "opaque": {"$[].services.*.fields.*", "$[].services.*.target"},
    },
    "rest_history": {"opaque": {"$[][].attributes"}},
    "rest_call_service": {"opaque": {"$[].attributes"}},
    # A history row has "lc" only when last_changed differs from last_updated
    # (HA's compressed history rows), so a window may hold no such row on one side.
    "ws_history": {
        "maps": {"$"},
        "opaque": {"$.*[].a"},
        "optional": {"$.*[]": {"lc"}},
    },
    "statistics": {"maps": {"$"}},
    "search_related": {"maps": {"$"}},
    "entity_registry": {"maps": {"$[].categories"}, "opaque": {"$[].options"}},
    "entity_registry_update": {
        "maps": {"$.entity_entry.categories"},
        "opaque": {
            "$.entity_entry.options",
            "$.entity_entry.capabilities",
        },
    },
    "device_registry": {"maps": {"$[].config_entries_subentries"}},
    "device_registry_update": {"maps": {"$.config_entries_subentries"}},
    "call_service_response": {"maps": {"$.response"}, "opaque": {"$.response.*"}},
    "state_changed": {
        "opaque": {"$.data.old_state.attributes", "$.data.new_state.attributes"}
    },
    "entities_snapshot": {"maps": {"$.a"}, "opaque": {"$.a.*.a"}},
    "entities_change": {"maps": {"$.c"}, "opaque": {"$.c.*.+.a"}},
}


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def _schema(value, rules, path):
    """Merged description of a value: kinds, keys (with counts), items."""
    schema = {"kinds": {_kind(value)}, "n": 1, "keys": {}, "count": {}}
    if path in rules.get("opaque", ()):
        return schema
    if isinstance(value, dict):
        if path in rules.get("maps", ()):
            schema["values"] = None
            for item in value.values():
                schema["values"] = _merge(
                    schema["values"], _schema(item, rules, path + ".*")
                )
        else:
            for key, item in value.items():
                schema["keys"][key] = _schema(item, rules, f"{path}.{key}")
                schema["count"][key] = 1
    elif isinstance(value, list):
        schema["items"] = None
        for item in value:
            schema["items"] = _merge(schema["items"], _schema(item, rules, path + "[]"))
    return schema


def _merge(left, right):
    if left is None:
        return right
    if right is None:
        return left
    merged = {
        "kinds": left["kinds"] | right["kinds"],
        "n": left["n"] + right["n"],
        "keys": dict(left["keys"]),
        "count": dict(left["count"]),
    }
    for key, sub in right["keys"].items():
        merged["keys"][key] = _merge(merged["keys"].get(key), sub)
        merged["count"][key] = merged["count"].get(key, 0) + right["count"][key]
    for part in ("values", "items"):
        if part in left or part in right:
            merged[part] = _merge(left.get(part), right.get(part))
    return merged


def shape_differences(real, sim, path="$", optional=None, rules=None):
    """List how the simulator's schema departs from real HA's.

    ``optional`` keys may be missing or extra anywhere; ``rules["optional"]``
    adds keys that may be missing or extra at one path only.
    """
    optional = _OPTIONAL_KEYS if optional is None else optional
    rules = rules or {}
    here = rules.get("optional", {}).get(path)
    allowed = optional | here if here else optional
    out = []
    real_kinds = real["kinds"] - {"null"}
    sim_kinds = sim["kinds"] - {"null"}
    if real_kinds and sim_kinds - real_kinds:
        out.append(f"{path}: sim sends {sorted(sim_kinds)}, HA {sorted(real_kinds)}")
        return out
    if "dict" in real_kinds and "dict" in sim_kinds:
        for key, count in real["count"].items():
            if key in sim["keys"]:
                out += shape_differences(
                    real["keys"][key],
                    sim["keys"][key],
                    f"{path}.{key}",
                    optional,
                    rules,
                )
            elif count == real["n"] and key not in allowed:
                out.append(f"{path}: sim lacks key {key!r}")
        for key in sim["keys"]:
            if key not in real["keys"] and key not in allowed:
                out.append(f"{path}: sim adds key {key!r} unknown to HA")
    for part, suffix in (("values", ".*"), ("items", "[]")):
        if real.get(part) and sim.get(part):
            out += shape_differences(
                real[part], sim[part], path + suffix, optional, rules
            )
    return out


def assert_same_shape(test, label, real, sim, rules_name=None):
    rules = SHAPE_RULES.get(rules_name or label, {})
    diffs = shape_differences(
        _schema(real, rules, "$"), _schema(sim, rules, "$"), rules=rules
    )
    test.assertFalse(diffs, f"{label}: simulator differs from HA:\n" + "\n".join(diffs))


# Domains every Home Assistant 2025.4 serves, whatever its integrations.
CORE_SERVICES = {
    "homeassistant": {
        "save_persistent_states",
        "turn_off",
        "turn_on",
        "toggle",
        "stop",
        "restart",
        "check_config",
        "update_entity",
        "reload_core_config",
        "set_location",
        "reload_custom_templates",
        "reload_config_entry",
        "reload_all",
    },
    "persistent_notification": {"create", "dismiss", "dismiss_all"},
}


def service_catalog(services):
    """{service: (fields, has target, response)} of one domain of get_services.

    ``fields`` maps each field (sections flattened as ``section.field``) to
    whether it is required: what a caller must and may send.
    """
    out = {}
    for name, desc in services.items():
        fields = {}
        for key, field in (desc.get("fields") or {}).items():
            if "fields" in field and "selector" not in field:  # a section
                for sub, spec in field["fields"].items():
                    fields[f"{key}.{sub}"] = bool(spec.get("required"))
            else:
                fields[key] = bool(field.get("required"))
        out[name] = (fields, "target" in desc, desc.get("response"))
    return out


EFFECT = 4  # LightEntityFeature.EFFECT
LIGHT_STATE_KEYS = {
    "effect",
    "color_mode",
    "brightness",
    "color_temp_kelvin",
    "color_temp",
    "hs_color",
    "rgb_color",
    "xy_color",
    "rgbw_color",
    "rgbww_color",
}
LIGHT_KEYS = LIGHT_STATE_KEYS | {
    "effect_list",
    "supported_color_modes",
    "min_color_temp_kelvin",
    "max_color_temp_kelvin",
    "min_mireds",
    "max_mireds",
}


def expected_light_keys(attrs):
    """The light attribute keys HA writes for a light's capabilities.

    They depend on the supported colour modes and features only: a light
    that is off keeps them all, with null values.
    """
    modes = set(attrs.get("supported_color_modes") or ())
    keys = {"supported_color_modes", "color_mode"}
    if int(attrs.get("supported_features") or 0) & EFFECT:
        keys |= {"effect_list", "effect"}
    if modes - {"onoff", "unknown"}:
        keys.add("brightness")
    if "color_temp" in modes:
        keys |= {"min_color_temp_kelvin", "max_color_temp_kelvin"}
        keys |= {"min_mireds", "max_mireds", "color_temp_kelvin", "color_temp"}
    if modes & {"hs", "xy", "rgb", "rgbw", "rgbww", "color_temp"}:
        keys |= {"hs_color", "rgb_color", "xy_color"}
    keys |= {f"{mode}_color" for mode in modes & {"rgbw", "rgbww"}}
    return keys


def light_problems(state):
    """How a light's state departs from HA's attribute rules (empty: none)."""
    attrs = state["attributes"]
    eid = state["entity_id"]
    problems = []
    modes = attrs.get("supported_color_modes")
    if not isinstance(modes, list) or modes != sorted(modes):
        problems.append(f"{eid}: supported_color_modes {modes!r} not a sorted list")
        return problems
    keys, expected = set(attrs) & LIGHT_KEYS, expected_light_keys(attrs)
    if keys != expected:
        problems.append(
            f"{eid} ({state['state']}): keys lack {sorted(expected - keys)}, "
            f"extra {sorted(keys - expected)}"
        )
    if state["state"] == "off":
        problems += [
            f"{eid}: off but {key} = {attrs[key]!r}"
            for key in sorted(LIGHT_STATE_KEYS & keys)
            if attrs[key] is not None
        ]
    elif state["state"] == "on":
        mode = attrs.get("color_mode")
        if mode not in modes:
            problems.append(f"{eid}: on in colour mode {mode!r} not in {modes}")
        if "brightness" in keys and mode != "onoff":
            if not isinstance(attrs["brightness"], int):
                problems.append(f"{eid}: on, brightness {attrs['brightness']!r}")
        if "color_temp_kelvin" in keys:
            kelvin = attrs["color_temp_kelvin"]
            if (mode == "color_temp") != isinstance(kelvin, int):
                problems.append(f"{eid}: mode {mode}, color_temp_kelvin {kelvin!r}")
        if mode in ("hs", "xy", "rgb", "color_temp") and not all(
            isinstance(attrs[key], list) for key in ("hs_color", "rgb_color")
        ):
            problems.append(f"{eid}: mode {mode} without hs_color/rgb_color")
    return problems


CONTEXT_KEYS = {"id", "parent_id", "user_id"}


async def _toggle_twice(client):
    """Toggle the test entity twice; returns the first call's result and the
    ``state_changed`` events of the entity (two, unless HA lost one)."""
    events = []
    sub = await client.subscribe_events("state_changed", events.append)
    try:
        target = {"entity_id": TOGGLE_ENTITY}
        result = await client.call_service("input_boolean", "toggle", target=target)
        await client.call_service("input_boolean", "toggle", target=target)
        for _ in range(100):
            mine = [e for e in events if e["data"]["entity_id"] == TOGGLE_ENTITY]
            if len(mine) >= 2:
                break
            await asyncio.sleep(0.02)
    finally:
        await sub.unsubscribe()
    return result, mine


class TestShapeComparer(PureCase):
    def diffs(self, real, sim, rules=None):
        rules = rules or {}
        return shape_differences(
            _schema(real, rules, "$"), _schema(sim, rules, "$"), rules=rules
        )

    def test_detects_missing_extra_and_retyped_keys(self):
        real = [{"id": "a", "n": 1, "opt": None}, {"id": "b", "n": 2.5}]
        self.assertEqual(self.diffs(real, [{"id": "x", "n": 3}]), [])
        self.assertEqual(self.diffs(real, [{"id": "x"}]), ["$[]: sim lacks key 'n'"])
        self.assertEqual(
            self.diffs(real, [{"id": "x", "n": 1, "zz": 1}]),
            ["$[]: sim adds key 'zz' unknown to HA"],
        )
        self.assertEqual(
            self.diffs(real, [{"id": 1, "n": 1}]),
            ["$[].id: sim sends ['number'], HA ['str']"],
        )
        self.assertEqual(self.diffs({"a": None}, {"a": "x"}), [])

    def test_maps_and_opaque_paths(self):
        rules = {"maps": {"$"}, "opaque": {"$.*.attrs"}}
        real = {"light.a": {"s": "on", "attrs": {"x": 1}}}
        sim = {"light.b": {"s": "off", "attrs": {"y": "z"}}}
        self.assertEqual(self.diffs(real, sim, rules), [])
        self.assertTrue(self.diffs(real, {"light.b": {"s": 1, "attrs": {}}}, rules))

    def test_optional_keys_per_path(self):
        rules = SHAPE_RULES["ws_history"]
        real = {"light.a": [{"s": "on", "a": {}, "lu": 1.0}]}
        sim = {"light.b": [{"s": "on", "a": {}, "lu": 2.0, "lc": 1.5}]}
        self.assertEqual(self.diffs(real, sim, rules), [])
        self.assertEqual(self.diffs(sim, real, rules), [])
        # only in history rows: elsewhere "lc" is still an unknown key
        self.assertEqual(
            self.diffs({"x": {"s": 1}}, {"x": {"s": 1, "lc": 2}}, {"maps": {"$"}}),
            ["$.*: sim adds key 'lc' unknown to HA"],
        )
        # and a retyped "lc" is still reported
        real_lc = {"light.a": [{"s": "on", "lu": 1.0, "lc": 0.5}]}
        sim_lc = {"light.b": [{"s": "on", "lu": 1.0, "lc": "0.5"}]}
        self.assertEqual(
            self.diffs(real_lc, sim_lc, rules),
            ["$.*[].lc: sim sends ['str'], HA ['number']"],
        )


class TestLightRules(PureCase):
    """The light rules of the suite catch the simulator's old mistakes."""

    def light(self, state, **attrs):
        return {"entity_id": "light.x", "state": state, "attributes": attrs}

    def test_off_light_keeps_keys_with_nulls(self):
        caps = {"supported_color_modes": ["color_temp", "hs"], "supported_features": 4}
        off = dict.fromkeys(expected_light_keys(caps))
        off.update(caps, effect_list=["rainbow"], min_color_temp_kelvin=2000)
        off.update(max_color_temp_kelvin=6535, min_mireds=153, max_mireds=500)
        self.assertEqual(light_problems(self.light("off", **off)), [])
        dropped = {k: v for k, v in off.items() if k != "hs_color"}
        self.assertIn(
            "lack ['hs_color']", light_problems(self.light("off", **dropped))[0]
        )
        lit = dict(off, brightness=3)
        self.assertIn("off but brightness", light_problems(self.light("off", **lit))[0])

    def test_on_light_and_capabilities(self):
        onoff = {"supported_color_modes": ["onoff"], "color_mode": "onoff"}
        self.assertEqual(light_problems(self.light("on", **onoff)), [])
        # an on/off light has no brightness, a brightness light no colours
        self.assertTrue(light_problems(self.light("on", brightness=255, **onoff)))
        dim = {"supported_color_modes": ["brightness"], "color_mode": "brightness"}
        self.assertEqual(light_problems(self.light("on", brightness=9, **dim)), [])
        self.assertTrue(
            light_problems(self.light("on", brightness=9, hs_color=None, **dim))
        )
        unsorted = {"supported_color_modes": ["hs", "color_temp"]}
        self.assertIn("sorted", light_problems(self.light("off", **unsorted))[0])

    def test_service_catalog_flattens_sections(self):
        services = {
            "turn_on": {
                "fields": {
                    "brightness_pct": {"selector": {}},
                    "advanced_fields": {
                        "collapsed": True,
                        "fields": {"flash": {"selector": {}, "required": True}},
                    },
                },
                "target": {},
            }
        }
        self.assertEqual(
            service_catalog(services),
            {
                "turn_on": (
                    {"brightness_pct": False, "advanced_fields.flash": True},
                    True,
                    None,
                )
            },
        )


# ----------------------------------------------------------------- suite


def _ws_url(url):
    return url.replace("http", "ws", 1).rstrip("/") + "/api/websocket"


class TestHaContract(PureAsyncCase):
    """Same tests for both peers; see the module docstring."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if PEER not in ("sim", "real"):
            raise AssertionError(
                f"HA_CONTRACT_PEER must be 'sim' or 'real', not {PEER!r}"
            )
        cls._sim_cm = SimulatorThread(token=SIM_TOKEN, demo=True, port=0)
        cls.sim = cls._sim_cm.__enter__()
        cls.addClassCleanup(cls._sim_cm.__exit__, None, None, None)
        if PEER == "real":
            url = os.environ.get("HA_CONTRACT_URL")
            token = os.environ.get("HA_CONTRACT_TOKEN")
            if not url or not token:
                raise AssertionError(
                    "HA_CONTRACT_PEER=real needs HA_CONTRACT_URL and HA_CONTRACT_TOKEN"
                )
            cls.url, cls.token, cls.compare = url.rstrip("/"), token, True
        else:
            cls.url, cls.token, cls.compare = cls.sim.url, SIM_TOKEN, False

    async def asyncSetUp(self):
        self.rest = hass_rest_api.HassRestApi(self.url, self.token, timeout=15)
        self.ws = hws.HassWebSocketClient(
            _ws_url(self.url), self.token, ping_interval=None, call_timeout=20
        )
        await self.ws.connect()
        self.addAsyncCleanup(self.ws.close)
        self.addCleanup(self.rest.close)
        self.ref_ws = self.ref_rest = None
        if self.compare:
            self.ref_rest = hass_rest_api.HassRestApi(
                self.sim.url, SIM_TOKEN, timeout=15
            )
            self.ref_ws = hws.HassWebSocketClient(
                self.sim.ws_url, SIM_TOKEN, ping_interval=None, call_timeout=20
            )
            await self.ref_ws.connect()
            self.addAsyncCleanup(self.ref_ws.close)
            self.addCleanup(self.ref_rest.close)

    async def both(self, label, command, rules=None):
        """Run ``command(ws_client)`` on the peer (and the simulator)."""
        result = await command(self.ws)
        if self.ref_ws is not None:
            assert_same_shape(self, label, result, await command(self.ref_ws), rules)
        return result

    async def both_raise(self, error_class, command):
        """``command`` must raise ``error_class`` with the same code on both."""
        codes = []
        for client in (self.ws, self.ref_ws):
            if client is None:
                continue
            with self.assertRaises(error_class) as caught:
                await command(client)
            codes.append(caught.exception.code)
        self.assertEqual(len(set(codes)), 1, f"error codes differ: {codes}")
        return codes[0]

    def both_rest(self, label, command, rules=None):
        result = command(self.rest)
        if self.ref_rest is not None:
            assert_same_shape(self, label, result, command(self.ref_rest), rules)
        return result

    @staticmethod
    def window():
        now = datetime.now(timezone.utc)
        return now - timedelta(days=1), now + timedelta(minutes=1)

    # ----------------------------------------------------------- REST

    def test_rest_ping(self):
        self.assertEqual(self.both_rest("ping", lambda api: api.ping()), "API running.")

    def test_rest_config(self):
        config = self.both_rest("config", lambda api: api.get_config(), "config")
        self.assertEqual(config["state"], "RUNNING")
        self.assertIsInstance(config["version"], str)

    def test_rest_states(self):
        states = self.both_rest("states", lambda api: api.get_states())
        ids = {state["entity_id"] for state in states}
        self.assertTrue({TOGGLE_ENTITY, *HISTORY_ENTITIES} <= ids)
        for api in filter(None, (self.rest, self.ref_rest)):
            contexts = [s["context"] for s in api.get_states()]
            self.assertEqual([c for c in contexts if set(c) != CONTEXT_KEYS], [])

    def test_rest_state_and_not_found(self):
        state = self.both_rest("state", lambda api: api.get_state(REGISTRY_ENTITY))
        self.assertEqual(state["entity_id"], REGISTRY_ENTITY)
        with self.assertRaises(ha_errors.HaNotFoundError):
            self.rest.get_state("light.does_not_exist")

    def test_rest_services(self):
        services = self.both_rest("rest_services", lambda api: api.get_services())
        domains = {item["domain"] for item in services}
        self.assertTrue({"light", "input_boolean", *CORE_SERVICES} <= domains)

    def test_rest_call_service_toggle(self):
        before = self.rest.get_state(TOGGLE_ENTITY)["state"]

        def toggle(api):
            api.call_service("input_boolean", "toggle", {"entity_id": TOGGLE_ENTITY})
            return api.call_service(
                "input_boolean", "toggle", {"entity_id": TOGGLE_ENTITY}
            )

        changed = self.both_rest("rest_call_service", toggle)
        self.assertEqual(self.rest.get_state(TOGGLE_ENTITY)["state"], before)
        self.assertEqual([s["entity_id"] for s in changed], [TOGGLE_ENTITY])
        with self.assertRaises(ha_errors.HaBadRequestError):
            self.rest.call_service("nope", "nope")
        for api in filter(None, (self.rest, self.ref_rest)):
            # a required field missing: 400, as for any schema error
            with self.assertRaises(ha_errors.HaBadRequestError):
                api.call_service("persistent_notification", "create", {})

    def test_rest_history(self):
        start, end = self.window()
        history = self.both_rest(
            "rest_history",
            lambda api: api.get_history(start, HISTORY_ENTITIES, end_time=end),
        )
        self.assertTrue(history and all(isinstance(rows, list) for rows in history))
        self.assertEqual(
            {rows[0]["entity_id"] for rows in history}, set(HISTORY_ENTITIES)
        )
        minimal = self.rest.get_history(
            start, HISTORY_ENTITIES[:1], end_time=end, minimal_response=True
        )
        self.assertEqual(minimal[0][0]["entity_id"], HISTORY_ENTITIES[0])

    def test_rest_bad_token(self):
        api = hass_rest_api.HassRestApi(self.url, "not-the-token", timeout=10)
        with self.assertRaises(ha_errors.HaAuthError) as caught:
            api.ping()
        self.assertNotIn(self.token, str(caught.exception))

    # ------------------------------------------------------ WebSocket

    async def test_ws_bad_token(self):
        slept = []

        async def no_sleep(delay):
            slept.append(delay)

        client = hws.HassWebSocketClient(
            _ws_url(self.url), "not-the-token", sleep=no_sleep, ping_interval=None
        )
        with self.assertRaises(ha_errors.HaAuthError):
            await asyncio.wait_for(client.run_forever(), 15)
        self.assertEqual(slept, [])
        self.assertEqual(client.status.code, "invalid_token")

    async def test_ws_ping(self):
        self.assertGreaterEqual(await self.ws.ping(), 0)
        self.assertEqual(self.ws.ha_version[:4], "2025")

    async def test_ws_get_states(self):
        states = await self.both("states", lambda c: c.get_states())
        self.assertIn(TOGGLE_ENTITY, {state["entity_id"] for state in states})

    async def test_ws_get_config(self):
        config = await self.both("config", lambda c: c.get_config())
        self.assertEqual(config["state"], "RUNNING")

    async def test_ws_get_services(self):
        services = await self.both("ws_services", lambda c: c.get_services())
        self.assertIn("toggle", services["input_boolean"])

    async def test_ws_get_services_catalog(self):
        services = await self.ws.get_services()
        for domain, names in CORE_SERVICES.items():
            with self.subTest(domain):
                self.assertEqual(set(services.get(domain, ())), names)
        self.assertEqual(
            service_catalog(services["homeassistant"])["update_entity"],
            ({"entity_id": True}, False, None),
        )
        if self.ref_ws is None:
            return
        # Every domain the simulator serves: the same services, fields
        # (required or not), target and response as HA's.
        generic_scripts = {"reload", "turn_on", "turn_off", "toggle"}
        for domain, described in (await self.ref_ws.get_services()).items():
            with self.subTest(domain):
                self.assertIn(domain, services, "a domain HA does not serve")
                real = service_catalog(services[domain])
                sim = service_catalog(described)
                if domain == "script":  # each script is a service of its own
                    real = {k: v for k, v in real.items() if k in generic_scripts}
                    sim = {k: v for k, v in sim.items() if k in generic_scripts}
                self.assertEqual(sim, real)

    async def test_ws_light_attributes_follow_ha(self):
        async def cycle(client):
            before = {
                s["entity_id"]: s
                for s in await client.get_states()
                if s["entity_id"].startswith("light.")
            }
            self.assertTrue(before)
            problems = [p for state in before.values() for p in light_problems(state)]
            events = []
            sub = await client.subscribe_events("state_changed", events.append)
            try:
                for eid, state in before.items():
                    services = ["turn_off", "turn_on"]
                    if state["state"] != "on":
                        services.reverse()  # end as it was
                    for service in services:
                        await client.call_service(
                            "light", service, target={"entity_id": eid}
                        )
                for _ in range(200):
                    mine = [e for e in events if e["data"]["entity_id"] in before]
                    if len(mine) >= 2 * len(before):
                        break
                    await asyncio.sleep(0.02)
            finally:
                await sub.unsubscribe()
            self.assertEqual(len(mine), 2 * len(before))
            for event in mine:
                old, new = event["data"]["old_state"], event["data"]["new_state"]
                problems += light_problems(old) + light_problems(new)
                if set(old["attributes"]) != set(new["attributes"]):
                    problems.append(
                        f"{new['entity_id']}: {old['state']} -> {new['state']} "
                        f"changes the keys by "
                        f"{sorted(set(old['attributes']) ^ set(new['attributes']))}"
                    )
            after = {s["entity_id"]: s for s in await client.get_states()}
            for eid, state in before.items():
                self.assertEqual(after[eid]["state"], state["state"], eid)
                problems += light_problems(after[eid])
            return problems

        self.assertEqual(await cycle(self.ws), [])
        if self.ref_ws is not None:
            self.assertEqual(await cycle(self.ref_ws), [])

    async def test_ws_contexts_carry_user_id(self):
        async def check(client):
            states = await client.get_states()
            self.assertEqual(
                [s["entity_id"] for s in states if set(s["context"]) != CONTEXT_KEYS],
                [],
            )
            # states no user wrote say so with an explicit null
            self.assertTrue(any(s["context"]["user_id"] is None for s in states))
            result, mine = await _toggle_twice(client)
            context = result["context"]
            self.assertEqual(set(context), CONTEXT_KEYS)
            self.assertIsInstance(context["user_id"], str)
            event = mine[0]
            self.assertEqual(event["context"], context)
            self.assertEqual(event["data"]["new_state"]["context"], context)
            self.assertEqual(set(event["data"]["old_state"]["context"]), CONTEXT_KEYS)

        await check(self.ws)
        if self.ref_ws is not None:
            await check(self.ref_ws)

    async def test_ws_call_service_and_state_changed(self):
        async def toggle_twice(client):
            before = {s["entity_id"]: s for s in await client.get_states()}
            result, mine = await _toggle_twice(client)
            self.assertEqual(len(mine), 2)
            self.assertEqual(
                mine[1]["data"]["new_state"]["state"], before[TOGGLE_ENTITY]["state"]
            )
            return result, mine[0]

        result, event = await toggle_twice(self.ws)
        self.assertIsInstance(result["context"]["id"], str)
        if self.ref_ws is not None:
            ref_result, ref_event = await toggle_twice(self.ref_ws)
            assert_same_shape(self, "call_service", result, ref_result)
            assert_same_shape(self, "state_changed", event, ref_event)

    async def test_ws_call_service_errors(self):
        code = await self.both_raise(
            ha_errors.HaNotFoundError, lambda c: c.call_service("nope", "nope")
        )
        self.assertEqual(code, "not_found")
        code = await self.both_raise(
            ha_errors.HaBadRequestError,
            lambda c: c.call_service("persistent_notification", "create", {}),
        )
        self.assertEqual(code, "invalid_format")
        await self.both_raise(
            ha_errors.HaBadRequestError,
            lambda c: c.call_service(
                "input_number",
                "set_value",
                {"value": 9999},
                {"entity_id": "input_number.target_temperature"},
            ),
        )

    async def test_ws_call_service_return_response(self):
        async def forecasts(client):
            # the demo homes name their weather entities differently
            states = await client.get_states()
            weather = sorted(
                s["entity_id"] for s in states if s["entity_id"].startswith("weather.")
            )[0]
            result = await client.call_service(
                "weather",
                "get_forecasts",
                {"type": "daily"},
                {"entity_id": weather},
                return_response=True,
            )
            self.assertIn(weather, result["response"])
            self.assertIsInstance(result["response"][weather]["forecast"], list)
            return result

        await self.both("call_service_response", forecasts)

    async def test_ws_subscribe_entities(self):
        async def watch(client):
            raw, states = [], []
            sub = await client.subscribe_entities(
                lambda eid, st: states.append((eid, st)), [TOGGLE_ENTITY]
            )
            # keep the raw events too, for the shape comparison
            mirror_feed = sub.deliver
            client._handlers[sub.id] = lambda ev: (raw.append(ev), mirror_feed(ev))
            try:
                for _ in range(100):
                    if states:
                        break
                    await asyncio.sleep(0.02)
                first = states[-1][1]["state"]
                target = {"entity_id": TOGGLE_ENTITY}
                await client.call_service("input_boolean", "toggle", target=target)
                await client.call_service("input_boolean", "toggle", target=target)
                for _ in range(100):
                    if len(states) >= 3:
                        break
                    await asyncio.sleep(0.02)
            finally:
                await sub.unsubscribe()
            self.assertEqual([eid for eid, _st in states], [TOGGLE_ENTITY] * 3)
            self.assertNotEqual(states[1][1]["state"], first)
            self.assertEqual(states[2][1]["state"], first)
            self.assertEqual(
                set(states[1][1]),
                {
                    "entity_id",
                    "state",
                    "attributes",
                    "last_changed",
                    "last_updated",
                    "context",
                },
            )
            return raw

        raw = await watch(self.ws)
        if self.ref_ws is not None:
            ref = await watch(self.ref_ws)
            assert_same_shape(self, "entities_snapshot", raw[0], ref[0])
            assert_same_shape(self, "entities_change", raw[1], ref[1])

    async def test_ws_registry_lists(self):
        lists = {
            "area_registry": lambda c: c.area_registry_list(),
            "device_registry": lambda c: c.device_registry_list(),
            "entity_registry": lambda c: c.entity_registry_list(),
            "label_registry": lambda c: c.label_registry_list(),
            "floor_registry": lambda c: c.floor_registry_list(),
        }
        for label, command in lists.items():
            with self.subTest(label):
                entries = await self.both(label, command)
                self.assertIsInstance(entries, list)
                self.assertTrue(entries, f"{label} is empty")
        clients = filter(None, (self.ws, self.ref_ws))
        for devices in [await c.device_registry_list() for c in clients]:
            for device in devices:
                self.assertIsInstance(device["config_entries_subentries"], dict)
                self.assertIn(device["entry_type"], (None, "service"))

    async def test_ws_area_create_update_delete(self):
        async def cycle(client):
            area = await client.area_create("Contract Test Area")
            try:
                updated = await client.area_update(
                    area["area_id"], icon="mdi:test-tube"
                )
                self.assertEqual(updated["icon"], "mdi:test-tube")
            finally:
                await client.area_delete(area["area_id"])
            ids = {a["area_id"] for a in await client.area_registry_list()}
            self.assertNotIn(area["area_id"], ids)
            return area

        area = await self.both("area_entry", cycle)
        self.assertEqual(area["name"], "Contract Test Area")

    async def test_ws_label_create_update_delete(self):
        async def cycle(client):
            label = await client.label_create("Contract Test Label", color="red")
            try:
                updated = await client.label_update(
                    label["label_id"], name="Contract 2"
                )
                self.assertEqual(updated["name"], "Contract 2")
            finally:
                self.assertIsNone(await client.label_delete(label["label_id"]))
            # HA 2025.4 answers an unknown label id with invalid_info
            with self.assertRaises(ha_errors.HaBadRequestError) as caught:
                await client.label_delete(label["label_id"])
            self.assertEqual(caught.exception.code, "invalid_info")
            return label

        label = await self.both("label_entry", cycle)
        self.assertEqual(label["color"], "red")

    async def test_ws_entity_registry_update(self):
        async def rename(client):
            entries = {e["entity_id"]: e for e in await client.entity_registry_list()}
            original = entries[REGISTRY_ENTITY]["name"]
            result = await client.entity_registry_update(
                REGISTRY_ENTITY, name="Contract"
            )
            try:
                self.assertEqual(result["entity_entry"]["name"], "Contract")
            finally:
                await client.entity_registry_update(REGISTRY_ENTITY, name=original)
            return result

        await self.both("entity_registry_update", rename)

    async def test_ws_device_registry_update(self):
        async def rename(client):
            entries = {e["entity_id"]: e for e in await client.entity_registry_list()}
            device_id = entries[REGISTRY_ENTITY]["device_id"]
            devices = {d["id"]: d for d in await client.device_registry_list()}
            original = devices[device_id]["name_by_user"]
            result = await client.device_registry_update(
                device_id, name_by_user="Contract device"
            )
            try:
                self.assertEqual(result["name_by_user"], "Contract device")
            finally:
                await client.device_registry_update(device_id, name_by_user=original)
            return result

        await self.both("device_registry_entry", rename, "device_registry_update")

    async def test_ws_history_during_period(self):
        start, end = self.window()
        history = await self.both(
            "ws_history",
            lambda c: c.history_during_period(start, end, entity_ids=HISTORY_ENTITIES),
        )
        self.assertEqual(set(history), set(HISTORY_ENTITIES))
        self.assertIn("s", history[HISTORY_ENTITIES[0]][0])
        for entity_id, rows in history.items():
            for row in rows:
                # "lc" only when last_changed differs from last_updated
                if "lc" in row:
                    self.assertNotEqual(row["lc"], row["lu"], entity_id)
        minimal = await self.ws.history_during_period(
            start,
            end,
            entity_ids=HISTORY_ENTITIES,
            minimal_response=True,
            no_attributes=True,
            significant_changes_only=True,
        )
        self.assertIsInstance(minimal, dict)

    async def test_ws_statistics_during_period(self):
        end = datetime.now(timezone.utc)
        start = end - timedelta(days=3)
        stats = await self.both(
            "statistics",
            lambda c: c.statistics_during_period(
                start, end, [STATISTIC_ID], "hour", ["mean", "min", "max"]
            ),
        )
        rows = stats[STATISTIC_ID]
        self.assertTrue(rows)
        self.assertIsInstance(rows[0]["start"], int | float)
        self.assertGreater(rows[0]["start"], 10**12)  # epoch milliseconds

    async def test_ws_search_related(self):
        areas = await self.ws.area_registry_list()
        area_id = next(a["area_id"] for a in areas if a["area_id"] == "kitchen")
        related = await self.both(
            "search_related", lambda c: c.search_related("area", area_id)
        )
        self.assertIsInstance(related, dict)
        self.assertTrue(related.get("entity") or related.get("device"))

    async def test_ws_generic_call(self):
        states = await self.ws.call({"type": "get_states"})
        self.assertIsInstance(states, list)
        code = await self.both_raise(
            ha_errors.HaCommandError,
            lambda c: c.call({"type": "contract/unknown_command"}),
        )
        self.assertEqual(code, "unknown_command")

    async def test_ws_tts_speak(self):
        services = await self.ws.get_services()
        fields, has_target, _response = service_catalog(services["tts"])["speak"]
        self.assertEqual(fields, TTS_SPEAK_FIELDS)
        self.assertTrue(has_target)
        speak = services["tts"]["speak"]
        self.assertEqual(speak["target"]["entity"][0]["domain"], ["tts"])

        async def players(client):
            states = await client.get_states()
            return sorted(
                s["entity_id"]
                for s in states
                if s["entity_id"].startswith("media_player.")
            )[:2]

        target = {"entity_id": [TTS_TARGET]}
        # The data as ha.api sends it: the players as a list.
        data = {
            "media_player_entity_id": await players(self.ws),
            "message": "Odoo contract",
            "cache": False,
            "language": "en",
        }
        self.assertTrue(data["media_player_entity_id"])
        result = await self.ws.call_service("tts", "speak", data, target)
        self.assertIsInstance(result["context"]["id"], str)
        for required in ("message", "media_player_entity_id"):
            with self.subTest(missing=required):
                partial = {k: v for k, v in data.items() if k != required}
                code = await self.both_raise(
                    ha_errors.HaBadRequestError,
                    lambda c, d=partial: c.call_service("tts", "speak", d, target),
                )
                self.assertEqual(code, "invalid_format")

    async def test_ws_network_url(self):
        urls = await self.ws.call({"type": "network/url"})
        self.assertEqual(set(urls), {"internal", "external", "cloud"})
        for value in urls.values():
            self.assertIsInstance(value, str | None)

    async def test_ws_no_supervisor(self):
        # Neither peer is a Supervisor install: the hardware and network
        # panels rely on HA refusing the command this way.
        for endpoint in ("/hardware/info", "/network/info"):
            with self.subTest(endpoint):
                code = await self.both_raise(
                    ha_errors.HaCommandError,
                    lambda c, e=endpoint: c.call(
                        {"type": "supervisor/api", "endpoint": e, "method": "get"}
                    ),
                )
                self.assertEqual(code, "unknown_command")
