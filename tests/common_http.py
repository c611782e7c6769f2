"""Fixtures for the JSON API tests: two instances, five kinds of users, the
HA simulator, and ``ha.ws.request.queue._execute`` run directly against it.

There is no supervisor thread in tests, so a queued command would wait
forever: :func:`execute_on_simulator` replaces ``_execute`` with one call of
the pure WebSocket client on a fresh connection.
"""

import asyncio
import json
from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user

from odoo.addons.odoo_ha_addon.models.common.hass_websocket_service import (
    HassWebSocketClient,
)
from odoo.addons.odoo_ha_addon.tools.ha_simulator import SimulatorThread

from .common import bus_messages, forget_authorizations

PASSWORD = "Ha-Test-Pass-1"


async def _call(ws_url, token, payload, timeout):
    client = HassWebSocketClient(
        ws_url, token, call_timeout=timeout, ping_interval=None, open_timeout=timeout
    )
    try:
        await client.connect()
        return await client.call(dict(payload), timeout)
    finally:
        await client.close()


def execute_on_simulator(self, instance, payload, timeout=10.0):
    """Stand-in for ``ha.ws.request.queue._execute`` in tests."""
    instance.ensure_one()
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise ValueError("a WebSocket command needs a string 'type'")
    instance = instance.sudo()
    return asyncio.run(
        _call(instance.ws_url, instance.api_token, payload, min(timeout, 10.0))
    )


class HaHttpCommon(HttpCase):
    """Instances A and B on the simulator; users of A, of B, a manager, a
    portal user and an internal user without HA group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = SimulatorThread(token="t", demo=True, port=0).start()
        cls.addClassCleanup(cls.sim.stop)
        queue_class = type(cls.env["ha.ws.request.queue"])
        cls.startClassPatcher(
            patch.object(queue_class, "_execute", execute_on_simulator)
        )
        env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        Instance = env["ha.instance"]
        cls.inst_a = Instance.create(
            {
                "name": "Casa Alfa",
                "api_url": cls.sim.url,
                "api_token": "t",
                "sequence": 1,
            }
        )
        cls.inst_b = Instance.create(
            {
                "name": "Casa Beta",
                "api_url": cls.sim.url,
                "api_token": "t",
                "sequence": 2,
            }
        )
        cls.area_a = env["ha.area"].create(
            {"name": "Living A", "area_id": "living_a", "ha_instance_id": cls.inst_a.id}
        )
        cls.area_b = env["ha.area"].create(
            {"name": "Living B", "area_id": "living_b", "ha_instance_id": cls.inst_b.id}
        )
        cls.device_a = env["ha.device"].create(
            {
                "device_id": "glances_a",
                "name": "Server A",
                "ha_instance_id": cls.inst_a.id,
                "area_id": cls.area_a.id,
                "identifiers": [["glances", "a"]],
            }
        )
        cls.device_b = env["ha.device"].create(
            {
                "device_id": "glances_b",
                "name": "Server B",
                "ha_instance_id": cls.inst_b.id,
                "area_id": cls.area_b.id,
                "identifiers": [["glances", "b"]],
            }
        )

        def entity(entity_id, instance, **vals):
            return env["ha.entity"].create(
                {
                    "entity_id": entity_id,
                    "domain": entity_id.split(".")[0],
                    "name": entity_id,
                    "entity_state": "on",
                    "ha_instance_id": instance.id,
                    **vals,
                }
            )

        cls.light_a = entity(
            "light.kitchen_lights",
            cls.inst_a,
            area_id=cls.area_a.id,
            follows_device_area=False,
            device_id=cls.device_a.id,
        )
        cls.number_a = entity(
            "number.doorbell_volume",
            cls.inst_a,
            entity_state="40.0",
            attributes={"min": 0.0, "max": 100.0, "step": 1.0},
            area_id=cls.area_a.id,
            follows_device_area=False,
        )
        cls.sensor_a = entity(
            "sensor.outside_temperature", cls.inst_a, entity_state="12.5"
        )
        # Same instance, but in no group: invisible to HA users.
        cls.hidden_a = entity("lock.front_door", cls.inst_a, entity_state="locked")
        cls.light_b = entity(
            "light.garage", cls.inst_b, area_id=cls.area_b.id, device_id=cls.device_b.id
        )

        def user(login, groups):
            return new_test_user(env, login=login, password=PASSWORD, groups=groups)

        cls.user_a = user("ha_user_a", "base.group_user,odoo_ha_addon.group_ha_user")
        cls.user_b = user("ha_user_b", "base.group_user,odoo_ha_addon.group_ha_user")
        cls.manager = user(
            "ha_manager", "base.group_user,odoo_ha_addon.group_ha_manager"
        )
        cls.portal = user("ha_portal", "base.group_portal")
        cls.internal = user("ha_internal", "base.group_user")
        env["ha.entity.group"].create(
            {
                "name": "A",
                "ha_instance_id": cls.inst_a.id,
                "entity_ids": [(6, 0, (cls.light_a | cls.number_a | cls.sensor_a).ids)],
                "user_ids": [(6, 0, cls.user_a.ids)],
            }
        )
        env["ha.entity.group"].create(
            {
                "name": "B",
                "ha_instance_id": cls.inst_b.id,
                "entity_ids": [(6, 0, cls.light_b.ids)],
                "user_ids": [(6, 0, cls.user_b.ids)],
            }
        )

    def setUp(self):
        super().setUp()
        forget_authorizations()
        self._calls_before = len(self.sim.stats()["service_calls"])

    # -- helpers -----------------------------------------------------------------

    def login(self, user):
        self.authenticate(user.login, PASSWORD)

    def rpc(self, route, params=None):
        """POST a JSON-RPC call; asserts HTTP 200 and a JSON-RPC result."""
        response = self.url_open(
            f"/odoo_ha_addon/{route}",
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params or {}}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, f"{route}: HTTP {response}")
        body = response.json()
        self.assertNotIn("error", body, f"{route}: JSON-RPC error {body.get('error')}")
        result = body["result"]
        self.assertIsInstance(result, dict)
        self.assertIn("success", result)
        if not result["success"]:
            self.assertTrue(result.get("error_type"), result)
        return result

    def service_calls(self):
        """Service calls the simulator received during this test."""
        return self.sim.stats()["service_calls"][self._calls_before :]

    def bus_messages(self, user, notification_type=None):
        return bus_messages(self.env, user, notification_type)
