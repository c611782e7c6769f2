from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaEntityGroup(models.Model):
    """A set of entities of one instance and the users authorized to see them.

    Membership (``user_ids``) is what gives an HA User access to entities,
    history, devices, areas, labels and the instance itself (see
    ``security/ha_rules.xml``). Only HA Managers edit groups.
    """

    _name = "ha.entity.group"
    _inherit = ["ha.current.instance.mixin", "mail.thread", "mail.activity.mixin"]
    _description = "Home Assistant Entity Group"
    _order = "sequence, name, id"

    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    description = fields.Text()
    note = fields.Text()
    properties = fields.Properties(
        definition="ha_instance_id.group_properties_definition"
    )
    active = fields.Boolean(default=True)
    entity_ids = fields.Many2many(
        "ha.entity",
        "ha_entity_group_entity_rel",
        "group_id",
        "entity_id",
        string="Entities",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
        tracking=True,
    )
    user_ids = fields.Many2many(
        "res.users",
        "ha_entity_group_user_rel",
        "group_id",
        "user_id",
        string="Authorized Users",
        domain=[("share", "=", False)],
        tracking=True,
    )
    tag_ids = fields.Many2many(
        "ha.entity.group.tag",
        "ha_entity_group_tag_rel",
        "group_id",
        "tag_id",
        string="Tags",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
        tracking=True,
    )
    entity_count = fields.Integer(compute="_compute_entity_count")
    tag_count = fields.Integer(compute="_compute_tag_count")
    share_ids = fields.One2many(
        "ha.entity.share",
        "group_id",
        string="Shares",
        groups="odoo_ha_addon.group_ha_manager",
    )

    _sql_constraints = [
        (
            "name_instance_unique",
            "unique(ha_instance_id, name)",
            "Group names are unique per instance.",
        ),
    ]

    @api.depends("entity_ids")
    def _compute_entity_count(self):
        for group in self:
            group.entity_count = len(group.entity_ids)

    @api.depends("tag_ids")
    def _compute_tag_count(self):
        for group in self:
            group.tag_count = len(group.tag_ids)

    @api.constrains("ha_instance_id", "entity_ids", "tag_ids")
    def _check_instance_consistency(self):
        for group in self:
            linked = group.entity_ids.ha_instance_id | group.tag_ids.ha_instance_id
            if linked - group.ha_instance_id:
                raise ValidationError(
                    _(
                        "Group %(name)s may only hold entities and tags of its own "
                        "instance.",
                        name=group.name,
                    )
                )

    # -- membership: the members' bus channels follow ---------------------------

    # Fields whose change may change which HA bus channels a member has.
    CHANNEL_FIELDS = frozenset({"user_ids", "active", "ha_instance_id"})

    def _ha_member_ids(self):
        """The ids of this group's members, now."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT DISTINCT user_id FROM ha_entity_group_user_rel"
            " WHERE group_id = ANY(%s)",
            [self.ids],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _ha_members_channels(self):
        """``{user id: HA channel keys}`` of this group's members, now."""
        return self.env["ha.realtime.update"]._ha_channel_keys(self._ha_member_ids())

    @api.model_create_multi
    def create(self, vals_list):
        groups = super().create(vals_list)
        # None: whatever they have now is new (a redundant refresh is harmless)
        self.env["ha.realtime.update"]._ha_channels_changed(
            dict.fromkeys(groups._ha_member_ids())
        )
        return groups

    def write(self, vals):
        if not self.CHANNEL_FIELDS & set(vals):
            return super().write(vals)
        before = self._ha_members_channels()
        result = super().write(vals)
        for uid in self._ha_member_ids():
            before.setdefault(uid, None)  # a new member: tell them anyway
        self.env["ha.realtime.update"]._ha_channels_changed(before)
        return result

    def unlink(self):
        before = self._ha_members_channels()
        result = super().unlink()
        self.env["ha.realtime.update"]._ha_channels_changed(before)
        return result
