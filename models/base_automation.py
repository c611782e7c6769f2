from odoo import api, models


class BaseAutomation(models.Model):
    """Rules on ``ha.entity``: the mirror's cache of watched entities follows
    every change of a rule; the actions of a rule know which rule runs them
    (``ha.entity.ha_call_service`` records it in the control log)."""

    _inherit = "base.automation"

    def _ha_rules_changed(self):
        if any(rule.model_name == "ha.entity" for rule in self.sudo()):
            # Clears ha.sync._ha_rule_domains here and, by Odoo's cache
            # signaling, in every process (the mirror's included).
            self.env.registry.clear_cache()

    @api.model_create_multi
    def create(self, vals_list):
        automations = super().create(vals_list)
        automations._ha_rules_changed()
        return automations

    def write(self, vals):
        self._ha_rules_changed()
        result = super().write(vals)
        self._ha_rules_changed()
        return result

    def unlink(self):
        self._ha_rules_changed()
        return super().unlink()

    def _process(self, records, domain_post=None):
        if self.model_name != "ha.entity":
            return super()._process(records, domain_post=domain_post)
        automation = self.with_context(ha_automation_id=self.id)
        records = records.with_context(ha_automation_id=self.id)
        return super(BaseAutomation, automation)._process(
            records, domain_post=domain_post
        )
