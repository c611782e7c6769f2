from odoo import fields, models


class HaTagMixin(models.AbstractModel):
    """What the Odoo-only tags (not synced with Home Assistant) have in common."""

    _name = "ha.tag.mixin"
    _inherit = ["ha.current.instance.mixin"]
    _description = "Home Assistant Tag Mixin"
    _order = "sequence, name, id"

    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    name = fields.Char(required=True)
    color = fields.Integer()
    description = fields.Text()
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "name_instance_unique",
            "unique(ha_instance_id, name)",
            "Tag names are unique per instance.",
        ),
    ]

    def _first_tag_off_instance(self, field_name):
        """The first tag of self whose ``field_name`` records belong to another
        instance, or None."""
        for tag in self:
            if tag[field_name].ha_instance_id - tag.ha_instance_id:
                return tag
        return None
