from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaDeviceTag(models.Model):
    """An Odoo-only tag for devices (not synced with Home Assistant)."""

    _name = "ha.device.tag"
    _inherit = ["ha.tag.mixin"]
    _description = "Home Assistant Device Tag"

    device_ids = fields.Many2many(
        "ha.device",
        "ha_device_tag_rel",
        "tag_id",
        "device_id",
        string="Devices",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    device_count = fields.Integer(compute="_compute_device_count")

    @api.depends("device_ids")
    def _compute_device_count(self):
        for tag in self:
            tag.device_count = len(tag.device_ids)

    @api.constrains("ha_instance_id", "device_ids")
    def _check_instance_consistency(self):
        tag = self._first_tag_off_instance("device_ids")
        if tag:
            raise ValidationError(
                _(
                    "Tag %(name)s may only be put on devices of its own instance.",
                    name=tag.name,
                )
            )
