"""The portal pages of shared entities, groups and devices, over HTTP.

A matrix: a portal user and an internal user (no HA group) × the ways a light
can be shared with them (or not) × the page, its ``/state`` and its
``/service``. The allowed cells work; every other one is refused and sends
nothing to Home Assistant (the simulator counts the calls).
"""

import json
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import state_changed
from .common_http import HaHttpCommon, execute_on_simulator

# scenario -> (page status, state ok, service ok)
EXPECTED = {
    "entity_view": (200, True, False),
    "entity_control": (200, True, True),
    "group_control": (200, True, True),
    "device_control": (200, True, True),
    "expired": (403, False, False),
    "none": (404, False, False),
}


@tagged("post_install", "-at_install", "ha_http")
class TestHttpPortal(HaHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Share = cls.env["ha.entity.share"]
        cls.light_group = cls.env["ha.entity.group"].create(
            {
                "name": "Meeting room",
                "ha_instance_id": cls.inst_a.id,
                "entity_ids": [(6, 0, cls.light_a.ids)],
            }
        )

    def share(self, user, scenario):
        """Share the kitchen light with ``user`` as ``scenario`` says."""
        vals = {"user_id": user.id, "permission": "control"}
        if scenario == "entity_view":
            vals.update(entity_id=self.light_a.id, permission="view")
        elif scenario == "entity_control":
            vals["entity_id"] = self.light_a.id
        elif scenario == "group_control":
            vals["group_id"] = self.light_group.id
        elif scenario == "device_control":
            vals["device_id"] = self.device_a.id
        elif scenario == "expired":
            vals.update(
                entity_id=self.light_a.id,
                expiry_date=fields.Datetime.now() - timedelta(days=1),
            )
        else:
            return self.Share
        return self.Share.create(vals)

    def json(self, url, params=None):
        response = self.url_open(
            url,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params or {}}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, url)
        body = response.json()
        self.assertNotIn("error", body, body.get("error"))
        return body["result"]

    def entity_url(self, entity=None, instance=None):
        entity = entity or self.light_a
        instance = instance or entity.ha_instance_id
        return f"/my/ha/{instance.id}/entity/{entity.id}"

    def toggle(self, entity=None, service="toggle", domain="light", data=None):
        return self.json(
            f"{self.entity_url(entity)}/service",
            {"domain": domain, "service": service, "service_data": data or {}},
        )

    def assert_no_leak(self, text, context):
        for secret in ("light.garage", "lock.front_door", "Casa Beta", "Server B"):
            self.assertNotIn(secret, text, context)

    def test_matrix(self):
        for user in (self.portal, self.internal):
            for scenario, (status, state_ok, service_ok) in EXPECTED.items():
                context = f"{user.login} × {scenario}"
                with self.subTest(context):
                    shares = self.share(user, scenario)
                    self.login(user)
                    calls_before = len(self.service_calls())
                    page = self.url_open(self.entity_url())
                    self.assertEqual(page.status_code, status, context)
                    self.assert_no_leak(page.text, context)
                    if status == 200:
                        self.assertIn("light.kitchen_lights", page.text, context)
                    state = self.json(f"{self.entity_url()}/state")
                    self.assertEqual(state["success"], state_ok, (context, state))
                    self.assert_no_leak(json.dumps(state), context)
                    if state_ok:
                        self.assertEqual(
                            state["data"]["entity_id"], "light.kitchen_lights"
                        )
                        self.assertEqual(state["data"]["can_control"], service_ok)
                    else:
                        self.assertIn(
                            state["error_type"], ("access_denied", "not_found")
                        )
                    result = self.toggle()
                    self.assertEqual(result["success"], service_ok, (context, result))
                    calls = self.service_calls()[calls_before:]
                    if service_ok:
                        (call,) = calls
                        self.assertEqual(
                            (call["domain"], call["service"], call["target"]),
                            (
                                "light",
                                "toggle",
                                {"entity_id": ["light.kitchen_lights"]},
                            ),
                            context,
                        )
                    else:
                        self.assertEqual(calls, [], context)
                        self.assertIn(
                            result["error_type"], ("access_denied", "not_found")
                        )
                    shares.unlink()

    def test_strongest_share_wins(self):
        """A view share on the entity never masks a control share reaching it
        through its device, and an expired control share gives nothing."""
        self.Share.create({"user_id": self.portal.id, "entity_id": self.light_a.id})
        device_share = self.Share.create(
            {
                "user_id": self.portal.id,
                "device_id": self.device_a.id,
                "permission": "control",
            }
        )
        self.login(self.portal)
        self.assertTrue(self.toggle()["success"])
        device_share.expiry_date = fields.Datetime.now() - timedelta(hours=1)
        result = self.toggle()
        self.assertEqual(result["error_type"], "access_denied")
        # still viewable through the entity's own share
        self.assertTrue(self.json(f"{self.entity_url()}/state")["success"])
        self.assertEqual(len(self.service_calls()), 1)

    def test_service_bound_to_entity_domain(self):
        self.Share.create(
            {
                "user_id": self.portal.id,
                "entity_id": self.light_a.id,
                "permission": "control",
            }
        )
        self.Share.create(
            {
                "user_id": self.portal.id,
                "entity_id": self.sensor_a.id,
                "permission": "control",
            }
        )
        self.login(self.portal)
        # another domain's service on the light
        result = self.toggle(domain="lock", service="unlock")
        self.assertEqual(result["error_type"], "domain_denied", result)
        # a service Odoo never calls
        result = self.toggle(service="reload")
        self.assertFalse(result["success"])
        # a read-only domain
        result = self.toggle(self.sensor_a, domain="sensor", service="turn_on")
        self.assertFalse(result["success"])
        # data naming another target
        for data in (
            {"area_id": "living_a"},
            {"device_id": "glances_a"},
            {"target": {"entity_id": "lock.front_door"}},
        ):
            result = self.toggle(service="turn_on", data=data)
            self.assertFalse(result["success"], data)
        self.assertEqual(self.service_calls(), [])
        # the entity is the URL's, whatever the data says
        result = self.toggle(
            service="turn_on", data={"entity_id": "light.garage", "brightness": 999}
        )
        self.assertTrue(result["success"], result)
        (call,) = self.service_calls()
        self.assertEqual(call["target"], {"entity_id": ["light.kitchen_lights"]})
        self.assertEqual(call["service_data"], {"brightness": 255})

    def test_other_instance_and_unknown_ids_are_404(self):
        self.Share.create(
            {
                "user_id": self.portal.id,
                "entity_id": self.light_a.id,
                "permission": "control",
            }
        )
        self.login(self.portal)
        for url in (
            self.entity_url(instance=self.inst_b),
            self.entity_url(self.light_b),
            self.entity_url(self.hidden_a),
            f"/my/ha/{self.inst_a.id}/entity/999999",
            f"/my/ha/{self.inst_b.id}",
            f"/my/ha/{self.inst_a.id}/group/{self.light_group.id}",
            f"/my/ha/{self.inst_a.id}/device/{self.device_a.id}",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assert_no_leak(response.text, url)
        result = self.toggle(self.light_b)
        self.assertEqual(result["error_type"], "not_found")
        self.assertEqual(self.service_calls(), [])

    def test_attributes_filtered(self):
        self.light_a.sudo().attributes = {
            "brightness": 120,
            "access_token": "s3cr3t-token",
            "entity_picture": "/api/camera_proxy/x?token=s3cr3t-token",
            "latitude": 52.1,
            "longitude": 4.3,
            "gps_accuracy": 5,
            "api_key": "s3cr3t-key",
        }
        self.Share.create({"user_id": self.portal.id, "entity_id": self.light_a.id})
        self.login(self.portal)
        state = self.json(f"{self.entity_url()}/state")
        self.assertEqual(state["data"]["attributes"], {"brightness": 120})
        page = self.url_open(self.entity_url()).text
        for secret in ("s3cr3t", "52.1", "latitude"):
            self.assertNotIn(secret, page)

    def test_hub_lists_tabs_and_legacy_redirects(self):
        self.Share.create({"user_id": self.portal.id, "entity_id": self.sensor_a.id})
        self.Share.create({"user_id": self.portal.id, "group_id": self.light_group.id})
        self.Share.create({"user_id": self.portal.id, "device_id": self.device_a.id})
        self.login(self.portal)
        home = self.url_open("/my/home")
        self.assertEqual(home.status_code, 200)
        self.assertIn("/my/ha", home.text)
        counters = self.json("/my/counters", {"counters": ["ha_share_count"]})
        self.assertEqual(counters["ha_share_count"], 3)
        hub = self.url_open("/my/ha")
        self.assertIn("Casa Alfa", hub.text)
        self.assert_no_leak(hub.text, "hub")
        base = f"/my/ha/{self.inst_a.id}"
        entities = self.url_open(f"{base}?sortby=name_desc").text
        self.assertIn("sensor.outside_temperature", entities)
        self.assertIn("light.kitchen_lights", entities)
        self.assertNotIn("lock.front_door", entities)
        filtered = self.url_open(f"{base}?filterby=sensor").text
        self.assertNotIn(f'/entity/{self.light_a.id}"', filtered)
        self.assertIn("Meeting room", self.url_open(f"{base}?tab=groups").text)
        self.assertIn("Server A", self.url_open(f"{base}?tab=devices").text)
        for url in (
            f"{base}/group/{self.light_group.id}",
            f"{base}/device/{self.device_a.id}",
        ):
            page = self.url_open(url)
            self.assertEqual(page.status_code, 200, url)
            self.assertIn("light.kitchen_lights", page.text)
            state = self.json(f"{url}/state")["data"]
            self.assertEqual(
                [e["entity_id"] for e in state["entities"]], ["light.kitchen_lights"]
            )
            self.assertEqual(state["entities"][0]["permission"], "view")
        for kind, record, target in (
            ("entity", self.sensor_a, "entity"),
            ("entity_group", self.light_group, "group"),
            ("device", self.device_a, "device"),
        ):
            response = self.url_open(
                f"/portal/{kind}/{record.id}", allow_redirects=False
            )
            self.assertIn(response.status_code, (301, 302, 303))
            self.assertTrue(
                response.headers["Location"].endswith(
                    f"/my/ha/{self.inst_a.id}/{target}/{record.id}"
                )
            )
        response = self.url_open(
            f"/portal/entity/{self.hidden_a.id}", allow_redirects=False
        )
        self.assertTrue(response.headers["Location"].endswith("/my/ha"))

    def test_tour_portal_toggle_follows_push(self):
        """A portal user toggles a shared light; the page follows the state
        Home Assistant sends back (echoed here as its event would be)."""
        portal = new_test_user(
            self.env, login="ha_tour_portal", groups="base.group_portal"
        )
        self.light_a.sudo().write({"entity_state": "off", "attributes": {}})
        self.Share.create(
            {
                "user_id": portal.id,
                "entity_id": self.light_a.id,
                "permission": "control",
            }
        )

        def execute_and_echo(queue, instance, payload, timeout=10.0):
            result = execute_on_simulator(queue, instance, payload, timeout)
            if payload.get("type") == "call_service":
                events = [
                    state_changed(entity_id, "on", 200, {"brightness": 123})
                    for entity_id in payload["target"]["entity_id"]
                ]
                queue.env["ha.sync"].sudo()._ha_apply_state_events(instance, events)
            return result

        queue_class = type(self.env["ha.ws.request.queue"])
        with patch.object(queue_class, "_execute", execute_and_echo):
            self.start_tour("/my/ha", "odoo_ha_addon_portal_tour", login=portal.login)
        (call,) = self.service_calls()
        self.assertEqual((call["domain"], call["service"]), ("light", "toggle"))

    def test_portal_control_is_logged_as_the_portal_users(self):
        self.Share.create(
            {
                "user_id": self.portal.id,
                "entity_id": self.light_a.id,
                "permission": "control",
            }
        )
        self.login(self.portal)
        Log = self.env["ha.control.log"]
        before = Log.search([])
        self.assertTrue(self.toggle()["success"])
        log = Log.search([]) - before
        self.assertRecordValues(
            log,
            [
                {
                    "entity_id": self.light_a.id,
                    "user_id": self.portal.id,
                    "origin": "portal",
                    "service": "light.toggle",
                }
            ],
        )
        # a refused call is not a control: nothing logged
        result = self.toggle(domain="lock", service="unlock")
        self.assertFalse(result["success"])
        self.assertEqual(Log.search([]) - before, log)
