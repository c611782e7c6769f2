from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_groups_and_category(self):
        user = self.env.ref("odoo_ha_addon.group_ha_user")
        manager = self.env.ref("odoo_ha_addon.group_ha_manager")
        category = self.env.ref("odoo_ha_addon.module_category_home_assistant")
        self.assertEqual(user.category_id, category)
        self.assertEqual(manager.category_id, category)
        self.assertIn(user, manager.implied_ids)
        self.assertIn(self.env.ref("base.group_user"), manager.trans_implied_ids)

    def test_admin_is_manager(self):
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("odoo_ha_addon.group_ha_manager"))
        self.assertTrue(admin.has_group("odoo_ha_addon.group_ha_user"))

    def test_entity_form_has_the_live_controller(self):
        arch = self.env.ref("odoo_ha_addon.ha_entity_view_form").arch
        self.assertIn(
            '<widget name="ha_entity_controller"/>', arch.replace(" />", "/>")
        )

    def test_root_menu_reserved_to_ha_users(self):
        root = self.env.ref("odoo_ha_addon.menu_ha_root")
        self.assertEqual(root.name, "Home Assistant")
        self.assertEqual(root.groups_id, self.env.ref("odoo_ha_addon.group_ha_user"))
        plain = self.env["res.users"].create(
            {
                "name": "No HA",
                "login": "no_ha_user",
                "groups_id": [(6, 0, [self.env.ref("base.group_user").id])],
            }
        )
        visible = self.env["ir.ui.menu"].with_user(plain)._visible_menu_ids()
        self.assertNotIn(root.id, visible)
        admin = self.env.ref("base.user_admin")
        admin_visible = self.env["ir.ui.menu"].with_user(admin)._visible_menu_ids()
        self.assertIn(root.id, admin_visible)


@tagged("post_install", "-at_install")
class TestInstance(TransactionCase):
    def test_ws_url_follows_scheme(self):
        instance = self.env["ha.instance"].create(
            {
                "name": "Home",
                "api_url": "https://ha.example.org:8123/",
                "api_token": "t",
            }
        )
        self.assertEqual(instance.ws_url, "wss://ha.example.org:8123/api/websocket")
        instance.api_url = "http://127.0.0.1:8123"
        self.assertEqual(instance.ws_url, "ws://127.0.0.1:8123/api/websocket")

    def test_bad_urls_are_refused(self):
        for url in ("ftp://ha:21", "homeassistant.local", "http://", "http://h/?a=1"):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                self.env["ha.instance"].create({"name": "Bad", "api_url": url})

    def test_token_is_reserved_to_managers(self):
        field = self.env["ha.instance"]._fields["api_token"]
        self.assertEqual(field.groups, "odoo_ha_addon.group_ha_manager")
