from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    current_ha_instance_id = fields.Many2one(
        "ha.instance",
        string="Current HA Instance",
        ondelete="set null",
        help="The Home Assistant instance this user last chose (user preference).",
    )
    ha_entity_group_ids = fields.Many2many(
        "ha.entity.group",
        "ha_entity_group_user_rel",
        "user_id",
        "group_id",
        string="HA Entity Groups",
        readonly=True,
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["current_ha_instance_id"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        # The preference only; access itself is always re-checked by the caller.
        return super().SELF_WRITEABLE_FIELDS + ["current_ha_instance_id"]
