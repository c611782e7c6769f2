"""``ha.entity``: the buttons of its form and list.

Automations, scripts and scenes are run through ``ha.api.call_service``, the
path the entity controls use: the same rights check (the user must see the
entity, in an instance they may use), the same service allow-list, the same
request queue. The "view …" buttons open the entity's history and tags.
"""

from odoo import _, models
from odoo.exceptions import UserError

from .ha_api import HaApiError
from .ha_instance import notification


class HaEntity(models.Model):
    _inherit = "ha.entity"

    def _ha_run_service(self, domain, service, done):
        """``domain.service`` on this entity, as the controls call it."""
        self.ensure_one()
        if self.domain != domain:
            raise UserError(
                _(
                    "%(entity)s is not a %(domain)s entity.",
                    entity=self.entity_id,
                    domain=domain,
                )
            )
        api = self.env["ha.api"]
        try:
            if not self.env.su:
                api._check_ha_user()
            api.call_service(
                self.ha_instance_id.id, domain, service, {"entity_id": self.entity_id}
            )
        except HaApiError as err:
            raise UserError(err.message) from err
        return notification(done, kind="success")

    def action_toggle_automation(self):
        return self._ha_run_service(
            "automation", "toggle", _("%(name)s toggled.", name=self.display_name)
        )

    def action_trigger_automation(self):
        return self._ha_run_service(
            "automation",
            "trigger",
            _("%(name)s triggered.", name=self.display_name),
        )

    def action_run_script(self):
        return self._ha_run_service(
            "script", "turn_on", _("%(name)s started.", name=self.display_name)
        )

    def action_toggle_script(self):
        return self._ha_run_service(
            "script", "toggle", _("%(name)s toggled.", name=self.display_name)
        )

    def action_activate_scene(self):
        return self._ha_run_service(
            "scene", "turn_on", _("%(name)s activated.", name=self.display_name)
        )

    # -- view … ------------------------------------------------------------------

    def action_view_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "odoo_ha_addon.ha_entity_history_action"
        )
        action["domain"] = [("entity_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_tags(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "odoo_ha_addon.ha_entity_tag_action"
        )
        action["domain"] = [("id", "in", self.tag_ids.ids)]
        action["context"] = {"default_ha_instance_id": self.ha_instance_id.id}
        return action
