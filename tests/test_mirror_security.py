from odoo.exceptions import AccessError

from .common import HACommon, state_changed


class TestMirrorSecurity(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.instance_b = cls._create_instance(name="Home B")
        floors, areas, labels, devices = cls._registries(areas=2, devices=2, labels=1)
        for instance in (cls.instance, cls.instance_b):
            registry = [
                {
                    "entity_id": f"sensor.s{i}",
                    "device_id": f"d{i % 2}",
                    "labels": ["l0"],
                }
                for i in range(4)
            ]
            cls.Sync._ha_sync_registries(
                instance, floors, areas, labels, devices, registry
            )
            cls.Sync._ha_sync_states(instance, cls._states(4))
        cls.entities_a = cls.Entity.search([("ha_instance_id", "=", cls.instance.id)])
        cls.entities_b = cls.Entity.search([("ha_instance_id", "=", cls.instance_b.id)])
        cls.entities_a.write({"enable_record": True})
        cls.Sync._ha_apply_state_events(
            cls.instance, [state_changed(e.entity_id, "1", 100) for e in cls.entities_a]
        )
        cls.user_a = cls._create_ha_user("ha_user_a")
        cls.user_b = cls._create_ha_user("ha_user_b")
        cls.manager = cls._create_ha_user("ha_manager", manager=True)
        cls.visible_a = cls.entities_a.filtered(lambda e: e.entity_id == "sensor.s0")
        cls.group_a = cls._create_group("A0", cls.visible_a, [cls.user_a])
        cls.group_b = cls._create_group(
            "B all", cls.entities_b, [cls.user_b], instance=cls.instance_b
        )

    def _visible(self, user, model):
        return (
            self.env[model].with_user(user).with_context(active_test=False).search([])
        )

    def test_user_a_sees_only_group_entities(self):
        self.assertEqual(self._visible(self.user_a, "ha.entity"), self.visible_a)
        self.assertEqual(self._visible(self.user_a, "ha.instance"), self.instance)
        history = self._visible(self.user_a, "ha.entity.history")
        self.assertTrue(history)
        self.assertEqual(history.entity_id, self.visible_a)
        devices = self._visible(self.user_a, "ha.device")
        self.assertEqual(devices, self.visible_a.device_id)
        areas = self._visible(self.user_a, "ha.area")
        self.assertEqual(areas.ha_instance_id, self.instance)
        labels = self._visible(self.user_a, "ha.label")
        self.assertEqual(labels.ha_instance_id, self.instance)
        self.assertEqual(self._visible(self.user_a, "ha.entity.group"), self.group_a)
        hidden = (self.entities_a - self.visible_a)[0]
        with self.assertRaises(AccessError):
            hidden.with_user(self.user_a).read(["entity_state"])

    def test_user_b_sees_only_instance_b(self):
        self.assertEqual(self._visible(self.user_b, "ha.entity"), self.entities_b)
        self.assertEqual(self._visible(self.user_b, "ha.instance"), self.instance_b)
        self.assertFalse(self._visible(self.user_b, "ha.entity.history"))
        areas = self._visible(self.user_b, "ha.area")
        self.assertEqual(areas.ha_instance_id, self.instance_b)

    def test_manager_sees_everything(self):
        entities = self._visible(self.manager, "ha.entity")
        self.assertEqual(entities, self.entities_a | self.entities_b)
        self.assertEqual(len(self._visible(self.manager, "ha.instance")), 2)

    def test_users_cannot_grant_themselves_access(self):
        group = self.group_a.with_user(self.user_a)
        with self.assertRaises(AccessError):
            group.write({"entity_ids": [(6, 0, self.entities_a.ids)]})
        with self.assertRaises(AccessError):
            self.env["ha.entity.group"].with_user(self.user_b).create(
                {
                    "name": "mine",
                    "ha_instance_id": self.instance.id,
                    "user_ids": [(4, self.user_b.id)],
                }
            )
        with self.assertRaises(AccessError):
            self.visible_a.with_user(self.user_a).write({"enable_record": False})

    def test_token_is_manager_only(self):
        with self.assertRaises(AccessError):
            self.instance.with_user(self.user_a).read(["api_token"])
        self.assertEqual(
            self.instance.with_user(self.manager).read(["api_token"])[0]["api_token"],
            "token",
        )

    def test_archived_group_grants_nothing(self):
        self.group_a.active = False
        self.assertFalse(self._visible(self.user_a, "ha.entity"))
        self.assertFalse(self._visible(self.user_a, "ha.instance"))

    def test_chart_honours_rules(self):
        data = self.History.with_user(self.user_a).get_chart_data(
            self.entities_a.ids, "2025-03-01 00:00:00", "2025-03-02 00:00:00"
        )
        self.assertEqual([s["id"] for s in data["series"]], self.visible_a.ids)
        self.assertTrue(data["series"][0]["points"])
        nothing = self.History.with_user(self.user_b).get_chart_data(
            self.entities_a.ids, "2025-03-01 00:00:00", "2025-03-02 00:00:00"
        )
        self.assertEqual(nothing["series"], [])

    def test_users_without_ha_group_read_nothing(self):
        plain = self._create_plain_user()
        with self.assertRaises(AccessError):
            self.env["ha.entity"].with_user(plain).search([])
        with self.assertRaises(AccessError):
            self.env["ha.instance"].with_user(plain).search([])

    def _create_plain_user(self):
        from odoo.tests import new_test_user

        return new_test_user(self.env, login="plain_user", groups="base.group_user")
