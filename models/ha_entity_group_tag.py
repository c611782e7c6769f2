from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaEntityGroupTag(models.Model):
    """An Odoo-only tag for entity groups (not synced with Home Assistant)."""

    _name = "ha.entity.group.tag"
    _inherit = "ha.tag.mixin"
    _description = "Home Assistant Entity Group Tag"

    group_ids = fields.Many2many(
        "ha.entity.group",
        "ha_entity_group_tag_rel",
        "tag_id",
        "group_id",
        string="Groups",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    group_count = fields.Integer(compute="_compute_group_count")

    @api.depends("group_ids")
    def _compute_group_count(self):
        for tag in self:
            tag.group_count = len(tag.group_ids)

    @api.constrains("ha_instance_id", "group_ids")
    def _check_instance_consistency(self):
        tag = self._first_tag_off_instance("group_ids")
        if tag:
            raise ValidationError(
                _(
                    "Tag %(name)s may only be put on groups of its own instance.",
                    name=tag.name,
                )
            )
