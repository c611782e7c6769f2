"""``ha.entity.share.wizard``: share entities, groups or devices with users.

Opened from the forms and lists of entities, entity groups and devices (their
``active_model`` / ``active_ids``): every chosen user, internal or portal, gets
one share per selected record; a user who already has one is updated (new
permission and expiry, reminder reset) instead of getting a duplicate.
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .ha_instance import notification

TARGET_FIELDS = {
    "ha.entity": ("entity_ids", "entity_id"),
    "ha.entity.group": ("group_ids", "group_id"),
    "ha.device": ("device_ids", "device_id"),
}


class HaEntityShareWizard(models.TransientModel):
    _name = "ha.entity.share.wizard"
    _description = "Share Home Assistant Entities"

    entity_ids = fields.Many2many("ha.entity", string="Entities")
    group_ids = fields.Many2many("ha.entity.group", string="Entity Groups")
    device_ids = fields.Many2many("ha.device", string="Devices")
    user_ids = fields.Many2many(
        "res.users",
        string="Users",
        help="Internal and portal users.",
    )
    permission = fields.Selection(
        [("view", "View"), ("control", "Control")], required=True, default="view"
    )
    expiry_date = fields.Datetime(help="Empty: the shares never expire.")
    target_name = fields.Char(compute="_compute_existing")
    existing_share_ids = fields.Many2many(
        "ha.entity.share", compute="_compute_existing", string="Existing Shares"
    )
    existing_share_count = fields.Integer(compute="_compute_existing")
    user_types_display = fields.Char(
        compute="_compute_user_types_display", string="Selected"
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        targets = TARGET_FIELDS.get(context.get("active_model"))
        ids = context.get("active_ids") or (
            [context["active_id"]] if context.get("active_id") else []
        )
        if targets and ids and targets[0] in fields_list:
            values[targets[0]] = [(6, 0, ids)]
        return values

    def _targets(self):
        """``(records, share field)`` of the kind being shared."""
        self.ensure_one()
        for _model, (many, one) in TARGET_FIELDS.items():
            if self[many]:
                return self[many], one
        return self.env["ha.entity"], "entity_id"

    @api.depends("entity_ids", "group_ids", "device_ids")
    def _compute_existing(self):
        Share = self.env["ha.entity.share"]
        for wizard in self:
            records, field = wizard._targets()
            wizard.target_name = ", ".join(records.mapped("display_name"))
            shares = Share.search([(field, "in", records.ids)]) if records else Share
            wizard.existing_share_ids = shares
            wizard.existing_share_count = len(shares)

    @api.depends("user_ids")
    def _compute_user_types_display(self):
        for wizard in self:
            portal = len(wizard.user_ids.filtered("share"))
            wizard.user_types_display = _(
                "%(internal)s internal, %(portal)s portal",
                internal=len(wizard.user_ids) - portal,
                portal=portal,
            )

    def action_share(self):
        self.ensure_one()
        records, field = self._targets()
        if not records:
            raise UserError(_("Choose what to share."))
        if not self.user_ids:
            raise UserError(_("Choose at least one user."))
        Share = self.env["ha.entity.share"]
        existing = {
            (share[field].id, share.user_id.id): share
            for share in Share.search(
                [(field, "in", records.ids), ("user_id", "in", self.user_ids.ids)]
            )
        }
        values = {
            "permission": self.permission,
            "expiry_date": self.expiry_date,
            "notification_sent": False,
        }
        updated = Share
        new = []
        for record in records:
            for user in self.user_ids:
                share = existing.get((record.id, user.id))
                if share:
                    updated |= share
                else:
                    new.append({**values, field: record.id, "user_id": user.id})
        updated.write(values)
        Share.create(new)
        return notification(
            _(
                "%(created)s shares created, %(updated)s updated.",
                created=len(new),
                updated=len(updated),
            ),
            kind="success",
            next={"type": "ir.actions.act_window_close"},
        )
