from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaEntityGroupTag(models.Model):
    """An Odoo-only tag for entity groups (not synced with Home Assistant)."""

    _name = "ha.entity.group.tag"
    _description = "Home Assistant Entity Group Tag"
    _order = "sequence, name, id"

    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    name = fields.Char(required=True)
    color = fields.Integer()
    description = fields.Text()
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    group_ids = fields.Many2many(
        "ha.entity.group",
        "ha_entity_group_tag_rel",
        "tag_id",
        "group_id",
        string="Groups",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    group_count = fields.Integer(compute="_compute_group_count")

    _sql_constraints = [
        (
            "name_instance_unique",
            "unique(ha_instance_id, name)",
            "Tag names are unique per instance.",
        ),
    ]

    @api.depends("group_ids")
    def _compute_group_count(self):
        for tag in self:
            tag.group_count = len(tag.group_ids)

    @api.constrains("ha_instance_id", "group_ids")
    def _check_instance_consistency(self):
        for tag in self:
            if tag.group_ids.ha_instance_id - tag.ha_instance_id:
                raise ValidationError(
                    _(
                        "Tag %(name)s may only be put on groups of its own instance.",
                        name=tag.name,
                    )
                )
