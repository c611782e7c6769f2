from .common import HACommon, naive

FILTER = (("is_current_user_instance", "=", True),)

# Every model with the "Current instance" search filter.
MODELS = (
    "ha.entity",
    "ha.entity.history",
    "ha.entity.group",
    "ha.entity.group.tag",
    "ha.entity.tag",
    "ha.device.tag",
)


class TestCurrentInstanceFilter(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._two_homes()
        cls.entities = cls.Entity.search([])
        cls.entities.write({"enable_record": True})
        cls.user = cls._create_ha_user("ha_current_user")
        cls.records = {}
        for instance in (cls.instance, cls.instance_b):
            entities = cls.entities.filtered(
                lambda e, i=instance: e.ha_instance_id == i
            )
            group = cls._create_group(
                f"All {instance.name}", entities, [cls.user], instance=instance
            )
            device = cls.env["ha.device"].create(
                {"device_id": "d0", "ha_instance_id": instance.id}
            )
            tag_vals = {"name": f"Tag {instance.name}", "ha_instance_id": instance.id}
            cls.env["ha.entity.group.tag"].create(
                {**tag_vals, "group_ids": [(6, 0, group.ids)]}
            )
            cls.env["ha.entity.tag"].create(
                {**tag_vals, "entity_ids": [(6, 0, entities.ids)]}
            )
            cls.env["ha.device.tag"].create(
                {**tag_vals, "device_ids": [(6, 0, device.ids)]}
            )
            entities[0].device_id = device
            cls.env["ha.entity.history"].create(
                [
                    {
                        "entity_id": entity.id,
                        "ha_instance_id": instance.id,
                        "domain": entity.domain,
                        "entity_state": "1",
                        "last_updated": naive(),
                    }
                    for entity in entities
                ]
            )

    def _filtered(self, model, domain=FILTER):
        return self.env[model].with_user(self.user).search(list(domain))

    def _switch(self, instance):
        self.env["ha.api"].with_user(self.user).switch_instance(instance.id)

    def test_filter_follows_switch_instance(self):
        for instance in (self.instance_b, self.instance, self.instance_b):
            self._switch(instance)
            self.assertEqual(self.user.current_ha_instance_id, instance)
            for model in MODELS:
                with self.subTest(model=model, instance=instance.name):
                    found = self._filtered(model)
                    self.assertTrue(found)
                    self.assertEqual(found.ha_instance_id, instance)
                    self.assertTrue(all(found.mapped("is_current_user_instance")))
                    others = self._filtered(
                        model, [("is_current_user_instance", "=", False)]
                    )
                    self.assertTrue(others)
                    self.assertNotIn(instance, others.ha_instance_id)
                    self.assertFalse(any(others.mapped("is_current_user_instance")))

    def test_without_preference_the_first_instance_is_current(self):
        self.user.current_ha_instance_id = False
        self.instance_b.sequence = self.instance.sequence - 1
        self.assertEqual(self._filtered("ha.entity").ha_instance_id, self.instance_b)

    def test_unusable_preference_falls_back(self):
        self._switch(self.instance_b)
        self.instance_b.active = False
        self.assertEqual(self._filtered("ha.entity").ha_instance_id, self.instance)

    def test_actions_default_to_the_current_instance(self):
        for xmlid in (
            "odoo_ha_addon.ha_entity_action",
            "odoo_ha_addon.ha_entity_history_action",
            "odoo_ha_addon.ha_entity_group_action",
        ):
            with self.subTest(action=xmlid):
                self.assertIn(
                    "'search_default_current_instance': 1", self.env.ref(xmlid).context
                )

    def test_every_search_view_offers_the_filter(self):
        for model in MODELS:
            with self.subTest(model=model):
                views = self.env[model].get_views([(False, "search")])["views"]
                self.assertIn('name="current_instance"', views["search"]["arch"])
