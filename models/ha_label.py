from odoo import fields, models


class HaLabel(models.Model):
    """A Home Assistant label (``config/label_registry``), mirrored per instance."""

    _name = "ha.label"
    _description = "Home Assistant Label"
    _order = "name, id"

    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    label_id = fields.Char(string="Label ID", readonly=True, index=True, copy=False)
    name = fields.Char(required=True)
    icon = fields.Char()
    ha_color = fields.Char(
        string="HA Colour", help="Colour name used by Home Assistant"
    )
    color = fields.Integer(string="Colour Index")
    description = fields.Text()
    entity_ids = fields.Many2many(
        "ha.entity",
        "ha_entity_label_rel",
        "label_id",
        "entity_id",
        string="Entities",
        readonly=True,
    )
    device_ids = fields.Many2many(
        "ha.device",
        "ha_device_label_rel",
        "label_id",
        "device_id",
        string="Devices",
        readonly=True,
    )
    area_ids = fields.Many2many(
        "ha.area",
        "ha_area_label_rel",
        "label_id",
        "area_id",
        string="Areas",
        readonly=True,
    )

    _sql_constraints = [
        (
            "label_instance_unique",
            "unique(ha_instance_id, label_id)",
            "A Home Assistant label exists only once per instance.",
        ),
    ]
