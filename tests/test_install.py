from unittest import mock

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from odoo.addons.odoo_ha_addon import hooks


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


class TestHooks(TransactionCase):
    def test_recent_websockets_needs_no_install(self):
        installer = mock.Mock()
        version = hooks.ensure_websockets(installer=installer)
        self.assertGreaterEqual(version, hooks.WEBSOCKETS_MIN_VERSION)
        installer.assert_not_called()

    def test_failed_install_names_the_command(self):
        def failing_installer(command, **kwargs):
            return mock.Mock(returncode=1)

        with mock.patch.object(hooks, "_websockets_version", return_value=(10, 4)):
            with self.assertRaises(UserError) as caught:
                hooks.ensure_websockets(installer=failing_installer)
        message = str(caught.exception)
        self.assertIn("-m pip install websockets>=12", message)

    def test_uninstall_removes_our_parameters(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("odoo_ha_addon.ha_api_url", "http://127.0.0.1:8123")
        params.set_param("odoo_ha_addonX.other", "kept")
        hooks.uninstall_hook(self.env)
        self.env.invalidate_all()
        self.assertFalse(params.get_param("odoo_ha_addon.ha_api_url"))
        self.assertEqual(params.get_param("odoo_ha_addonX.other"), "kept")
