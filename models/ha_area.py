from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaArea(models.Model):
    """A Home Assistant area (``config/area_registry``), mirrored per instance."""

    _name = "ha.area"
    _description = "Home Assistant Area"
    _order = "name, id"

    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    area_id = fields.Char(string="Area ID", readonly=True, index=True, copy=False)
    name = fields.Char(required=True)
    floor_id = fields.Char(string="Floor ID", readonly=True)
    floor_name = fields.Char(string="Floor", readonly=True)
    icon = fields.Char()
    picture = fields.Char()
    aliases = fields.Json()
    label_ids = fields.Many2many(
        "ha.label",
        "ha_area_label_rel",
        "area_id",
        "label_id",
        string="Labels",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    entity_ids = fields.One2many("ha.entity", "display_area_id", string="Entities")
    device_ids = fields.One2many("ha.device", "area_id", string="Devices")
    entity_count = fields.Integer(compute="_compute_entity_count")

    _sql_constraints = [
        (
            "area_instance_unique",
            "unique(ha_instance_id, area_id)",
            "A Home Assistant area exists only once per instance.",
        ),
    ]

    @api.depends("entity_ids")
    def _compute_entity_count(self):
        for area in self:
            area.entity_count = len(area.entity_ids)

    @api.constrains("ha_instance_id", "label_ids")
    def _check_instance_consistency(self):
        for area in self:
            if area.label_ids.ha_instance_id - area.ha_instance_id:
                raise ValidationError(
                    _(
                        "Area %(name)s may only carry labels of its own instance.",
                        name=area.name,
                    )
                )
