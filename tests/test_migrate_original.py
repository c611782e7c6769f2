"""The pieces of the upgrade from the original addon, on this database.

The whole switch (a database shaped as the original's, ``odoo-bin -u`` twice)
is run by ``./dev tier install`` with ``tools/original_fixture.py``.
"""

from odoo.addons.odoo_ha_addon.migrations import original

from .common import HACommon, naive


class TestMigrateOriginal(HACommon):
    def test_our_schema_is_not_the_original(self):
        # A database of this addon's own earlier versions is left alone.
        self.assertFalse(original.is_original(self.env.cr))

    def test_declared_xmlids_are_ours(self):
        declared = original.declared_xmlids()
        for name in (
            "ha_entity_action",
            "res_config_settings_view_form",
            "menu_ha_root",
            "access_ha_instance_user",
            "group_ha_manager",
        ):
            self.assertIn(name, declared)
        self.assertFalse([name for name in declared if "." in name])
        # Every record our data files load is among them: nothing of ours is
        # taken for a leftover of the original and deleted before loading.
        self.env.cr.execute(
            """SELECT name FROM ir_model_data WHERE module = 'odoo_ha_addon'
                AND model = ANY(%s)""",
            (list(original.UI_MODELS) + ["ir.ui.view"],),
        )
        loaded = {name for (name,) in self.env.cr.fetchall()}
        self.assertLessEqual(loaded, declared)

    def test_renamed_records_exist_under_our_names(self):
        for old, (model, new) in original.RENAMED_XMLIDS.items():
            with self.subTest(old=old):
                self.assertEqual(self.env.ref(f"odoo_ha_addon.{new}")._name, model)

    def test_fingerprint_ignores_scheme_case_and_trailing_slash(self):
        fingerprint = original.instance_fingerprint
        one = fingerprint("http://HA.local:8123/")
        self.assertEqual(len(one), 64)
        self.assertEqual(fingerprint("https://ha.local:8123"), one)
        self.assertEqual(fingerprint(" http://ha.local:8123\x00\x1f "), one)
        self.assertNotEqual(fingerprint("http://ha.local:8124"), one)
        self.assertIsNone(fingerprint("ftp://ha.local"))
        self.assertIsNone(fingerprint("http://" + "a" * 2050))
        self.assertIsNone(fingerprint(None))

    def test_history_minus_one_only_for_non_numeric_states(self):
        entity = self._create_entity("sensor.t")
        History = self.env["ha.entity.history"]
        rows = History.create(
            [
                {
                    "entity_id": entity.id,
                    "ha_instance_id": self.instance.id,
                    "domain": "sensor",
                    "entity_state": state,
                    "num_state": -1.0,
                    "last_updated": naive(i),
                    "last_changed": naive(i),
                }
                for i, state in enumerate(("unavailable", "-1", " -1.0 ", "on", None))
            ]
        )
        self.env.flush_all()
        changed, spread = original.prepare_history(self.env.cr)
        self.assertEqual((changed, spread), (3, 0))
        self.env.cr.execute(
            "SELECT num_state, last_changed FROM ha_entity_history "
            "WHERE id = ANY(%s) ORDER BY id",
            (rows.ids,),
        )
        self.assertEqual(
            self.env.cr.fetchall(),
            [(None, naive(0)), (-1.0, naive(1)), (-1.0, naive(2))]
            + [(None, naive(3)), (None, naive(4))],
        )
