from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# Fields mirrored to HA's device registry (config/device_registry/update).
PUSHED_FIELDS = {"area_id", "name_by_user", "label_ids"}


class HaDevice(models.Model):
    """A Home Assistant device (``config/device_registry``), mirrored per instance.

    Written in bulk by ``ha.sync``; devices that disappear from Home Assistant
    are archived, never deleted. An Odoo edit of the area, custom name or
    labels is pushed to Home Assistant before the transaction commits; if Home
    Assistant refuses it, the Odoo change is rolled back.
    """

    _name = "ha.device"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Home Assistant Device"
    _order = "name, id"

    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    device_id = fields.Char(
        string="Device ID", required=True, readonly=True, index=True, copy=False
    )
    name = fields.Char(readonly=True)
    name_by_user = fields.Char(string="Custom Name")
    properties = fields.Properties(
        definition="ha_instance_id.device_properties_definition"
    )
    manufacturer = fields.Char(readonly=True)
    model = fields.Char(readonly=True)
    model_id = fields.Char(string="Model ID", readonly=True)
    sw_version = fields.Char(string="Software Version", readonly=True)
    hw_version = fields.Char(string="Hardware Version", readonly=True)
    serial_number = fields.Char(readonly=True)
    configuration_url = fields.Char(string="Configuration URL", readonly=True)
    disabled_by = fields.Char(readonly=True)
    entry_type = fields.Char(readonly=True)
    primary_config_entry = fields.Char(readonly=True)
    identifiers = fields.Json(readonly=True)
    connections = fields.Json(readonly=True)
    config_entries = fields.Json(readonly=True)
    area_id = fields.Many2one(
        "ha.area",
        string="Area",
        ondelete="set null",
        index=True,
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    via_device_id = fields.Many2one(
        "ha.device",
        string="Via Device",
        ondelete="set null",
        readonly=True,
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    label_ids = fields.Many2many(
        "ha.label",
        "ha_device_label_rel",
        "device_id",
        "label_id",
        string="Labels",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    tag_ids = fields.Many2many(
        "ha.device.tag",
        "ha_device_tag_rel",
        "device_id",
        "tag_id",
        string="Tags",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
        tracking=True,
    )
    entity_ids = fields.One2many("ha.entity", "device_id", string="Entities")
    share_ids = fields.One2many(
        "ha.entity.share",
        "device_id",
        string="Shares",
        groups="odoo_ha_addon.group_ha_manager",
    )
    entity_count = fields.Integer(compute="_compute_entity_count")
    tag_count = fields.Integer(compute="_compute_tag_count")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "device_instance_unique",
            "unique(ha_instance_id, device_id)",
            "A Home Assistant device exists only once per instance.",
        ),
    ]

    @api.depends("name", "name_by_user")
    def _compute_display_name(self):
        for device in self:
            device.display_name = device.name_by_user or device.name or device.device_id

    @api.depends("entity_ids")
    def _compute_entity_count(self):
        for device in self:
            device.entity_count = len(device.entity_ids)

    @api.depends("tag_ids")
    def _compute_tag_count(self):
        for device in self:
            device.tag_count = len(device.tag_ids)

    @api.constrains(
        "ha_instance_id", "area_id", "via_device_id", "label_ids", "tag_ids"
    )
    def _check_instance_consistency(self):
        for device in self:
            linked = device.area_id.ha_instance_id | device.via_device_id.ha_instance_id
            linked |= device.label_ids.ha_instance_id | device.tag_ids.ha_instance_id
            if linked - device.ha_instance_id:
                raise ValidationError(
                    _(
                        "Device %(name)s may only be linked to areas, devices, "
                        "labels and tags of its own instance.",
                        name=device.display_name,
                    )
                )

    # -- CRUD: Odoo edits pushed to Home Assistant -----------------------------

    def write(self, vals):
        result = super().write(vals)
        remote = self.env["ha.remote.call"]
        if remote._ha_push_enabled() and PUSHED_FIELDS & set(vals):
            for device in self:
                remote._ha_call(device.ha_instance_id, device._ha_registry_update(vals))
        return result

    def _ha_registry_update(self, vals):
        """The ``config/device_registry/update`` command for changed ``vals``."""
        self.ensure_one()
        payload = {"type": "config/device_registry/update", "device_id": self.device_id}
        if "area_id" in vals:
            if self.area_id and not self.area_id.area_id:
                raise UserError(
                    _(
                        "Area %(area)s is not known to Home Assistant.",
                        area=self.area_id.name,
                    )
                )
            payload["area_id"] = self.area_id.area_id or None
        if "name_by_user" in vals:
            payload["name_by_user"] = self.name_by_user or None
        if "label_ids" in vals:
            payload["labels"] = self.label_ids._ha_label_ids()
        return payload
