"""Settings block and the single-instance parameters (tag ``ha_http``)."""

from odoo.tests import TransactionCase, new_test_user, tagged

from ..models.res_config_settings import (
    PARAM_TOKEN,
    PARAM_URL,
    _sync_single_instance_params,
)


@tagged("post_install", "-at_install", "ha_http")
class TestHttpSettings(TransactionCase):
    def test_single_instance_params_become_an_instance(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PARAM_URL, "http://127.0.0.1:8123/")
        params.set_param(PARAM_TOKEN, "secret")
        Instance = self.env["ha.instance"].with_context(active_test=False)
        before = Instance.search_count([])
        instance_id = _sync_single_instance_params(self.env)
        instance = Instance.browse(instance_id)
        self.assertEqual(instance.api_url, "http://127.0.0.1:8123")
        self.assertEqual(instance.sudo().api_token, "secret")
        self.assertFalse(params.get_param(PARAM_URL))
        self.assertFalse(params.get_param(PARAM_TOKEN))
        # idempotent: nothing left to convert
        self.assertFalse(_sync_single_instance_params(self.env))
        # an existing instance with that URL only gets the new token
        params.set_param(PARAM_URL, "http://127.0.0.1:8123")
        params.set_param(PARAM_TOKEN, "other")
        self.assertEqual(_sync_single_instance_params(self.env), instance.id)
        self.assertEqual(instance.sudo().api_token, "other")
        self.assertEqual(Instance.search_count([]), before + 1)

    def test_invalid_param_is_ignored(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PARAM_URL, "ftp://nowhere")
        with self.assertLogs("odoo.addons.odoo_ha_addon", "WARNING"):
            self.assertFalse(_sync_single_instance_params(self.env))

    def test_settings_block(self):
        admin = new_test_user(
            self.env,
            login="ha_settings_admin",
            groups="base.group_system,odoo_ha_addon.group_ha_manager",
        )
        Settings = self.env["res.config.settings"].with_user(admin)
        settings = Settings.create(
            {"ha_name": "From Settings", "ha_api_url": "http://127.0.0.1:8124"}
        )
        settings.ha_api_token = "tok"
        settings.execute()
        instance = self.env["ha.instance"].search([("name", "=", "From Settings")])
        self.assertEqual(instance.sudo().api_token, "tok")
        values = Settings.default_get(["ha_instance_id", "ha_api_token"])
        self.assertFalse(values.get("ha_api_token"))  # never sent to the browser
        # a settings user without HA rights sees no HA field and no error
        plain = new_test_user(
            self.env, login="ha_plain_admin", groups="base.group_system"
        )
        self.env["res.config.settings"].with_user(plain).default_get([])
