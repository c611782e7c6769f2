"""The pieces of the upgrade from the original addon, on this database.

The whole switch (a database shaped as the original's, ``odoo-bin -u`` twice)
is run by ``./dev tier install`` with ``tools/original_fixture.py``.
"""

from odoo.tools import sql

from odoo.addons.odoo_ha_addon.migrations import original
from odoo.addons.odoo_ha_addon.models.ha_instance_identity import url_fingerprint

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

    def test_missing_identity_filled_as_ours_stamps_it(self):
        Instance = self.env["ha.instance"]
        bare = Instance.create(
            {"name": "Bare", "api_url": "http://HA.local:8123/", "api_token": "t"}
        )
        moved = Instance.create(
            {"name": "Moved", "api_url": "http://new.local:8123", "api_token": "t"}
        )
        self.instance.write({"ha_instance_uuid": "a" * 64, "last_api_url": "x"})
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE ha_instance SET ha_instance_uuid = NULL,
                      last_api_url = CASE WHEN id = %s THEN NULL
                                          ELSE 'http://old.local:8123' END
                WHERE id IN %s""",
            (bare.id, (bare.id, moved.id)),
        )
        self.env.invalidate_all()
        self.assertGreaterEqual(original.fill_identities(self.env.cr), 2)
        self.env.invalidate_all()
        self.assertEqual(
            (bare.ha_instance_uuid, bare.last_api_url),
            (url_fingerprint("https://ha.local:8123"), "http://HA.local:8123/"),
        )
        # The URL kept is where the data came from, the fingerprint is of the
        # URL the instance points to, as the original computed it.
        self.assertEqual(moved.last_api_url, "http://old.local:8123")
        self.assertEqual(moved.ha_instance_uuid, url_fingerprint(moved.api_url))
        self.assertEqual(self.instance.ha_instance_uuid, "a" * 64)

    def test_original_wizard_leftovers_cleared(self):
        cr = self.env.cr
        entity = self._create_entity("light.kept")
        cr.execute(
            """ALTER TABLE ha_entity_share_wizard ADD COLUMN entity_id integer
                   REFERENCES ha_entity (id);
               CREATE TABLE ha_entity_share_wizard_user_rel (
                   wizard_id integer NOT NULL
                       REFERENCES ha_entity_share_wizard (id) ON DELETE CASCADE,
                   user_id integer NOT NULL, PRIMARY KEY (wizard_id, user_id));"""
        )
        cr.execute(
            """INSERT INTO ha_entity_share_wizard (entity_id, permission)
               VALUES (%s, 'view') RETURNING id""",
            (entity.id,),
        )
        cr.execute(
            "INSERT INTO ha_entity_share_wizard_user_rel VALUES (%s, %s)",
            (cr.fetchone()[0], self.env.uid),
        )
        original.clear_original_wizards(cr)
        self.assertFalse(sql.table_exists(cr, "ha_entity_share_wizard_user_rel"))
        self.assertFalse(sql.column_exists(cr, "ha_entity_share_wizard", "entity_id"))
        cr.execute("SELECT count(*) FROM ha_entity_share_wizard")
        self.assertEqual(cr.fetchone()[0], 0)
        # Our wizard works on the table that is left.
        user = self.env["res.users"].create({"name": "Shared", "login": "shared_w"})
        wizard = (
            self.env["ha.entity.share.wizard"]
            .with_context(active_model="ha.entity", active_ids=entity.ids)
            .create({"user_ids": [(6, 0, user.ids)], "permission": "control"})
        )
        wizard.action_share()
        share = self.env["ha.entity.share"].search([("entity_id", "=", entity.id)])
        self.assertEqual((share.user_id, share.permission), (user, "control"))

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
