from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaEntityTag(models.Model):
    """An Odoo-only tag for entities (not synced with Home Assistant)."""

    _name = "ha.entity.tag"
    _description = "Home Assistant Entity Tag"
    _order = "sequence, name, id"

    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    name = fields.Char(required=True)
    color = fields.Integer()
    description = fields.Text()
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    entity_ids = fields.Many2many(
        "ha.entity",
        "ha_entity_tag_rel",
        "tag_id",
        "entity_id",
        string="Entities",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    entity_count = fields.Integer(compute="_compute_entity_count")

    _sql_constraints = [
        (
            "name_instance_unique",
            "unique(ha_instance_id, name)",
            "Tag names are unique per instance.",
        ),
    ]

    @api.depends("entity_ids")
    def _compute_entity_count(self):
        for tag in self:
            tag.entity_count = len(tag.entity_ids)

    @api.constrains("ha_instance_id", "entity_ids")
    def _check_instance_consistency(self):
        for tag in self:
            if tag.entity_ids.ha_instance_id - tag.ha_instance_id:
                raise ValidationError(
                    _(
                        "Tag %(name)s may only be put on entities of its own instance.",
                        name=tag.name,
                    )
                )
