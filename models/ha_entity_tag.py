from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaEntityTag(models.Model):
    """An Odoo-only tag for entities (not synced with Home Assistant)."""

    _name = "ha.entity.tag"
    _inherit = "ha.tag.mixin"
    _description = "Home Assistant Entity Tag"

    entity_ids = fields.Many2many(
        "ha.entity",
        "ha_entity_tag_rel",
        "tag_id",
        "entity_id",
        string="Entities",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    entity_count = fields.Integer(compute="_compute_entity_count")

    @api.depends("entity_ids")
    def _compute_entity_count(self):
        for tag in self:
            tag.entity_count = len(tag.entity_ids)

    @api.constrains("ha_instance_id", "entity_ids")
    def _check_instance_consistency(self):
        tag = self._first_tag_off_instance("entity_ids")
        if tag:
            raise ValidationError(
                _(
                    "Tag %(name)s may only be put on entities of its own instance.",
                    name=tag.name,
                )
            )
