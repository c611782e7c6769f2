from odoo import _, api, fields, models
from odoo.exceptions import UserError

# Odoo field -> HA label registry key (``color`` is Odoo's own colour index).
PUSHED_FIELDS = {
    "name": "name",
    "icon": "icon",
    "ha_color": "color",
    "description": "description",
}


class HaLabel(models.Model):
    """A Home Assistant label (``config/label_registry``), mirrored per instance.

    Written in bulk by ``ha.sync``. An edit made in Odoo (create, write,
    unlink) is pushed to Home Assistant's label registry before the transaction
    commits; if Home Assistant refuses it, the Odoo change is rolled back.
    """

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

    entity_count = fields.Integer(compute="_compute_counts")
    device_count = fields.Integer(compute="_compute_counts")
    area_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        (
            "label_instance_unique",
            "unique(ha_instance_id, label_id)",
            "A Home Assistant label exists only once per instance.",
        ),
    ]

    @api.depends("entity_ids", "device_ids", "area_ids")
    def _compute_counts(self):
        for label in self:
            label.entity_count = len(label.entity_ids)
            label.device_count = len(label.device_ids)
            label.area_count = len(label.area_ids)

    # -- CRUD: Odoo edits pushed to Home Assistant -----------------------------

    @api.model_create_multi
    def create(self, vals_list):
        labels = super().create(vals_list)
        remote = self.env["ha.remote.call"]
        if remote._ha_push_enabled():
            # A label created with its HA id already exists in HA.
            for label in labels.filtered(lambda lb: not lb.label_id):
                label._ha_create_in_ha()
        return labels

    def write(self, vals):
        result = super().write(vals)
        remote = self.env["ha.remote.call"]
        changed = [f for f in PUSHED_FIELDS if f in vals]
        if remote._ha_push_enabled() and changed:
            for label in self:
                if not label.label_id:
                    label._ha_create_in_ha()
                    continue
                payload = {
                    "type": "config/label_registry/update",
                    "label_id": label.label_id,
                }
                payload.update({PUSHED_FIELDS[f]: label[f] or None for f in changed})
                remote._ha_call(label.ha_instance_id, payload)
        return result

    def unlink(self):
        remote = self.env["ha.remote.call"]
        pushed = []
        if remote._ha_push_enabled():
            pushed = [(lb.ha_instance_id, lb.label_id) for lb in self if lb.label_id]
        result = super().unlink()
        for instance, label_id in pushed:
            remote._ha_call(
                instance, {"type": "config/label_registry/delete", "label_id": label_id}
            )
        return result

    def _ha_create_in_ha(self):
        """``config/label_registry/create``, then store HA's ``label_id``."""
        self.ensure_one()
        payload = {"type": "config/label_registry/create", "name": self.name}
        for field, key in PUSHED_FIELDS.items():
            if field != "name" and self[field]:
                payload[key] = self[field]
        entry = self.env["ha.remote.call"]._ha_call(self.ha_instance_id, payload)
        if not isinstance(entry, dict) or not entry.get("label_id"):
            raise UserError(_("Home Assistant did not return the new label's id."))
        self.with_context(from_ha_sync=True).write({"label_id": entry["label_id"]})

    def _ha_label_ids(self):
        """HA ids of these labels (an id-less label cannot be sent to HA)."""
        missing = self.filtered(lambda lb: not lb.label_id)
        if missing:
            raise UserError(
                _(
                    "Label %(label)s is not known to Home Assistant.",
                    label=missing[0].name,
                )
            )
        return self.mapped("label_id")
