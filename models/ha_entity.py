from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaEntity(models.Model):
    """The Odoo mirror of one Home Assistant entity of one instance.

    Rows are written in bulk by ``ha.sync`` (full syncs and live events); an
    entity that disappears from Home Assistant is archived, never deleted, so its
    history and group memberships survive.
    """

    _name = "ha.entity"
    _description = "Home Assistant Entity"
    _order = "domain, name, id"
    _rec_names_search = ["name", "entity_id"]

    entity_id = fields.Char(
        string="Entity ID", required=True, readonly=True, index=True, copy=False
    )
    domain = fields.Char(required=True, readonly=True, index=True)
    name = fields.Char(readonly=True, help="friendly_name reported by Home Assistant")
    entity_state = fields.Char(string="State", readonly=True)
    attributes = fields.Json(readonly=True)
    last_changed = fields.Datetime(readonly=True, help="Home Assistant's time")
    last_updated = fields.Datetime(readonly=True, help="Home Assistant's time")
    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    area_id = fields.Many2one(
        "ha.area",
        string="Area",
        ondelete="set null",
        index=True,
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    device_id = fields.Many2one(
        "ha.device",
        string="Device",
        ondelete="set null",
        index=True,
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    follows_device_area = fields.Boolean(
        default=True, help="The entity has no own area and shows its device's area."
    )
    display_area_id = fields.Many2one(
        "ha.area",
        string="Effective Area",
        compute="_compute_display_area_id",
        store=True,
        index=True,
        ondelete="set null",
    )
    label_ids = fields.Many2many(
        "ha.label",
        "ha_entity_label_rel",
        "entity_id",
        "label_id",
        string="Labels",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    group_ids = fields.Many2many(
        "ha.entity.group",
        "ha_entity_group_entity_rel",
        "entity_id",
        "group_id",
        string="Groups",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    tag_ids = fields.Many2many(
        "ha.entity.tag",
        "ha_entity_tag_rel",
        "entity_id",
        "tag_id",
        string="Tags",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    history_ids = fields.One2many("ha.entity.history", "entity_id", string="History")
    enable_record = fields.Boolean(
        string="Record History", help="Keep the state history of this entity in Odoo."
    )
    note = fields.Text()
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "entity_instance_unique",
            "unique(ha_instance_id, entity_id)",
            "An entity exists only once per instance.",
        ),
    ]

    @api.depends("area_id", "device_id.area_id", "follows_device_area")
    def _compute_display_area_id(self):
        # Same rule as ha.sync._ha_recompute_display_area (SQL side).
        for entity in self:
            device_area = entity.device_id.area_id
            if entity.follows_device_area and device_area:
                entity.display_area_id = device_area
            else:
                entity.display_area_id = entity.area_id

    @api.depends("name", "entity_id")
    def _compute_display_name(self):
        for entity in self:
            entity.display_name = entity.name or entity.entity_id

    @api.constrains("ha_instance_id", "area_id", "device_id", "label_ids")
    def _check_instance_consistency(self):
        for entity in self:
            linked = entity.area_id.ha_instance_id | entity.device_id.ha_instance_id
            linked |= entity.label_ids.ha_instance_id
            if linked - entity.ha_instance_id:
                raise ValidationError(
                    _(
                        "Entity %(entity)s may only be linked to areas, devices and "
                        "labels of its own instance.",
                        entity=entity.entity_id,
                    )
                )

    @api.constrains("ha_instance_id", "group_ids", "tag_ids")
    def _check_group_instance(self):
        for entity in self:
            linked = entity.group_ids.ha_instance_id | entity.tag_ids.ha_instance_id
            if linked - entity.ha_instance_id:
                raise ValidationError(
                    _(
                        "Entity %(entity)s may only belong to groups and tags of its "
                        "own instance.",
                        entity=entity.entity_id,
                    )
                )
