"""Custom properties: defined per instance, kept by the mirror, edited by
managers and by users on the entities they see."""

from lxml import etree

from odoo.exceptions import AccessError

from .common import HACommon, state_changed


def _definition(name, label):
    return [{"name": name, "string": label, "type": "char"}]


class TestProperties(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.instance.write(
            {
                "entity_properties_definition": _definition("asset", "Asset tag"),
                "group_properties_definition": _definition("site", "Site"),
                "device_properties_definition": _definition("room", "Room"),
            }
        )
        cls.snapshot = cls._snapshot(0)
        cls.instance._ha_apply_full_sync(cls.snapshot)
        cls.entities = cls.Entity.search([("ha_instance_id", "=", cls.instance.id)])
        cls.visible, cls.hidden = cls.entities[0], cls.entities[1]
        cls.user = cls._create_ha_user("props_user")
        cls.manager = cls._create_ha_user("props_manager", manager=True)
        cls.group = cls._create_group("Props", cls.visible, [cls.user])

    @classmethod
    def _snapshot(cls, seconds):
        floors, areas, labels, devices = cls._registries(areas=2, devices=2, labels=1)
        return {
            "config": {"state": "RUNNING"},
            "states": cls._states(3, seconds=seconds, value=lambda i: i + seconds),
            "floors": floors,
            "areas": areas,
            "labels": labels,
            "devices": devices,
            "entities": [
                {"entity_id": f"sensor.s{i}", "device_id": f"d{i % 2}", "labels": []}
                for i in range(3)
            ],
        }

    def test_properties_survive_a_full_resync_and_live_events(self):
        device = self.visible.device_id
        self.assertTrue(device)
        self.visible.properties = {"asset": "A-17"}
        device.properties = {"room": "Boiler room"}
        self.group.properties = {"site": "Plant 2"}
        # HA changes states and the device registry: a full sync and live
        # events later, the Odoo-only values are still there.
        snapshot = self._snapshot(60)
        snapshot["devices"][0]["name"] = "Renamed by HA"
        self.instance._ha_apply_full_sync(snapshot)
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed(self.visible.entity_id, "99", 120)]
        )
        self.env.invalidate_all()
        self.assertEqual(self.visible.entity_state, "99")
        self.assertEqual(self.visible.properties, {"asset": "A-17"})
        self.assertEqual(device.properties, {"room": "Boiler room"})
        self.assertEqual(self.group.properties, {"site": "Plant 2"})

    def test_definitions_are_per_instance(self):
        other = self._create_instance(
            name="Home B",
            entity_properties_definition=_definition("meter", "Meter number"),
        )
        entity_b = self._create_entity("sensor.b", instance=other)
        entity_b.properties = {"meter": "M-1"}
        self.visible.properties = {"asset": "A-1"}
        [read_b] = entity_b.read(["properties"])
        self.assertEqual(
            [(p["name"], p["value"]) for p in read_b["properties"]], [("meter", "M-1")]
        )
        [read_a] = self.visible.read(["properties"])
        self.assertEqual(
            [(p["name"], p["value"]) for p in read_a["properties"]], [("asset", "A-1")]
        )

    def test_user_edits_properties_of_entities_they_see_only(self):
        self.visible.with_user(self.user).write({"properties": {"asset": "U-1"}})
        self.assertEqual(self.visible.properties, {"asset": "U-1"})
        with self.assertRaises(AccessError):
            self.hidden.with_user(self.user).write({"properties": {"asset": "U-2"}})
        # Nothing else, and not the instance's definition either.
        with self.assertRaises(AccessError):
            self.visible.with_user(self.user).write({"note": "mine"})
        definition = [
            {"name": "new", "string": "New", "type": "char", "definition_changed": True}
        ]
        with self.assertRaises(AccessError):
            self.visible.with_user(self.user).write({"properties": definition})
        self.assertEqual(
            [p["name"] for p in self.instance.entity_properties_definition], ["asset"]
        )

    def test_manager_edits_every_record(self):
        for record, value in (
            (self.hidden, {"asset": "M-1"}),
            (self.visible.device_id, {"room": "Attic"}),
            (self.group, {"site": "HQ"}),
        ):
            record.with_user(self.manager).write({"properties": value})
            self.assertEqual(record.properties, value)

    def test_user_form_is_read_only_but_properties(self):
        def readonly(user):
            arch = etree.fromstring(
                self.env["ha.entity"].with_user(user).get_view(view_type="form")["arch"]
            )
            return {
                node.get("name"): node.get("readonly")
                for node in arch.xpath("//field[not(ancestor::field)]")
            }

        user_form = readonly(self.user)
        self.assertEqual(user_form["name"], "True")
        self.assertEqual(user_form["note"], "True")
        self.assertNotEqual(user_form["properties"], "True")
        self.assertNotEqual(readonly(self.manager)["name"], "True")
