"""``ha.instance.clear.wizard``: delete what an instance holds, keep the instance.

Shows how many rows of each kind the instance holds, then deletes them (Home
Assistant itself is never told: its areas and labels stay). Used before
pointing an instance at another Home Assistant, or before deleting it.
"""

from odoo import _, api, fields, models

from ..models.ha_instance import notification
from ..models.ha_instance_tools import MIRRORED_DATA


class HaInstanceClearWizard(models.TransientModel):
    _name = "ha.instance.clear.wizard"
    _description = "Clear Home Assistant Instance Data"

    instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade"
    )
    instance_name = fields.Char(related="instance_id.name", string="Instance Name")
    entity_count = fields.Integer(string="Entities", compute="_compute_counts")
    history_count = fields.Integer(string="History Rows", compute="_compute_counts")
    area_count = fields.Integer(string="Areas", compute="_compute_counts")
    device_count = fields.Integer(string="Devices", compute="_compute_counts")
    label_count = fields.Integer(string="Labels", compute="_compute_counts")
    group_count = fields.Integer(string="Entity Groups", compute="_compute_counts")
    group_tag_count = fields.Integer(
        string="Entity Group Tags", compute="_compute_counts"
    )
    entity_tag_count = fields.Integer(string="Entity Tags", compute="_compute_counts")
    device_tag_count = fields.Integer(string="Device Tags", compute="_compute_counts")
    queue_count = fields.Integer(string="Queued Requests", compute="_compute_counts")
    total_count = fields.Integer(string="Total", compute="_compute_counts")

    @api.depends("instance_id")
    def _compute_counts(self):
        for wizard in self:
            counts = (
                wizard.instance_id._ha_mirrored_counts() if wizard.instance_id else {}
            )
            for key, _model in MIRRORED_DATA:
                wizard[f"{key}_count"] = counts.get(key, 0)
            wizard.total_count = sum(counts.values())

    def action_confirm_clear(self):
        self.ensure_one()
        instance = self.instance_id
        counts = instance._ha_clear_mirrored_data()
        return notification(
            _(
                "%(name)s: %(total)s rows deleted (%(entities)s entities, "
                "%(history)s history rows). Home Assistant was not changed.",
                name=instance.name,
                total=sum(counts.values()),
                entities=counts.get("entity", 0),
                history=counts.get("history", 0),
            ),
            kind="success",
            next={"type": "ir.actions.act_window_close"},
        )
