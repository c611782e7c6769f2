"""The JSON API under /odoo_ha_addon/: permission matrix, typed errors,
current-instance notifications. Run under odoo-bin (tag ``ha_http``)."""

import base64
import json
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..models.ha_api_service import SERVICE_DATA_KEYS
from ..tools.ha_simulator import ws_api
from . import test_ha_contract
from .common_http import PASSWORD, HaHttpCommon

ROUTES = (
    "get_instances",
    "switch_instance",
    "websocket_status",
    "websocket_restart",
    "hardware_info",
    "network_info",
    "ha_urls",
    "areas",
    "entities_by_area",
    "area_dashboard_data",
    "ha_data",
    "glances_devices",
    "glances_device_entities",
    "entity_related",
    "history",
    "statistics",
    "call_service",
)
MANAGER_ONLY = {"websocket_restart", "hardware_info", "network_info"}
# The simulator, like HA Core and Container installs, has no Supervisor.
NO_SUPERVISOR = {"hardware_info", "network_info"}


class HaApiCase(HaHttpCommon):
    def params_for(self, route, side):
        """Valid parameters of ``route`` aimed at instance A or B."""
        inst, area, device, light = (
            (self.inst_a, self.area_a, "glances_a", self.light_a)
            if side == "a"
            else (self.inst_b, self.area_b, "glances_b", self.light_b)
        )
        base = {"ha_instance_id": inst.id}
        return {
            "get_instances": {},
            "switch_instance": {"instance_id": inst.id},
            "entities_by_area": dict(base, area_id=area.id),
            "area_dashboard_data": dict(base, area_id=area.id),
            "glances_device_entities": dict(base, device_id=device),
            "entity_related": dict(base, entity_id=light.entity_id),
            "history": dict(base, entity_ids=[light.id]),
            "statistics": dict(base, statistic_ids=[light.entity_id]),
            "call_service": dict(
                base,
                domain="light",
                service="turn_on",
                service_data={"entity_id": light.entity_id},
            ),
        }.get(route, base)


MARKERS = {
    "a": (
        "Casa Alfa",
        "kitchen_lights",
        "doorbell",
        "living_a",
        "glances_a",
        "Living A",
    ),
    "b": ("Casa Beta", "light.garage", "living_b", "glances_b", "Living B"),
}


@tagged("post_install", "-at_install", "ha_http")
class TestHttpPermissionMatrix(HaApiCase):
    def assert_no_leak(self, result, side, context):
        text = json.dumps(result)
        for marker in MARKERS[side]:
            self.assertNotIn(marker, text, f"{context}: leaked {marker!r}")

    def test_no_ha_group_is_denied_everywhere(self):
        for user in (self.portal, self.internal):
            self.login(user)
            for route in ROUTES:
                for side in ("a", "b"):
                    result = self.rpc(route, self.params_for(route, side))
                    context = f"{user.login} {route} {side}"
                    self.assertFalse(result["success"], context)
                    self.assertEqual(result["error_type"], "access_denied", context)
                    self.assert_no_leak(result, "a", context)
                    self.assert_no_leak(result, "b", context)
        self.assertEqual(self.service_calls(), [])

    def test_users_see_only_their_instance(self):
        for user, own, other in (
            (self.user_a, "a", "b"),
            (self.user_b, "b", "a"),
        ):
            self.login(user)
            for route in ROUTES:
                context = f"{user.login} {route} {other}"
                result = self.rpc(route, self.params_for(route, other))
                self.assert_no_leak(result, other, context)
                if route != "get_instances":
                    self.assertFalse(result["success"], context)
                    self.assertIn(
                        result["error_type"],
                        ("instance_not_found", "access_denied"),
                        context,
                    )
                own_result = self.rpc(route, self.params_for(route, own))
                self.assert_no_leak(own_result, other, f"{user.login} {route} {own}")
                if route in MANAGER_ONLY:
                    self.assertEqual(own_result["error_type"], "access_denied")
                else:
                    self.assertTrue(own_result["success"], (route, own_result))
        # user A's light and user B's light, nothing else
        calls = self.service_calls()
        self.assertEqual(
            sorted(c["target"]["entity_id"][0] for c in calls),
            ["light.garage", "light.kitchen_lights"],
        )

    def test_user_sees_only_group_entities(self):
        self.login(self.user_a)
        data = self.rpc("ha_data", {})["data"]
        self.assertEqual(data["ha_instance_id"], self.inst_a.id)
        self.assertEqual(
            {e["entity_id"] for e in data["entities"]},
            {
                "light.kitchen_lights",
                "number.doorbell_volume",
                "sensor.outside_temperature",
            },
        )
        self.assertNotIn("lock.front_door", json.dumps(data))
        instances = self.rpc("get_instances")["data"]
        self.assertEqual([i["id"] for i in instances["instances"]], [self.inst_a.id])
        self.assertNotIn("api_token", json.dumps(instances))

    def test_instances_carry_their_last_error(self):
        # The dashboard tells why an instance is not connected.
        self.inst_a.sudo().write({"ws_state": "error", "ws_error": "401 Unauthorized"})
        self.login(self.user_a)
        (instance,) = self.rpc("get_instances")["data"]["instances"]
        self.assertEqual(instance["websocket_status"], "error")
        self.assertEqual(instance["last_error"], "401 Unauthorized")

    def test_manager_sees_everything(self):
        self.login(self.manager)
        for route in ROUTES:
            for side in ("a", "b"):
                result = self.rpc(route, self.params_for(route, side))
                if route in NO_SUPERVISOR:
                    self.assertEqual(result["error_type"], "not_supported", route)
                else:
                    self.assertTrue(result["success"], (route, side, result))
        data = self.rpc("ha_data", {"ha_instance_id": self.inst_a.id})["data"]
        self.assertIn("lock.front_door", {e["entity_id"] for e in data["entities"]})
        self.assertNotIn('"t"', json.dumps(self.rpc("get_instances")))

    def test_records_per_user(self):
        """Every model's records, read as each user."""
        expected = {
            self.user_a: {
                "ha.instance": self.inst_a,
                "ha.entity": self.light_a | self.number_a | self.sensor_a,
                "ha.area": self.area_a,
                "ha.device": self.device_a,
            },
            self.user_b: {
                "ha.instance": self.inst_b,
                "ha.entity": self.light_b,
                "ha.area": self.area_b,
                "ha.device": self.device_b,
            },
        }
        for user, models in expected.items():
            for model, records in models.items():
                found = self.env[model].with_user(user).search([])
                self.assertEqual(found, records, f"{user.login} {model}")
            with self.assertRaises(AccessError):
                self.env["ha.ws.request.queue"].with_user(user).search([])
            with self.assertRaises(AccessError):
                self.inst_a.with_user(user).read(["api_token"])
        for user in (self.portal, self.internal):
            for model in (
                "ha.instance",
                "ha.entity",
                "ha.area",
                "ha.device",
                "ha.label",
                "ha.entity.history",
                "ha.entity.group",
                "ha.ws.request.queue",
            ):
                with self.assertRaises(AccessError, msg=f"{user.login} {model}"):
                    self.env[model].with_user(user).search([])
        with self.assertRaises(AccessError):
            self.env["ha.ws.request.queue"].with_user(self.manager).search([])
        # users cannot grant themselves access
        with self.assertRaises(AccessError):
            self.env["ha.entity.group"].with_user(self.user_b).create(
                {
                    "name": "mine",
                    "ha_instance_id": self.inst_a.id,
                    "entity_ids": [(6, 0, self.hidden_a.ids)],
                    "user_ids": [(6, 0, self.user_b.ids)],
                }
            )

    def test_bus_pushes_per_user(self):
        self.env["ha.realtime.update"].notify_entity_state_change(
            self.inst_a,
            [
                {"id": self.light_a.id, "state": "off"},
                {"id": self.hidden_a.id, "state": "unlocked"},
            ],
        )
        ids = {
            user: [
                change["id"]
                for message in self.bus_messages(user, "ha_entity_state_changed")
                for change in message["payload"]["changes"]
            ]
            for user in (
                self.user_a,
                self.user_b,
                self.manager,
                self.portal,
                self.internal,
            )
        }
        self.assertEqual(ids[self.user_a], [self.light_a.id])
        self.assertEqual(
            sorted(ids[self.manager]), sorted([self.light_a.id, self.hidden_a.id])
        )
        self.assertEqual(ids[self.user_b], [])
        self.assertEqual(ids[self.portal], [])
        self.assertEqual(ids[self.internal], [])


@tagged("post_install", "-at_install", "ha_http")
class TestHttpErrors(HaApiCase):
    def error(self, route, params, expected):
        result = self.rpc(route, params)
        self.assertFalse(result["success"], (route, params))
        self.assertEqual(result["error_type"], expected, result)
        return result

    def test_instance_errors(self):
        self.login(self.manager)
        self.error("areas", {"ha_instance_id": 987654}, "instance_not_found")
        self.error("areas", {"ha_instance_id": "abc"}, "validation_error")
        archived = self.env["ha.instance"].create(
            {"name": "Old", "api_url": "http://127.0.0.1:9", "active": False}
        )
        self.error("areas", {"ha_instance_id": archived.id}, "instance_inactive")
        bare = self.env["ha.instance"].create(
            {"name": "Bare", "api_url": "http://127.0.0.1:9"}
        )
        result = self.error(
            "ha_urls", {"ha_instance_id": bare.id}, "instance_not_configured"
        )
        self.assertEqual(result["details"]["missing_fields"], ["api_token"])
        self.assertIn("access token", result["error"])

    def test_no_instance(self):
        new_test_user(
            self.env,
            login="lonely",
            password=PASSWORD,
            groups="base.group_user,odoo_ha_addon.group_ha_user",
        )
        self.authenticate("lonely", PASSWORD)
        self.error("areas", {}, "no_instance")
        self.assertEqual(self.rpc("get_instances")["data"]["instances"], [])

    def test_call_service_rules(self):
        self.login(self.user_a)
        a = self.inst_a.id
        light = {"entity_id": "light.kitchen_lights"}
        # invisible entity of the same instance
        self.error(
            "call_service",
            {
                "domain": "lock",
                "service": "unlock",
                "service_data": {"entity_id": "lock.front_door"},
                "ha_instance_id": a,
            },
            "access_denied",
        )
        # service of another domain, read-only domain, mismatched domain
        self.error(
            "call_service",
            {
                "domain": "light",
                "service": "unlock",
                "service_data": light,
                "ha_instance_id": a,
            },
            "validation_error",
        )
        self.error(
            "call_service",
            {
                "domain": "sensor",
                "service": "turn_on",
                "service_data": {"entity_id": "sensor.outside_temperature"},
            },
            "validation_error",
        )
        self.error(
            "call_service",
            {"domain": "switch", "service": "turn_on", "service_data": light},
            "validation_error",
        )
        # widening the target is refused
        self.error(
            "call_service",
            {
                "domain": "light",
                "service": "turn_on",
                "service_data": dict(light, area_id="living_a"),
            },
            "validation_error",
        )
        self.error(
            "call_service",
            {"domain": "light", "service": "turn_on"},
            "validation_error",
        )
        self.error("call_service", {"domain": 5, "service": None}, "validation_error")
        self.error("areas", {"surprise": 1}, "validation_error")
        self.assertEqual(self.service_calls(), [])

        # the entity's own instance only
        self.login(self.manager)
        self.error(
            "call_service",
            {
                "domain": "light",
                "service": "turn_on",
                "service_data": light,
                "ha_instance_id": self.inst_b.id,
            },
            "access_denied",
        )
        self.assertEqual(self.service_calls(), [])

    def test_call_service_clamps(self):
        self.login(self.user_a)
        result = self.rpc(
            "call_service",
            {
                "domain": "number",
                "service": "set_value",
                "service_data": {"entity_id": "number.doorbell_volume", "value": 500},
            },
        )
        self.assertTrue(result["success"], result)
        (call,) = self.service_calls()
        self.assertEqual(call["service_data"], {"value": 100.0})
        self.assertEqual(call["target"], {"entity_id": ["number.doorbell_volume"]})
        self.error(
            "call_service",
            {
                "domain": "number",
                "service": "set_value",
                "service_data": {"entity_id": "number.doorbell_volume", "value": "x"},
            },
            "validation_error",
        )

    def _tts_setup(self):
        """tts.demo_speech and a media player in group A, one outside it."""

        def entity(entity_id, state):
            return self.env["ha.entity"].create(
                {
                    "entity_id": entity_id,
                    "domain": entity_id.split(".")[0],
                    "name": entity_id,
                    "entity_state": state,
                    "ha_instance_id": self.inst_a.id,
                }
            )

        visible = entity("tts.demo_speech", "unknown") | entity(
            "media_player.living_room", "playing"
        )
        entity("media_player.bedroom", "off")  # in no group
        entity("tts.hidden_speech", "unknown")  # in no group
        group = self.env["ha.entity.group"].search([("name", "=", "A")])
        group.entity_ids |= visible
        self.sim.set_state("tts.demo_speech", "unknown", {"friendly_name": "Speech"})

    def tts_call(self, **data):
        return {
            "domain": "tts",
            "service": "speak",
            "service_data": {"entity_id": "tts.demo_speech", **data},
        }

    def test_tts_speak_keys_follow_ha(self):
        """The tts.speak data we accept is the data HA describes (the
        contract suite checks that description against real HA)."""
        required, optional = SERVICE_DATA_KEYS[("tts", "speak")]
        ours = dict.fromkeys(optional, False) | dict.fromkeys(required, True)
        self.assertEqual(ours, test_ha_contract.TTS_SPEAK_FIELDS)

    def test_call_service_tts_speak(self):
        self._tts_setup()
        self.login(self.user_a)
        speak = {"media_player_entity_id": "media_player.living_room", "message": "Hi"}
        result = self.rpc(
            "call_service", self.tts_call(**speak, cache=False, language="en-US")
        )
        self.assertTrue(result["success"], result)
        (call,) = self.service_calls()
        self.assertEqual(call["domain"], "tts")
        self.assertEqual(call["service"], "speak")
        self.assertEqual(call["target"], {"entity_id": ["tts.demo_speech"]})
        self.assertEqual(
            call["service_data"],
            {
                "media_player_entity_id": ["media_player.living_room"],
                "message": "Hi",
                "cache": False,
                "language": "en-US",
            },
        )
        # A media player the user may not see, even beside one they may.
        for players in (
            "media_player.bedroom",
            ["media_player.living_room", "media_player.bedroom"],
        ):
            self.error(
                "call_service",
                self.tts_call(media_player_entity_id=players, message="Hi"),
                "access_denied",
            )
        bad = (
            dict(speak, media_player_entity_id="light.kitchen_lights"),  # no player
            dict(speak, area_id="living_a"),  # widening the target
            dict(speak, volume_level=1),  # a key tts.speak does not take
            {"message": "Hi"},  # the player is required
            dict(speak, message=""),
            dict(speak, message={"x": 1}),
            dict(speak, cache="yes"),
            dict(speak, language="en US; rm"),
            dict(speak, options="fast"),
        )
        for data in bad:
            with self.subTest(data=data):
                self.error("call_service", self.tts_call(**data), "validation_error")
        # The TTS entity itself must be visible too.
        hidden_tts = dict(self.tts_call(**speak))
        hidden_tts["service_data"]["entity_id"] = "tts.hidden_speech"
        self.error("call_service", hidden_tts, "access_denied")
        self.assertEqual(len(self.service_calls()), 1)

    def test_call_service_counter_and_timer(self):
        visible = self.env["ha.entity"]
        for entity_id, state in (("counter.visits", "3"), ("timer.laundry", "idle")):
            visible |= self.env["ha.entity"].create(
                {
                    "entity_id": entity_id,
                    "domain": entity_id.split(".")[0],
                    "name": entity_id,
                    "entity_state": state,
                    "ha_instance_id": self.inst_a.id,
                }
            )
            self.sim.set_state(entity_id, state, {"friendly_name": entity_id})
        group = self.env["ha.entity.group"].search([("name", "=", "A")])
        group.entity_ids |= visible
        self.login(self.user_a)
        calls = [
            ("counter", service, "counter.visits", {})
            for service in ("increment", "decrement", "reset")
        ] + [
            ("timer", "start", "timer.laundry", {"duration": "00:10:00"}),
            ("timer", "start", "timer.laundry", {}),
            ("timer", "pause", "timer.laundry", {}),
            ("timer", "cancel", "timer.laundry", {}),
            ("timer", "finish", "timer.laundry", {}),
        ]
        for domain, service, entity_id, data in calls:
            with self.subTest(service=f"{domain}.{service}"):
                result = self.rpc(
                    "call_service",
                    {
                        "domain": domain,
                        "service": service,
                        "service_data": {"entity_id": entity_id, **data},
                    },
                )
                self.assertTrue(result["success"], result)
        sent = [(c["domain"], c["service"]) for c in self.service_calls()]
        self.assertEqual(sent, [(d, s) for d, s, _e, _x in calls])
        for domain, service, entity_id, data in (
            ("counter", "increment", "counter.visits", {"step": 5}),  # no data
            ("timer", "start", "timer.laundry", {"duration": "ten minutes"}),
            ("timer", "pause", "timer.laundry", {"duration": "00:01:00"}),
            ("counter", "set_value", "counter.visits", {"value": 1}),  # not allowed
        ):
            with self.subTest(refused=f"{domain}.{service}", data=data):
                self.error(
                    "call_service",
                    {
                        "domain": domain,
                        "service": service,
                        "service_data": {"entity_id": entity_id, **data},
                    },
                    "validation_error",
                )
        self.assertEqual(len(self.service_calls()), len(calls))

    def test_not_found_and_ha_errors(self):
        self.login(self.user_a)
        self.error("entities_by_area", {"area_id": 987654}, "not_found")
        self.error("entities_by_area", {"area_id": self.area_b.id}, "not_found")
        self.error("glances_device_entities", {"device_id": "nope"}, "not_found")
        self.error("entity_related", {"entity_id": "lock.front_door"}, "not_found")
        # A command this HA does not know: a typed HA error.
        without_urls = {k: v for k, v in ws_api.HANDLERS.items() if k != "network/url"}
        with patch.dict(ws_api.HANDLERS, without_urls, clear=True):
            result = self.error("ha_urls", {}, "ha_error")
        self.assertEqual(result["details"]["kind"], "command")
        self.assertEqual(result["details"]["code"], "unknown_command")

    def test_entity_related_details(self):
        """Area, device, labels, automations, scenes and scripts of HA's
        answer, as the user's records with their icons and states."""
        env = self.env(context=dict(self.env.context, from_ha_sync=True))
        env["ha.label"].create(
            {
                "label_id": "energy",
                "name": "Energy",
                "icon": "mdi:flash",
                "ha_color": "amber",
                "ha_instance_id": self.inst_a.id,
            }
        )
        env["ha.entity"].create(
            {
                "entity_id": "automation.morning",
                "domain": "automation",
                "name": "Morning",
                "entity_state": "on",
                "attributes": {"icon": "mdi:weather-sunny"},
                "ha_instance_id": self.inst_a.id,
            }
        )
        self.area_a.with_env(env).icon = "mdi:sofa"  # as the sync writes it
        answer = {
            "area": ["living_a"],
            "device": ["glances_a"],
            "label": ["energy"],
            "automation": ["automation.morning", "automation.unknown"],
            "script": ["script.elsewhere"],
        }
        api_class = type(env["ha.api"])
        with patch.object(api_class, "_ha_call", lambda self, i, p, **kw: answer):
            self.login(self.manager)
            related = self.rpc(
                "entity_related",
                {"entity_id": "light.kitchen_lights", "ha_instance_id": self.inst_a.id},
            )["data"]
        self.assertEqual(
            related["area"],
            {"id": self.area_a.id, "name": "Living A", "icon": "mdi:sofa"},
        )
        self.assertEqual(
            related["device"],
            {
                "id": self.device_a.id,
                "name": "Server A",
                "manufacturer": False,
                "model": False,
            },
        )
        self.assertEqual(
            [(r["name"], r["icon"], r["color"]) for r in related["labels"]],
            [("Energy", "mdi:flash", "amber")],
        )
        (automation,) = related["automations"]
        self.assertEqual(
            {k: automation[k] for k in ("entity_id", "name", "state", "icon")},
            {
                "entity_id": "automation.morning",
                "name": "Morning",
                "state": "on",
                "icon": "mdi:weather-sunny",
            },
        )
        self.assertEqual((related["scenes"], related["scripts"]), ([], []))

    def test_ha_urls_and_no_supervisor(self):
        self.login(self.user_a)
        urls = self.rpc("ha_urls")["data"]
        self.assertEqual(
            urls,
            {
                "internal": self.inst_a.api_url.rstrip("/"),
                "external": None,
                "cloud": None,
            },
        )
        # Without a Supervisor (HA Core, Container): a clear not_supported.
        self.login(self.manager)
        for route in NO_SUPERVISOR:
            result = self.error(
                route, {"ha_instance_id": self.inst_a.id}, "not_supported"
            )
            self.assertIn("Supervisor", result["error"])

    def test_data_shapes(self):
        self.login(self.user_a)
        areas = self.rpc("areas")["data"]
        self.assertEqual(
            areas,
            [
                {
                    "id": self.area_a.id,
                    "area_id": "living_a",
                    "name": "Living A",
                    "icon": False,
                    "entity_count": 2,
                }
            ],
        )
        dash = self.rpc("area_dashboard_data", {"area_id": self.area_a.id})["data"]
        self.assertEqual(dash["area"]["name"], "Living A")
        self.assertEqual([d["device_id"] for d in dash["devices"]], ["glances_a"])
        self.assertEqual(
            [e["entity_id"] for e in dash["standalone_entities"]],
            ["number.doorbell_volume"],
        )
        unassigned = self.rpc("area_dashboard_data", {"area_id": "unassigned"})["data"]
        self.assertEqual(unassigned["area"]["id"], 0)
        self.assertEqual(
            [e["entity_id"] for e in unassigned["standalone_entities"]],
            ["sensor.outside_temperature"],
        )
        glances = self.rpc("glances_devices")["data"]
        self.assertEqual([g["id"] for g in glances], ["glances_a"])
        filtered = self.rpc("ha_data", {"domain": ["light"], "area_id": self.area_a.id})
        self.assertEqual(
            [e["entity_id"] for e in filtered["data"]["entities"]],
            ["light.kitchen_lights"],
        )
        history = self.rpc("history", {"entity_ids": ["sensor.outside_temperature"]})
        self.assertEqual(len(history["data"]["series"]), 1)
        status = self.rpc("websocket_status")["data"]
        self.assertEqual(status["instance_id"], self.inst_a.id)
        self.assertTrue(status["has_token"])
        stats = self.rpc("statistics", {"statistic_ids": "sensor.outside_temperature"})
        self.assertTrue(stats["success"], stats)


@tagged("post_install", "-at_install", "ha_http")
class TestHttpCurrentInstance(HaApiCase):
    OTHERS = ("user_b", "manager", "portal", "internal")

    def assert_only_user_a(self, notification_type):
        mine = self.bus_messages(self.user_a, notification_type)
        for name in self.OTHERS:
            self.assertEqual(
                self.bus_messages(getattr(self, name), notification_type), []
            )
        return mine

    def test_switch_notifies_only_that_user(self):
        self.login(self.user_a)
        result = self.rpc("switch_instance", {"instance_id": self.inst_a.id})
        self.assertTrue(result["success"], result)
        (message,) = self.assert_only_user_a("ha_instance_switched")
        self.assertEqual(message["payload"]["instance_id"], self.inst_a.id)
        self.assertEqual(self.user_a.current_ha_instance_id, self.inst_a)
        self.assertEqual(
            self.rpc("get_instances")["data"]["current_instance_id"], self.inst_a.id
        )
        # not to an instance the user cannot see
        result = self.rpc("switch_instance", {"instance_id": self.inst_b.id})
        self.assertEqual(result["error_type"], "instance_not_found")
        self.assertEqual(self.user_a.current_ha_instance_id, self.inst_a)

    def test_fallback_from_preference(self):
        self.user_a.current_ha_instance_id = self.inst_b  # not visible to user A
        self.login(self.user_a)
        data = self.rpc("ha_data")["data"]
        self.assertEqual(data["ha_instance_id"], self.inst_a.id)
        (message,) = self.assert_only_user_a("ha_instance_fallback")
        self.assertEqual(message["payload"]["to_instance_id"], self.inst_a.id)
        self.assertEqual(message["payload"]["fallback_type"], "first_accessible")

    def test_invalidated_session(self):
        group_b = self.env["ha.entity.group"].create(
            {
                "name": "B for A",
                "ha_instance_id": self.inst_b.id,
                "entity_ids": [(6, 0, self.light_b.ids)],
                "user_ids": [(6, 0, self.user_a.ids)],
            }
        )
        self.login(self.user_a)
        self.assertTrue(
            self.rpc("switch_instance", {"instance_id": self.inst_b.id})["success"]
        )
        group_b.user_ids = [(5, 0, 0)]  # access to B withdrawn
        data = self.rpc("ha_data")["data"]
        self.assertEqual(data["ha_instance_id"], self.inst_a.id)
        (invalidated,) = self.assert_only_user_a("ha_instance_invalidated")
        self.assertEqual(invalidated["payload"]["instance_id"], self.inst_b.id)
        (fallback,) = self.assert_only_user_a("ha_instance_fallback")
        self.assertEqual(fallback["payload"]["to_instance_id"], self.inst_a.id)


@tagged("post_install", "-at_install", "ha_http")
class TestHttpCameraSnapshot(HaApiCase):
    """``camera_snapshot``: the server fetches ``/api/camera_proxy/<id>`` with the
    instance's token; users get only cameras they may see, never the token."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Entity = cls.env["ha.entity"]

        def camera(entity_id, instance):
            return Entity.create(
                {
                    "entity_id": entity_id,
                    "domain": "camera",
                    "name": entity_id,
                    "entity_state": "idle",
                    "ha_instance_id": instance.id,
                }
            )

        cls.camera_a = camera("camera.front_door", cls.inst_a)
        # in Odoo but unknown to the simulator's demo home
        cls.ghost_a = camera("camera.ghost", cls.inst_a)
        # same camera on B, in no group of B
        cls.camera_b = camera("camera.front_door", cls.inst_b)
        group_a = cls.env["ha.entity.group"].search([("name", "=", "A")])
        group_a.entity_ids = [(4, cls.camera_a.id), (4, cls.ghost_a.id)]

    def snapshot(self, instance, entity_id):
        return self.rpc(
            "camera_snapshot", {"entity_id": entity_id, "ha_instance_id": instance.id}
        )

    def test_user_gets_the_image_not_the_token(self):
        self.login(self.user_a)
        unauthorized = self.sim.stats()["rest_unauthorized"]
        result = self.snapshot(self.inst_a, "camera.front_door")
        self.assertTrue(result["success"], result)
        data = result["data"]
        self.assertEqual(data["content_type"], "image/png")
        image = base64.b64decode(data["image"])
        self.assertTrue(image.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertNotIn("api_token", json.dumps(result))
        self.assertNotIn('"t"', json.dumps(result))
        # the server sent the instance's token to HA (accepted)
        self.assertEqual(self.sim.stats()["rest_unauthorized"], unauthorized)

    def test_invisible_cameras_are_refused(self):
        self.login(self.user_b)
        result = self.snapshot(self.inst_b, "camera.front_door")  # not in group B
        self.assertEqual(result["error_type"], "not_found", result)
        result = self.snapshot(self.inst_a, "camera.front_door")  # not B's instance
        self.assertEqual(result["error_type"], "instance_not_found", result)
        self.assertNotIn("image", json.dumps(result))
        for user in (self.portal, self.internal):
            self.login(user)
            result = self.snapshot(self.inst_a, "camera.front_door")
            self.assertEqual(result["error_type"], "access_denied", result)

    def test_bad_input_and_ha_errors(self):
        self.login(self.user_a)
        for bad in ("light.kitchen_lights", "camera.front door", "../api/states", 7):
            result = self.rpc(
                "camera_snapshot",
                {"entity_id": bad, "ha_instance_id": self.inst_a.id},
            )
            self.assertEqual(result["error_type"], "validation_error", (bad, result))
        result = self.snapshot(self.inst_a, "camera.ghost")
        self.assertEqual(result["error_type"], "ha_error", result)
        self.assertEqual(result["details"]["kind"], "not_found")
        # the manager may see every camera
        self.login(self.manager)
        self.assertTrue(self.snapshot(self.inst_b, "camera.front_door")["success"])
