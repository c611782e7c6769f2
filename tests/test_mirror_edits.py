"""Odoo → HA edits, fetch_states, history backfill and statistics, against the
simulator (``_execute`` runs each command on a fresh simulator connection)."""

import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError

from odoo.addons.odoo_ha_addon.models.common import ha_errors
from odoo.addons.odoo_ha_addon.tools.ha_simulator import SimulatorThread

from .common import HACommon
from .common_http import execute_on_simulator


class HaSimulatorCase(HACommon):
    """A demo simulator, mirrored into ``cls.sim_instance`` by fetch_states."""

    @classmethod
    def _start_simulator(cls):
        """A demo simulator (token "t"), stopped after the class."""
        sim = SimulatorThread(token="t", demo=True, port=0).start()
        cls.addClassCleanup(sim.stop)
        return sim

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls._start_simulator()
        cls.queue_class = type(cls.env["ha.ws.request.queue"])
        cls.startClassPatcher(
            patch.object(cls.queue_class, "_execute", execute_on_simulator)
        )
        # No supervisor in tests: pretend an Odoo process holds the connection.
        cls.startClassPatcher(
            patch.object(
                type(cls.env["ha.remote.call"]),
                "_ha_reachable",
                lambda self, instance: True,
            )
        )
        cls.instance.active = False  # 127.0.0.1:9: nothing listens there
        cls.sim_instance = cls._create_instance(
            name="Simulated", api_url=cls.sim.url, api_token="t"
        )
        cls.sync_result = cls.env["ha.entity"].fetch_states()

    @contextmanager
    def assertRefused(self, pattern):
        """Odoo's assertRaises (savepoint, cache reset) plus a message check."""
        with self.assertRaises(UserError) as catcher:
            yield
        self.assertRegex(str(catcher.exception), pattern)

    def home(self, attribute):
        """A copy of one simulator registry (``areas``, ``labels``, ...)."""
        return self.sim.call(
            lambda: {
                k: dict(v)
                for k, v in getattr(self.sim.simulator.home, attribute).items()
            }
        )

    def entity(self, entity_id):
        return self.Entity.search(
            [
                ("ha_instance_id", "=", self.sim_instance.id),
                ("entity_id", "=", entity_id),
            ]
        )

    def record(self, model, key, value):
        return (
            self.env[model]
            .with_context(active_test=False)
            .search([("ha_instance_id", "=", self.sim_instance.id), (key, "=", value)])
        )


class TestMirrorEdits(HaSimulatorCase):
    def test_fetch_states_websocket(self):
        self.assertEqual(
            self.sync_result,
            [
                {
                    "instance_id": self.sim_instance.id,
                    "name": "Simulated",
                    "mode": "websocket",
                    "success": True,
                }
            ],
        )
        self.assertEqual(
            self.Entity.search_count([("ha_instance_id", "=", self.sim_instance.id)]),
            self.sim.stats()["entities"],
        )
        areas = self.env["ha.area"].search(
            [("ha_instance_id", "=", self.sim_instance.id)]
        )
        self.assertEqual(set(areas.mapped("area_id")), set(self.home("areas")))
        self.assertTrue(self.entity("input_boolean.guest_mode").label_ids)

    def test_entity_labels_only_keeps_area(self):
        guest = self.entity("input_boolean.guest_mode")
        area = guest.area_id
        self.assertTrue(area)
        ha_area = self.home("entities")["input_boolean.guest_mode"]["area_id"]
        self.assertEqual(area.area_id, ha_area)
        energy = self.record("ha.label", "label_id", "energy")
        guest.write({"label_ids": [(6, 0, energy.ids)]})
        entry = self.home("entities")["input_boolean.guest_mode"]
        self.assertEqual(entry["labels"], ["energy"])
        self.assertEqual(entry["area_id"], ha_area)  # the original cleared it
        self.assertEqual(guest.area_id, area)
        self.assertFalse(guest.follows_device_area)

    def test_entity_name_and_area(self):
        outside = self.entity("sensor.outside_temperature")
        kitchen = self.record("ha.area", "area_id", "kitchen")
        outside.write({"name": "Garden thermometer", "area_id": kitchen.id})
        entry = self.home("entities")["sensor.outside_temperature"]
        self.assertEqual(entry["name"], "Garden thermometer")
        self.assertEqual(entry["area_id"], "kitchen")
        self.assertFalse(outside.follows_device_area)
        self.assertEqual(outside.display_area_id, kitchen)
        outside.write({"follows_device_area": True})
        entry = self.home("entities")["sensor.outside_temperature"]
        self.assertIsNone(entry["area_id"])
        self.assertFalse(outside.area_id)
        self.assertEqual(entry["name"], "Garden thermometer")  # untouched
        outside.write({"name": False})
        self.assertIsNone(self.home("entities")["sensor.outside_temperature"]["name"])

    def test_entity_edit_refused_rolls_back(self):
        ghost = self._create_entity(
            "sensor.not_in_ha", instance=self.sim_instance, name="Ghost"
        )
        with self.assertRefused("not_found"):
            ghost.write({"name": "Renamed"})
        self.assertEqual(ghost.name, "Ghost")

    def test_area_create_rename_delete(self):
        Area = self.env["ha.area"]
        sauna = Area.create({"name": "Sauna", "ha_instance_id": self.sim_instance.id})
        self.assertTrue(sauna.area_id)
        self.assertEqual(self.home("areas")[sauna.area_id]["name"], "Sauna")
        sauna.write({"name": "Steam Room", "icon": "mdi:sauna"})
        ha = self.home("areas")[sauna.area_id]
        self.assertEqual((ha["name"], ha["icon"]), ("Steam Room", "mdi:sauna"))
        area_id = sauna.area_id
        sauna.unlink()
        self.assertNotIn(area_id, self.home("areas"))

    def test_area_refusals_roll_back(self):
        Area = self.env["ha.area"]
        before = Area.search_count([])
        with self.assertRefused("already in use"):
            Area.create({"name": "Kitchen", "ha_instance_id": self.sim_instance.id})
        self.assertEqual(Area.search_count([]), before)
        # Deleted in HA behind Odoo's back: HA refuses the rename.
        garage = self.record("ha.area", "area_id", "garage")
        areas = self.sim.simulator.home.areas
        entry = self.sim.call(areas.pop, "garage")
        self.addCleanup(self.sim.call, areas.__setitem__, "garage", entry)
        with self.assertRaises(UserError):
            garage.write({"name": "Workshop"})
        self.assertEqual(garage.name, "Garage")
        with self.assertRaises(UserError):
            garage.unlink()
        self.assertTrue(garage.exists())

    def test_label_create_update_delete(self):
        Label = self.env["ha.label"]
        label = Label.create(
            {
                "name": "Holiday",
                "ha_color": "red",
                "ha_instance_id": self.sim_instance.id,
            }
        )
        self.assertTrue(label.label_id)
        ha = self.home("labels")[label.label_id]
        self.assertEqual((ha["name"], ha["color"]), ("Holiday", "red"))
        label.write({"description": "Away", "color": 3})  # color: Odoo only
        self.assertEqual(self.home("labels")[label.label_id]["description"], "Away")
        label_id = label.label_id
        label.unlink()
        self.assertNotIn(label_id, self.home("labels"))

    def test_label_refusals_roll_back(self):
        Label = self.env["ha.label"]
        ghost = Label.create(
            {
                "name": "Ghost",
                "label_id": "ghost",
                "ha_instance_id": self.sim_instance.id,
            }
        )
        with self.assertRefused("invalid_info"):
            ghost.unlink()
        self.assertTrue(ghost.exists())
        with self.assertRefused("already in use"):
            Label.create({"name": "Energy", "ha_instance_id": self.sim_instance.id})

    def test_device_area_and_name(self):
        device = self.entity("sensor.outside_temperature").device_id
        self.assertTrue(device)
        garden = self.record("ha.area", "area_id", "garden")
        device.write({"name_by_user": "Weather station", "area_id": garden.id})
        ha = self.home("devices")[device.device_id]
        self.assertEqual(
            (ha["name_by_user"], ha["area_id"]), ("Weather station", "garden")
        )
        device.write({"name_by_user": False})
        self.assertIsNone(self.home("devices")[device.device_id]["name_by_user"])

    def test_sync_writes_do_not_push(self):
        area = self.record("ha.area", "area_id", "office")
        area.with_context(from_ha_sync=True).write({"name": "Odoo only"})
        self.assertEqual(self.home("areas")["office"]["name"], "Office")

    def test_not_connected_refuses(self):
        remote_class = type(self.env["ha.remote.call"])
        area = self.record("ha.area", "area_id", "office")
        with patch.object(remote_class, "_ha_reachable", lambda self, i: False):
            with self.assertRefused("not connected"):
                area.write({"name": "Nope"})
        self.assertEqual(area.name, "Office")


class TestFetchStates(HaSimulatorCase):
    def test_rest_fallback_and_errors(self):
        self.instance.active = True  # nothing listens on its port
        self.sim.set_state("sensor.outside_temperature", "31.5")
        remote_class = type(self.env["ha.remote.call"])
        with patch.object(remote_class, "_ha_reachable", lambda self, i: False):
            result = self.env["ha.entity"].fetch_states()
        by_id = {entry["instance_id"]: entry for entry in result}
        self.assertEqual(by_id[self.sim_instance.id]["mode"], "rest")
        self.assertTrue(by_id[self.sim_instance.id]["success"])
        failed = by_id[self.instance.id]
        self.assertFalse(failed["success"])
        self.assertIn("Home A", failed["error"])
        self.assertEqual(self.entity("sensor.outside_temperature").entity_state, "31.5")

    def test_rights(self):
        user = self._create_ha_user("fetch_user")
        with self.assertRaises(AccessError):
            self.env["ha.entity"].with_user(user).fetch_states()
        manager = self._create_ha_user("fetch_manager", manager=True)
        result = self.env["ha.entity"].with_user(manager).fetch_states()
        self.assertTrue(all(entry["success"] for entry in result))


class TestBackfillAndStatistics(HaSimulatorCase):
    def _history(self, entity):
        return self.History.search([("entity_id", "=", entity.id)])

    def test_backfill_on_enable_record(self):
        sensor = self.entity("sensor.living_room_temperature")
        self.assertFalse(self._history(sensor))
        sensor.enable_record = True
        rows = self._history(sensor)
        # Half-hourly samples over the last day (the demo seeds three days),
        # repeated values merged by HA.
        self.assertGreater(len(rows), 20)
        self.assertLess(len(rows), 60)
        self.assertGreater(
            min(rows.mapped("last_updated")),
            datetime.utcnow() - timedelta(days=1, minutes=5),
        )
        # Switching off and on again fetches the same rows: no duplicates,
        # also when the window start (whole seconds) has moved on.
        sensor.enable_record = False
        time.sleep(1.01 - time.time() % 1)
        sensor.enable_record = True
        self.assertEqual(len(self._history(sensor)), len(rows))
        # More days through the parameter: older rows are added.
        self.env["ir.config_parameter"].set_param(
            "odoo_ha_addon.history_backfill_days", "2"
        )
        sensor.enable_record = False
        sensor.enable_record = True
        self.assertGreater(len(self._history(sensor)), len(rows) + 20)

    def test_backfill_error_rolls_back(self):
        sensor = self.entity("sensor.kitchen_temperature")

        def refuse(self, instance, payload, timeout=10.0):
            raise ha_errors.HaBadRequestError(
                "Home Assistant refused (invalid_entity_ids)", code="invalid_entity_ids"
            )

        with patch.object(self.queue_class, "_execute", refuse):
            with self.assertRefused("invalid_entity_ids"):
                sensor.enable_record = True
        self.assertFalse(sensor.enable_record)

    def test_statistics(self):
        sensor = self.entity("sensor.living_room_temperature")
        light = self.entity("light.kitchen_lights") or self.Entity.search(
            [("ha_instance_id", "=", self.sim_instance.id), ("domain", "=", "light")],
            limit=1,
        )
        end = datetime.utcnow()
        data = self.History.get_statistics(
            [sensor.id, light.id], end - timedelta(days=1), end, "hour"
        )
        self.assertEqual(data["period"], "hour")
        series = {s["entity_id"]: s for s in data["series"]}
        temp = series["sensor.living_room_temperature"]
        self.assertTrue(temp["supported"])
        self.assertEqual(temp["unit"], "°C")
        self.assertGreaterEqual(len(temp["points"]), 22)
        point = temp["points"][0]
        self.assertTrue(point["t"].endswith("Z"))
        self.assertLessEqual(point["min"], point["mean"])
        self.assertLessEqual(point["mean"], point["max"])
        self.assertFalse(series[light.entity_id]["supported"])
        self.assertEqual(series[light.entity_id]["points"], [])
        with self.assertRaises(UserError):
            self.History.get_statistics([sensor.id], end, end, "hour")
        with self.assertRaises(UserError):
            self.History.get_statistics([sensor.id], end - timedelta(1), end, "year")

    def test_statistics_record_rules(self):
        sensor = self.entity("sensor.living_room_temperature")
        other = self.entity("sensor.kitchen_temperature")
        user = self._create_ha_user("stats_user")
        self._create_group("Stats", sensor, users=[user], instance=self.sim_instance)
        History = self.History.with_user(user)
        end = datetime.utcnow()
        data = History.get_statistics([sensor.id], end - timedelta(hours=6), end)
        self.assertTrue(data["series"][0]["points"])
        with self.assertRaises(AccessError):
            History.get_statistics([sensor.id, other.id], end - timedelta(hours=6), end)
