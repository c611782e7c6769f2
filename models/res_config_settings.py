"""Settings: a Home Assistant block editing one instance at a time.

The access token is write-only here: it is never loaded into the form (so it
never reaches the browser); an empty field keeps the stored token.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .ha_instance import notification

_logger = logging.getLogger(__name__)

PARAM_URL = "odoo_ha_addon.ha_api_url"
PARAM_TOKEN = "odoo_ha_addon.ha_api_token"
DEFAULT_NAME = "Home Assistant"
MANAGER = "odoo_ha_addon.group_ha_manager"


def _sync_single_instance_params(env):
    """Turn the single-instance parameters into an ``ha.instance``.

    Older setups kept one URL and token in ``ir.config_parameter``. If a URL is
    set, the instance with that URL gets the token (created if missing); both
    parameters are then deleted, so the token lives only on the instance and a
    later upgrade does not undo changes made in the form. Idempotent.
    """
    # sudo: runs from module data (install/upgrade); reads technical parameters
    params = env["ir.config_parameter"].sudo()
    url = (params.get_param(PARAM_URL) or "").strip().rstrip("/")
    token = (params.get_param(PARAM_TOKEN) or "").strip()
    if not url:
        return False
    instances = env["ha.instance"].sudo().with_context(active_test=False)
    instance = instances.search([("api_url", "in", [url, url + "/"])], limit=1)
    try:
        with env.cr.savepoint():
            if not instance:
                instance = instances.create(
                    {"name": DEFAULT_NAME, "api_url": url, "api_token": token or False}
                )
                _logger.info(
                    "Created Home Assistant instance %s from %s", url, PARAM_URL
                )
            elif token and instance.api_token != token:
                instance.api_token = token
    except ValidationError as err:
        _logger.warning("Ignoring %s=%r: %s", PARAM_URL, url, err)
        return False
    params.search([("key", "in", [PARAM_URL, PARAM_TOKEN])]).unlink()
    return instance.id


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ha_instance_id = fields.Many2one(
        "ha.instance",
        string="Home Assistant Instance",
        help="The instance edited below; leave empty to create a new one.",
        groups=MANAGER,
    )
    ha_name = fields.Char(string="Instance Name", groups=MANAGER)
    ha_api_url = fields.Char(string="Home Assistant URL", groups=MANAGER)
    ha_api_token = fields.Char(
        string="New Access Token",
        help="Long-lived access token; leave empty to keep the stored one.",
        groups=MANAGER,
    )
    ha_has_token = fields.Boolean(
        string="Token Set", compute="_compute_ha_status", groups=MANAGER
    )
    ha_websocket_status = fields.Selection(
        related="ha_instance_id.websocket_status",
        string="Connection",
        groups=MANAGER,
    )
    ha_ws_error = fields.Char(
        related="ha_instance_id.ws_error", string="Last Error", groups=MANAGER
    )
    ha_version = fields.Char(
        related="ha_instance_id.ha_version", string="HA Version", groups=MANAGER
    )
    ha_ws_since = fields.Datetime(
        related="ha_instance_id.ws_since",
        string="Status Since",
        groups=MANAGER,
    )
    ha_entity_count = fields.Integer(
        related="ha_instance_id.entity_count",
        string="Entities",
        groups=MANAGER,
    )

    @api.depends("ha_instance_id")
    def _compute_ha_status(self):
        for settings in self:
            # sudo: only whether a token is set is shown, never the token
            settings.ha_has_token = bool(settings.ha_instance_id.sudo().api_token)

    @api.model
    def get_values(self):
        res = super().get_values()
        if not self.env.user.has_group(MANAGER):
            return res
        instance = self.env["ha.instance"].search([], order="sequence, id", limit=1)
        res.update(
            ha_instance_id=instance.id,
            ha_name=instance.name or False,
            ha_api_url=instance.api_url or False,
        )
        return res

    @api.onchange("ha_instance_id")
    def _onchange_ha_instance_id(self):
        self.ha_name = self.ha_instance_id.name
        self.ha_api_url = self.ha_instance_id.api_url
        self.ha_api_token = False

    def set_values(self):
        res = super().set_values()
        self._ha_apply()
        return res

    def _ha_apply(self):
        """Write the block to the selected instance, or create one."""
        self.ensure_one()
        if not (self.ha_instance_id or self.ha_name or self.ha_api_url):
            return
        if not self.env.user.has_group(MANAGER):
            return
        vals = {}
        if self.ha_name:
            vals["name"] = self.ha_name
        if self.ha_api_url:
            vals["api_url"] = self.ha_api_url.strip()
        if self.ha_api_token:
            vals["api_token"] = self.ha_api_token.strip()
        if self.ha_instance_id:
            changed = {
                key: value
                for key, value in vals.items()
                if key == "api_token" or self.ha_instance_id[key] != value
            }
            if changed:
                self.ha_instance_id.write(changed)
        else:
            if not (self.ha_name and self.ha_api_url):
                raise ValidationError(
                    _("A new Home Assistant instance needs a name and a URL.")
                )
            self.ha_instance_id = self.env["ha.instance"].create(vals)
        self.ha_api_token = False

    def _ha_selected(self):
        self._ha_apply()
        if not self.ha_instance_id:
            raise UserError(_("Select or create a Home Assistant instance first."))
        return self.ha_instance_id

    def action_ha_test_connection(self):
        info = self._ha_selected()._test_connection_or_raise()
        return notification(
            _(
                "Connected to Home Assistant %(version)s.",
                version=info.get("ha_version") or "",
            ),
            kind="success",
            next={"type": "ir.actions.act_window_close"},
        )

    def action_ha_restart_websocket(self):
        return self._ha_selected().action_restart_websocket()

    def action_ha_sync_now(self):
        # A (re)connection always starts with a full sync of registries and
        # states, so a restart is the sync.
        instance = self._ha_selected()
        instance.action_restart_websocket()
        return notification(
            _(
                "Full sync of %(name)s asked: it runs as soon as the connection "
                "is rebuilt.",
                name=instance.name,
            )
        )

    @api.model
    def _ha_sync_single_instance_params(self):
        return _sync_single_instance_params(self.env)
