"""Tests of the Home Assistant simulator with raw websockets/requests clients."""

import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

try:
    from odoo.addons.odoo_ha_addon.tools.ha_simulator import (
        FarmThread,
        SimulatorThread,
    )

    from .common_pure import PureCase
except ImportError:  # plain pytest, outside Odoo, from the repository root
    from unittest import TestCase as PureCase

    from tools.ha_simulator import FarmThread, SimulatorThread

TOKEN = "test-token"


class WS:
    """Tiny synchronous client: auth, increasing ids, array-aware receive."""

    def __init__(self, sim, token=TOKEN, auth=True):
        self._cm = connect(sim.ws_url, max_size=None, open_timeout=5)
        self.conn = self._cm.__enter__()
        self.next_id = 0
        self.buffer = []
        self.stash = []  # messages skipped while waiting for a result
        self.hello = self.recv()
        if auth:
            self.auth_reply = self.auth(token)

    def auth(self, token):
        self.conn.send(json.dumps({"type": "auth", "access_token": token}))
        return self.recv()

    def send(self, msg_type, **data):
        self.next_id += 1
        self.conn.send(json.dumps({"id": self.next_id, "type": msg_type, **data}))
        return self.next_id

    def recv(self, timeout=5):
        if not self.buffer:
            payload = json.loads(self.conn.recv(timeout=timeout))
            self.buffer = payload if isinstance(payload, list) else [payload]
        return self.buffer.pop(0)

    def result(self, msg_id, timeout=5):
        """Skip events until the reply for ``msg_id``."""
        while True:
            msg = self.recv(timeout)
            if msg.get("id") == msg_id and msg["type"] in ("result", "pong"):
                return msg
            self.stash.append(msg)

    def call(self, msg_type, **data):
        reply = self.result(self.send(msg_type, **data))
        return reply

    def events(self, sub_id, count, timeout=5):
        out = []
        while len(out) < count:
            msg = self.stash.pop(0) if self.stash else self.recv(timeout)
            if msg.get("id") == sub_id and msg["type"] == "event":
                out.append(msg["event"])
        return out

    def close(self):
        self.conn.close()


class SimulatorCase(PureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = SimulatorThread(token=TOKEN, demo=True, port=0).start()
        cls.addClassCleanup(cls.sim.stop)

    def ws(self, **kw):
        client = WS(self.sim, **kw)
        self.addCleanup(client.close)
        return client

    def rest(self, method, path, token=TOKEN, **kw):
        headers = {"Authorization": f"Bearer {token}"}
        return requests.request(
            method, self.sim.url + path, headers=headers, timeout=10, **kw
        )


class TestAuthAndEnvelope(SimulatorCase):
    def test_auth_ok(self):
        ws = self.ws()
        self.assertEqual(ws.hello, {"type": "auth_required", "ha_version": "2025.4.4"})
        self.assertEqual(ws.auth_reply, {"type": "auth_ok", "ha_version": "2025.4.4"})

    def test_auth_invalid_closes(self):
        before = self.sim.stats()["auth_invalid"]
        ws = self.ws(auth=False)
        reply = ws.auth("wrong")
        self.assertEqual(reply["type"], "auth_invalid")
        self.assertEqual(reply["message"], "Invalid access token or password")
        with self.assertRaises(ConnectionClosed):
            ws.recv()
        self.assertEqual(self.sim.stats()["auth_invalid"], before + 1)

    def test_id_reuse_and_format(self):
        ws = self.ws()
        self.assertEqual(ws.call("ping"), {"id": 1, "type": "pong"})
        ws.conn.send(json.dumps({"id": 1, "type": "ping"}))
        err = ws.recv()
        self.assertEqual(err["error"]["code"], "id_reuse")
        ws.conn.send(json.dumps({"type": "ping"}))
        self.assertEqual(ws.recv()["error"]["code"], "invalid_format")
        self.assertEqual(ws.call("nope")["error"]["code"], "unknown_command")

    def test_array_of_commands_and_coalescing(self):
        ws = self.ws()
        ws.conn.send(
            json.dumps(
                [
                    {
                        "id": 1,
                        "type": "supported_features",
                        "features": {"coalesce_messages": 1},
                    },
                    {"id": 2, "type": "ping"},
                    {"id": 3, "type": "ping"},
                ]
            )
        )
        frame = json.loads(ws.conn.recv(timeout=5))
        self.assertIsInstance(frame, list)
        self.assertEqual([m["id"] for m in frame], [1, 2, 3])

    def test_no_coalescing_by_default(self):
        ws = self.ws()
        ws.conn.send(json.dumps([{"id": 1, "type": "ping"}, {"id": 2, "type": "ping"}]))
        self.assertEqual(json.loads(ws.conn.recv(timeout=5))["id"], 1)
        self.assertEqual(json.loads(ws.conn.recv(timeout=5))["id"], 2)


class TestStatesAndServices(SimulatorCase):
    def test_demo_home_size(self):
        ws = self.ws()
        states = ws.call("get_states")["result"]
        self.assertGreaterEqual(len(states), 120)
        self.assertGreaterEqual(len({s["entity_id"].split(".")[0] for s in states}), 30)
        keys = {"entity_id", "state", "attributes", "last_changed", "last_reported"}
        self.assertEqual(set(states[0]), keys | {"last_updated", "context"})
        self.assertGreaterEqual(
            len(ws.call("config/device_registry/list")["result"]), 40
        )
        self.assertGreaterEqual(len(ws.call("config/area_registry/list")["result"]), 8)
        self.assertEqual(ws.call("get_config")["result"]["state"], "RUNNING")

    def test_light_turn_on_event(self):
        ws = self.ws()
        sub = ws.send("subscribe_events", event_type="state_changed")
        ws.result(sub)
        reply = ws.call(
            "call_service",
            domain="light",
            service="turn_on",
            service_data={"brightness_pct": 50, "color_temp_kelvin": 3000},
            target={"entity_id": "light.office_desk"},
        )
        self.assertTrue(reply["success"])
        event = ws.events(sub, 1)[0]
        self.assertEqual(event["event_type"], "state_changed")
        new = event["data"]["new_state"]
        self.assertEqual(new["attributes"]["brightness"], 128)
        self.assertEqual(new["attributes"]["color_temp_kelvin"], 3000)
        self.assertEqual(new["context"]["id"], reply["result"]["context"]["id"])

    def test_domains_semantics(self):
        ws = self.ws()
        cases = [
            (
                "cover",
                "set_cover_position",
                "cover.living_room_blinds",
                {"position": 30},
            ),
            ("climate", "set_hvac_mode", "climate.bedroom", {"hvac_mode": "heat"}),
            ("fan", "set_percentage", "fan.bedroom_fan", {"percentage": 33}),
            ("lock", "unlock", "lock.front_door", {}),
            (
                "media_player",
                "volume_set",
                "media_player.office_speaker",
                {"volume_level": 0.2},
            ),
            ("vacuum", "start", "vacuum.robot", {}),
            ("counter", "increment", "counter.door_openings", {}),
            (
                "input_select",
                "select_option",
                "input_select.house_mode",
                {"option": "Away"},
            ),
            (
                "alarm_control_panel",
                "alarm_arm_away",
                "alarm_control_panel.home_alarm",
                {"code": "1234"},
            ),
        ]
        for domain, service, eid, data in cases:
            reply = ws.call(
                "call_service",
                domain=domain,
                service=service,
                service_data=data,
                target={"entity_id": eid},
            )
            self.assertTrue(reply["success"], (domain, reply))
        get = self.sim.get_state
        self.assertEqual(
            get("cover.living_room_blinds")["attributes"]["current_position"], 30
        )
        self.assertEqual(get("climate.bedroom")["state"], "heat")
        self.assertEqual(get("fan.bedroom_fan")["attributes"]["percentage"], 33)
        self.assertEqual(get("lock.front_door")["state"], "unlocked")
        self.assertEqual(get("vacuum.robot")["state"], "cleaning")
        self.assertEqual(get("counter.door_openings")["state"], "1")
        self.assertEqual(get("input_select.house_mode")["state"], "Away")
        self.assertEqual(get("alarm_control_panel.home_alarm")["state"], "armed_away")

    def test_timer_attributes_follow_its_state(self):
        """As HA's timer: remaining while running or paused, the end while running."""
        ws = self.ws()

        def timer(service, **data):
            reply = ws.call(
                "call_service",
                domain="timer",
                service=service,
                service_data=data,
                target={"entity_id": "timer.laundry"},
            )
            self.assertTrue(reply["success"], reply)
            return self.sim.get_state("timer.laundry")

        self.assertNotIn("remaining", self.sim.get_state("timer.laundry")["attributes"])
        st = timer("start", duration="0:10:00")
        self.assertEqual(st["state"], "active")
        self.assertEqual(st["attributes"]["duration"], "0:10:00")
        self.assertEqual(st["attributes"]["remaining"], "0:10:00")
        self.assertIn("finishes_at", st["attributes"])
        st = timer("pause")
        self.assertEqual(st["state"], "paused")
        self.assertNotIn("finishes_at", st["attributes"])
        self.assertRegex(st["attributes"]["remaining"], r"^0:(10:00|09:5\d)$")
        st = timer("start")
        self.assertEqual(st["state"], "active")
        self.assertIn("finishes_at", st["attributes"])
        st = timer("cancel")
        self.assertEqual(st["state"], "idle")
        # Back to the configured duration, nothing running.
        self.assertEqual(st["attributes"]["duration"], "0:45:00")
        self.assertNotIn("remaining", st["attributes"])
        self.assertNotIn("finishes_at", st["attributes"])
        st = timer("start")
        self.assertEqual(st["attributes"]["remaining"], "0:45:00")
        self.assertEqual(timer("finish")["state"], "idle")

    def test_service_errors(self):
        ws = self.ws()
        err = ws.call("call_service", domain="nope", service="x")["error"]
        self.assertEqual(err["code"], "not_found")
        err = ws.call(
            "call_service",
            domain="alarm_control_panel",
            service="alarm_disarm",
            service_data={"code": "0000"},
            target={"entity_id": "alarm_control_panel.home_alarm"},
        )["error"]
        self.assertEqual(err["code"], "service_validation_error")
        err = ws.call(
            "call_service",
            domain="light",
            service="turn_on",
            target={"entity_id": "light.garage"},
            return_response=True,
        )["error"]
        self.assertEqual(err["translation_key"], "service_does_not_support_response")
        reply = ws.call(
            "call_service",
            domain="weather",
            service="get_forecasts",
            service_data={"type": "daily"},
            target={"entity_id": "weather.home"},
            return_response=True,
        )
        self.assertIn("forecast", reply["result"]["response"]["weather.home"])

    def test_subscribe_entities_diffs(self):
        ws = self.ws()
        sub = ws.send("subscribe_entities", entity_ids=["switch.tv_plug"])
        self.assertTrue(ws.result(sub)["success"])
        snap = ws.events(sub, 1)[0]["a"]["switch.tv_plug"]
        self.assertEqual(set(snap) - {"lu"}, {"s", "a", "c", "lc"})
        self.sim.set_state(
            "switch.tv_plug", "off", {"friendly_name": "TV Plug", "x": 1}
        )
        diff = ws.events(sub, 1)[0]["c"]["switch.tv_plug"]
        self.assertEqual(diff["+"]["s"], "off")
        self.assertIn("lc", diff["+"])
        self.assertEqual(diff["+"]["a"], {"friendly_name": "TV Plug", "x": 1})
        self.sim.set_state("switch.tv_plug", "off", {"friendly_name": "TV Plug"})
        diff = ws.events(sub, 1)[0]["c"]["switch.tv_plug"]
        self.assertEqual(diff["-"], {"a": ["x"]})
        self.assertIn("lu", diff["+"])
        self.assertNotIn("lc", diff["+"])


class TestRegistries(SimulatorCase):
    def subscribe(self, ws, event_type):
        sub = ws.send("subscribe_events", event_type=event_type)
        ws.result(sub)
        return sub

    def test_area_label_crud_events(self):
        ws = self.ws()
        sub_a = self.subscribe(ws, "area_registry_updated")
        area = ws.call("config/area_registry/create", name="Attic")["result"]
        self.assertEqual(area["area_id"], "attic")
        ws.call("config/area_registry/update", area_id="attic", icon="mdi:home-roof")
        self.assertEqual(
            ws.call("config/area_registry/delete", area_id="attic")["result"], "success"
        )
        actions = [e["data"]["action"] for e in ws.events(sub_a, 3)]
        self.assertEqual(actions, ["create", "update", "remove"])
        sub_l = self.subscribe(ws, "label_registry_updated")
        label = ws.call("config/label_registry/create", name="Temp", color="red")[
            "result"
        ]
        ws.call(
            "config/label_registry/update", label_id=label["label_id"], icon="mdi:x"
        )
        ws.call("config/label_registry/delete", label_id=label["label_id"])
        self.assertEqual(
            [e["data"] for e in ws.events(sub_l, 3)],
            [{"action": a, "label_id": "temp"} for a in ("create", "update", "remove")],
        )
        for kind in ("floor", "label", "area"):
            self.assertTrue(ws.call(f"config/{kind}_registry/list")["success"])

    def test_entity_and_device_update(self):
        ws = self.ws()
        sub_e = self.subscribe(ws, "entity_registry_updated")
        sub_d = self.subscribe(ws, "device_registry_updated")
        reply = ws.call(
            "config/entity_registry/update", entity_id="light.garage", area_id="office"
        )
        self.assertEqual(reply["result"]["entity_entry"]["area_id"], "office")
        event = ws.events(sub_e, 1)[0]["data"]
        self.assertEqual(
            event,
            {
                "action": "update",
                "entity_id": "light.garage",
                "changes": {"area_id": None},
            },
        )
        device = ws.call("config/device_registry/list")["result"][0]
        ws.call(
            "config/device_registry/update", device_id=device["id"], name_by_user="X"
        )
        event = ws.events(sub_d, 1)[0]["data"]
        self.assertEqual(event["changes"], {"name_by_user": None})
        entries = {
            e["entity_id"] for e in ws.call("config/entity_registry/list")["result"]
        }
        self.assertNotIn("media_player.group_all", entries)
        related = ws.call("search/related", item_type="area", item_id="kitchen")[
            "result"
        ]
        self.assertIn("light.kitchen_lights", related["entity"])


class TestRecorder(SimulatorCase):
    def test_history(self):
        ws = self.ws()
        start = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        result = ws.call(
            "history/history_during_period",
            start_time=start,
            entity_ids=["sensor.kitchen_temperature"],
            minimal_response=True,
            no_attributes=True,
        )["result"]
        rows = result["sensor.kitchen_temperature"]
        self.assertGreater(len(rows), 10)
        self.assertEqual(set(rows[0]), {"s", "lu"})
        self.assertEqual(set(rows[1]), {"s", "lu"})
        full = ws.call(
            "history/history_during_period",
            start_time=start,
            entity_ids=["light.bed_light"],
        )["result"]["light.bed_light"]
        self.assertIn("a", full[0])
        bad = ws.call(
            "history/history_during_period", start_time="x", entity_ids=["a.b"]
        )
        self.assertEqual(bad["error"]["code"], "invalid_start_time")
        resp = self.rest(
            "GET",
            "/api/history/period/" + start,
            params={"filter_entity_id": "sensor.kitchen_temperature"},
        )
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(resp.json()[0][0]["entity_id"], "sensor.kitchen_temperature")

    def test_history_lc_only_when_it_differs(self):
        ws = self.ws()
        eid = "sensor.history_lc_probe"
        start = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        self.sim.set_state(eid, "1", {"friendly_name": "Probe"})
        self.sim.set_state(eid, "1", {"friendly_name": "Probe", "x": 1})  # attrs only
        self.sim.set_state(eid, "2", {"friendly_name": "Probe", "x": 1})
        rows = ws.call(
            "history/history_during_period",
            start_time=start,
            entity_ids=[eid],
            significant_changes_only=False,
        )["result"][eid]
        self.assertEqual([r["s"] for r in rows], ["1", "1", "2"])
        self.assertNotIn("lc", rows[0])
        self.assertLess(rows[1]["lc"], rows[1]["lu"])
        self.assertEqual(rows[1]["lc"], rows[0]["lu"])
        self.assertNotIn("lc", rows[2])

    def test_statistics(self):
        ws = self.ws()
        start = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        result = ws.call(
            "recorder/statistics_during_period",
            start_time=start,
            statistic_ids=["sensor.kitchen_temperature", "sensor.total_energy_kwh"],
            period="hour",
            types=["mean", "min", "max", "sum", "state"],
        )["result"]
        row = result["sensor.kitchen_temperature"][0]
        self.assertIsInstance(row["start"], int)
        self.assertEqual(row["end"] - row["start"], 3600 * 1000)
        self.assertLessEqual(row["min"], row["mean"])
        self.assertIsNotNone(result["sensor.total_energy_kwh"][0]["sum"])
        for period in ("5minute", "day", "week", "month"):
            reply = ws.call(
                "recorder/statistics_during_period",
                start_time=start,
                statistic_ids=["sensor.kitchen_temperature"],
                period=period,
            )
            self.assertTrue(reply["success"], period)


class TestRest(SimulatorCase):
    def test_rest(self):
        self.assertEqual(self.rest("GET", "/api/").json(), {"message": "API running."})
        bad = self.rest("GET", "/api/", token="nope")
        self.assertEqual((bad.status_code, bad.text), (401, "401: Unauthorized"))
        self.assertEqual(self.rest("GET", "/api/config").json()["version"], "2025.4.4")
        self.assertGreaterEqual(len(self.rest("GET", "/api/states").json()), 120)
        missing = self.rest("GET", "/api/states/light.nope")
        self.assertEqual(missing.status_code, 404)
        self.assertEqual(missing.json(), {"message": "Entity not found."})
        changed = self.rest(
            "POST", "/api/services/switch/toggle", json={"entity_id": "switch.pc_plug"}
        ).json()
        self.assertEqual(changed[0]["entity_id"], "switch.pc_plug")
        resp = self.rest(
            "POST",
            "/api/services/weather/get_forecasts?return_response",
            json={"entity_id": "weather.home", "type": "daily"},
        ).json()
        self.assertEqual(set(resp), {"changed_states", "service_response"})
        self.assertEqual(self.rest("POST", "/api/services/nope/x").status_code, 400)
        self.assertEqual(self.rest("DELETE", "/api/states").status_code, 405)
        self.assertEqual(self.rest("GET", "/api/history/period").status_code, 400)
        self.assertTrue(self.rest("GET", "/api/services").json())


class TestFaults(SimulatorCase):
    def test_stats_and_set_state(self):
        ws = self.ws()
        sub = ws.send("subscribe_events", event_type="state_changed")
        ws.result(sub)
        stats = self.sim.stats()
        self.assertGreaterEqual(stats["connections"], 1)
        self.sim.set_state("sensor.kitchen_temperature", "25.0")
        data = ws.events(sub, 1)[0]["data"]
        self.assertEqual(data["new_state"]["state"], "25.0")
        self.assertIsNotNone(data["old_state"])
        via_http = self.rest("GET", "/_simulator/stats").json()
        self.assertIn("service_calls", via_http)

    def test_burst_and_load(self):
        ws = self.ws()
        sub = ws.send("subscribe_events", event_type="state_changed")
        ws.result(sub)
        self.sim.burst(500, entities=10)
        self.assertEqual(len(ws.events(sub, 500)), 500)
        self.sim.load(events_per_second=200, entities=5, duration=0.5, wait=True)
        self.assertGreater(len(ws.events(sub, 80)), 0)

    def test_drop_and_malformed(self):
        ws = self.ws()
        self.sim.send_malformed()
        with self.assertRaises(ValueError):
            json.loads(ws.conn.recv(timeout=5))
        self.sim.drop_connections()
        with self.assertRaises(ConnectionClosed):
            ws.conn.recv(timeout=5)

    def test_delay_replies(self):
        ws = self.ws()
        self.sim.delay_replies(0.3)
        try:
            begin = time.monotonic()
            ws.call("ping")
            self.assertGreaterEqual(time.monotonic() - begin, 0.25)
        finally:
            self.sim.delay_replies(0)

    def test_revoke_and_set_token(self):
        ws = self.ws()
        self.sim.revoke_token()
        try:
            with self.assertRaises(ConnectionClosed):
                ws.conn.recv(timeout=5)
            again = self.ws(auth=False)
            self.assertEqual(again.auth(TOKEN)["type"], "auth_invalid")
            self.sim.set_token("new")
            self.assertEqual(self.ws(token="new").auth_reply["type"], "auth_ok")
        finally:
            self.sim.set_token(TOKEN)

    def test_restart(self):
        ws = self.ws()
        self.sim.restart(0.5)
        with self.assertRaises(ConnectionClosed):
            ws.conn.recv(timeout=5)
        with self.assertRaises(OSError):
            connect(self.sim.ws_url, open_timeout=1).__enter__()
        self.sim.wait_running(10)
        self.assertEqual(self.ws().auth_reply["type"], "auth_ok")


class TestScale(PureCase):
    def test_10k_entities(self):
        begin = time.monotonic()
        with SimulatorThread(
            token=TOKEN, entities=10000, devices=2000, areas=200
        ) as sim:
            self.assertLess(time.monotonic() - begin, 10)
            ws = WS(sim)
            try:
                begin = time.monotonic()
                states = ws.call("get_states")["result"]
                self.assertEqual(len(states), 10000)
                self.assertLess(time.monotonic() - begin, 5)
                self.assertEqual(
                    len(ws.call("config/device_registry/list")["result"]), 2000
                )
                self.assertEqual(
                    len(ws.call("config/area_registry/list")["result"]), 200
                )
            finally:
                ws.close()


def _home(home):
    """What :class:`WS` needs to reach one home of a farm."""
    return SimpleNamespace(ws_url=home["ws_url"])


def _get(url, token, **kw):
    return requests.get(
        url, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kw
    )


class TestManyHomes(PureCase):
    """``--homes N``: homes share a process, never tokens, states or events."""

    layout = "ports"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.farm = FarmThread(count=2, entities=20, layout=cls.layout).start()
        cls.addClassCleanup(cls.farm.stop)
        cls.homes = cls.farm.homes
        cls.admin = cls.farm.call(cls.farm.farm.describe)

    def ws(self, home, token=None):
        client = WS(_home(home), token=token or home["token"])
        self.addCleanup(client.close)
        return client

    def test_description(self):
        urls = {h["url"] for h in self.homes}
        tokens = {h["token"] for h in self.homes}
        self.assertEqual((len(urls), len(tokens)), (2, 2))
        for idx, home in enumerate(self.homes):
            self.assertEqual(home["index"], idx)
            self.assertEqual(home["entities"], 20)
            self.assertTrue(home["ws_url"].endswith("/api/websocket"))
            states = _get(home["url"] + "/api/states", home["token"]).json()
            self.assertEqual(len(states), 20)
            config = _get(home["url"] + "/api/config", home["token"]).json()
            self.assertEqual(config["internal_url"], home["url"])
        self.assertEqual(self.admin["layout"], self.layout)

    def test_tokens_are_per_home(self):
        first, second = self.homes
        self.assertEqual(self.ws(first).auth_reply["type"], "auth_ok")
        crossed = WS(_home(second), auth=False)
        self.addCleanup(crossed.close)
        self.assertEqual(crossed.auth(first["token"])["type"], "auth_invalid")
        self.assertEqual(_get(second["url"] + "/api/", first["token"]).status_code, 401)
        self.assertEqual(self.farm.stats()["auth_invalid"], 1)

    def test_states_and_events_are_per_home(self):
        first, second = self.homes
        ws_first, ws_second = self.ws(first), self.ws(second)
        subs = []
        for client in (ws_first, ws_second):
            sub = client.send("subscribe_events", event_type="state_changed")
            client.result(sub)
            subs.append(sub)
        eid = "sensor.synthetic_00000"
        untouched = self.farm.states(1)["1"][eid]
        self.farm.set_state(0, eid, "99.99")
        event = ws_first.events(subs[0], 1)[0]
        self.assertEqual(event["data"]["new_state"]["state"], "99.99")
        states = {
            s["entity_id"]: s["state"] for s in ws_second.call("get_states")["result"]
        }
        self.assertEqual(states[eid], untouched)
        # the second home's first event is its own change, not the first's
        self.farm.set_state(1, eid, "11.11")
        event = ws_second.events(subs[1], 1)[0]
        self.assertEqual(event["data"]["new_state"]["state"], "11.11")
        self.assertEqual(self.farm.states(0)["0"][eid], "99.99")

    def test_farm_stats_and_load(self):
        stats = _get(self.admin["admin_url"] + "/_simulator/farm/stats", "nope")
        self.assertEqual(stats.status_code, 401)
        clients = [self.ws(home) for home in self.homes]
        subs = []
        for client in clients:
            sub = client.send("subscribe_events", event_type="state_changed")
            client.result(sub)
            subs.append(sub)
        stats = _get(
            self.admin["admin_url"] + "/_simulator/farm/stats",
            self.admin["admin_token"],
        ).json()
        self.assertEqual(stats["homes"], 2)
        self.assertEqual(stats["connections_per_home"], [1, 1])
        self.assertEqual(stats["connections"], 2)
        self.assertGreater(stats["rss_kb"], 0)
        before = self.farm.stats()["events_generated"]
        self.assertEqual(
            self.farm.load(events_per_second=20, duration=0.5, wait=True), 10
        )
        self.assertEqual(self.farm.stats()["events_generated"], before + 20)
        sensors = {e for e in self.farm.states(0)["0"] if e.startswith("sensor.")}
        for client, sub in zip(clients, subs, strict=True):
            events = client.events(sub, 10)
            self.assertLessEqual({e["data"]["entity_id"] for e in events}, sensors)
            with self.assertRaises(TimeoutError):
                client.events(sub, 1, timeout=0.3)  # exactly 10, no more
        # the load changes existing sensors: no entity appears
        self.assertEqual(len(self.farm.states(1)["1"]), 20)
        both = _get(
            self.admin["admin_url"] + "/_simulator/farm/states",
            self.admin["admin_token"],
        ).json()
        self.assertEqual(set(both), {"0", "1"})
        # A load on the first sensors of one home only.
        self.assertEqual(
            self.farm.load(20, duration=0.5, wait=True, homes=[1], sensors=2), 10
        )
        events = clients[1].events(subs[1], 10)
        self.assertEqual(len({e["data"]["entity_id"] for e in events}), 2)
        with self.assertRaises(TimeoutError):
            clients[0].events(subs[0], 1, timeout=0.3)
        bad = requests.post(
            self.admin["admin_url"] + "/_simulator/farm/load",
            json={"sensors": 0},
            headers={"Authorization": f"Bearer {self.admin['admin_token']}"},
            timeout=5,
        )
        self.assertEqual(bad.status_code, 400)


class TestManyHomesOnePort(TestManyHomes):
    """The same with ``--layout paths``: home i under ``/home/i``."""

    layout = "paths"
    # Odoo's runner runs only a class's own test methods unless told so.
    allow_inherited_tests_method = True

    def test_one_port_and_unknown_home(self):
        ports = {h["url"].split("/")[2] for h in self.homes}
        self.assertEqual(len(ports), 1)
        self.assertTrue(self.homes[1]["url"].endswith("/home/1"))
        base = self.homes[0]["url"].rsplit("/home/", 1)[0]
        missing = _get(base + "/home/2/api/", self.homes[0]["token"])
        self.assertEqual(missing.status_code, 404)


class TestManyHomesCli(PureCase):
    def test_homes_file(self):
        root = Path(__file__).resolve().parents[1]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "homes.json"
            proc = subprocess.Popen(
                [sys.executable, "-m", "tools.ha_simulator", "--homes", "3"]
                + ["--entities", "5", "--port", "0", "--token", "tok"]
                + ["--homes-file", str(out)],
                cwd=root,
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                ready = proc.stdout.readline()
                self.assertIn("HA simulator ready: 3 homes", ready)
                described = json.loads(out.read_text())
            finally:
                proc.terminate()
                proc.wait(10)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(
            [h["token"] for h in described["homes"]], ["tok-0", "tok-1", "tok-2"]
        )
        self.assertEqual({h["entities"] for h in described["homes"]}, {5})
        self.assertTrue(described["admin_token"])
