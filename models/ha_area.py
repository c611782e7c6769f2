from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# Fields mirrored to HA's area registry (config/area_registry/*).
PUSHED_FIELDS = {"name", "icon", "picture", "aliases", "floor_id", "label_ids"}


class HaArea(models.Model):
    """A Home Assistant area (``config/area_registry``), mirrored per instance.

    Written in bulk by ``ha.sync``. An edit made in Odoo (create, write,
    unlink) is pushed to Home Assistant's area registry before the transaction
    commits; if Home Assistant refuses it, the Odoo change is rolled back.
    """

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

    # -- CRUD: Odoo edits pushed to Home Assistant -----------------------------

    @api.model_create_multi
    def create(self, vals_list):
        areas = super().create(vals_list)
        if self.env["ha.remote.call"]._ha_push_enabled():
            # An area created with its HA id already exists in HA.
            for area in areas.filtered(lambda a: not a.area_id):
                area._ha_create_in_ha()
        return areas

    def write(self, vals):
        result = super().write(vals)
        remote = self.env["ha.remote.call"]
        if remote._ha_push_enabled() and PUSHED_FIELDS & set(vals):
            for area in self:
                if not area.area_id:
                    area._ha_create_in_ha()
                    continue
                payload = {
                    "type": "config/area_registry/update",
                    "area_id": area.area_id,
                    **area._ha_registry_values(vals),
                }
                remote._ha_call(area.ha_instance_id, payload)
        return result

    def unlink(self):
        remote = self.env["ha.remote.call"]
        pushed = []
        if remote._ha_push_enabled():
            pushed = [(a.ha_instance_id, a.area_id) for a in self if a.area_id]
        result = super().unlink()
        for instance, area_id in pushed:
            remote._ha_call(
                instance, {"type": "config/area_registry/delete", "area_id": area_id}
            )
        return result

    def _ha_registry_values(self, fields_written):
        """HA registry values of the ``fields_written`` among the pushed ones."""
        self.ensure_one()
        values = {}
        for field in PUSHED_FIELDS & set(fields_written):
            if field == "label_ids":
                values["labels"] = self.label_ids._ha_label_ids()
            elif field == "aliases":
                values["aliases"] = list(self.aliases or [])
            elif field == "name":
                values["name"] = self.name
            else:
                values[field] = self[field] or None
        return values

    def _ha_create_in_ha(self):
        """``config/area_registry/create``, then store HA's ``area_id``."""
        self.ensure_one()
        values = self._ha_registry_values(PUSHED_FIELDS)
        payload = {"type": "config/area_registry/create", "name": self.name}
        payload.update({k: v for k, v in values.items() if v not in (None, [])})
        entry = self.env["ha.remote.call"]._ha_call(self.ha_instance_id, payload)
        if not isinstance(entry, dict) or not entry.get("area_id"):
            raise UserError(_("Home Assistant did not return the new area's id."))
        self.with_context(from_ha_sync=True).write({"area_id": entry["area_id"]})
