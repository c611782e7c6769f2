"""``ha.entity.share``: one entity, entity group or device shared with one user.

A share gives its user (internal or portal) ``view`` or ``control`` on its
target until its optional expiry date, on the portal pages only. An entity is
reached directly, through an active group listing it, or through its device;
when several shares reach it, the strongest non-expired one wins.
"""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

TARGETS = ("entity_id", "group_id", "device_id")
PERMISSION_RANK = {"view": 1, "control": 2}
EXPIRY_NOTICE_DAYS = 7
CLEANUP_AFTER_DAYS = 30
# Written without changing who reaches what (no cache or channel to renew).
QUIET_FIELDS = frozenset({"notification_sent"})


def strongest(*permissions):
    """The strongest of ``permissions`` (None when there is none)."""
    found = [p for p in permissions if p]
    return max(found, key=PERMISSION_RANK.get) if found else None


class HaEntityShare(models.Model):
    _name = "ha.entity.share"
    _description = "Home Assistant Share"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"

    entity_id = fields.Many2one("ha.entity", ondelete="cascade", index=True)
    group_id = fields.Many2one(
        "ha.entity.group", string="Entity Group", ondelete="cascade", index=True
    )
    device_id = fields.Many2one("ha.device", ondelete="cascade", index=True)
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True
    )
    permission = fields.Selection(
        [("view", "View"), ("control", "Control")], required=True, default="view"
    )
    expiry_date = fields.Datetime(help="Empty: the share never expires.")
    notification_sent = fields.Boolean(
        help="The creator was reminded of the coming expiry.", copy=False
    )
    ha_instance_id = fields.Many2one(
        "ha.instance",
        compute="_compute_ha_instance_id",
        store=True,
        ondelete="cascade",
        index=True,
    )
    is_expired = fields.Boolean(
        compute="_compute_is_expired", search="_search_is_expired"
    )

    _sql_constraints = [
        (
            "one_target",
            "CHECK ((entity_id IS NOT NULL)::int + (group_id IS NOT NULL)::int"
            " + (device_id IS NOT NULL)::int = 1)",
            "A share targets exactly one entity, entity group or device.",
        ),
        (
            "entity_user_unique",
            "UNIQUE (entity_id, user_id)",
            "This entity is already shared with this user.",
        ),
        (
            "group_user_unique",
            "UNIQUE (group_id, user_id)",
            "This entity group is already shared with this user.",
        ),
        (
            "device_user_unique",
            "UNIQUE (device_id, user_id)",
            "This device is already shared with this user.",
        ),
    ]

    @api.depends("entity_id", "group_id", "device_id")
    def _compute_ha_instance_id(self):
        for share in self:
            target = share._target()
            share.ha_instance_id = target.ha_instance_id if target else False

    @api.depends("expiry_date")
    def _compute_is_expired(self):
        now = fields.Datetime.now()
        for share in self:
            share.is_expired = bool(share.expiry_date and share.expiry_date <= now)

    def _search_is_expired(self, operator, value):
        if operator not in ("=", "!="):
            raise ValidationError(_("Unsupported search on Expired."))
        expired = (operator == "=") == bool(value)
        now = fields.Datetime.now()
        if expired:
            return [("expiry_date", "!=", False), ("expiry_date", "<=", now)]
        return ["|", ("expiry_date", "=", False), ("expiry_date", ">", now)]

    @api.depends(
        "entity_id", "group_id", "device_id", "user_id", "permission", "expiry_date"
    )
    def _compute_display_name(self):
        for share in self:
            target = share.sudo()._target()
            if share.entity_id:
                text = _(
                    'Entity "%(name)s" shared with %(user)s',
                    name=target.display_name,
                    user=share.sudo().user_id.name,
                )
            elif share.group_id:
                text = _(
                    'Entity group "%(name)s" shared with %(user)s',
                    name=target.display_name,
                    user=share.sudo().user_id.name,
                )
            elif share.device_id:
                text = _(
                    'Device "%(name)s" shared with %(user)s',
                    name=target.display_name,
                    user=share.sudo().user_id.name,
                )
            else:
                text = _("New share")
            share.display_name = text

    @api.constrains(*TARGETS)
    def _check_one_target(self):
        for share in self:
            if sum(bool(share[field]) for field in TARGETS) != 1:
                raise ValidationError(
                    _("A share targets exactly one entity, entity group or device.")
                )

    def _target(self):
        """The shared record (entity, group or device), or None."""
        self.ensure_one()
        return self.entity_id or self.group_id or self.device_id or None

    # -- create / write / unlink: the portal's bus authorizations follow ----------

    @api.model_create_multi
    def create(self, vals_list):
        before = self._channels_before({vals.get("user_id") for vals in vals_list})
        shares = super().create(vals_list)
        self.env["ha.portal"]._shares_changed(before)
        return shares

    def write(self, vals):
        if not set(vals) - QUIET_FIELDS:
            # The reminder cron's mark: no share map or channel changes.
            return super().write(vals)
        before = self._channels_before(set(self.user_id.ids) | {vals.get("user_id")})
        result = super().write(vals)
        self.env["ha.portal"]._shares_changed(before)
        return result

    def unlink(self):
        before = self._channels_before(set(self.user_id.ids))
        result = super().unlink()
        self.env["ha.portal"]._shares_changed(before)
        return result

    def _channels_before(self, user_ids):
        """The bus channels of ``user_ids`` ahead of a share change."""
        user_ids = [uid for uid in user_ids if isinstance(uid, int) and uid]
        self.env.flush_all()
        return self.env["ha.realtime.update"].sudo()._ha_channel_keys(user_ids)

    # -- actions --------------------------------------------------------------------

    def action_extend_expiry(self, days=30):
        """Push each expiry ``days`` further, from today when already past."""
        now = fields.Datetime.now()
        for share in self:
            start = max(share.expiry_date or now, now)
            share.write(
                {
                    "expiry_date": start + timedelta(days=days),
                    "notification_sent": False,
                }
            )
        return True

    def action_revoke(self):
        self.unlink()
        return True

    # -- what a user may reach --------------------------------------------------------

    @api.model
    def _user_shares(self, user=None, instance=None, include_expired=False):
        """The shares of ``user`` (default: the current user), sudo. Only
        managers (and the superuser) may ask about another user."""
        user = self._check_user(user)
        domain = [("user_id", "=", user.id)]
        if instance:
            domain.append(("ha_instance_id", "=", instance.id))
        if not include_expired:
            domain.append(("is_expired", "=", False))
        return self.sudo().search(domain)

    @api.model
    def _check_user(self, user):
        if isinstance(user, int) and not isinstance(user, bool):
            user = self.env["res.users"].browse(user)
        user = user or self.env.user
        if user != self.env.user and not self.env["ha.api"]._ha_is_manager():
            raise AccessError(_("You may only list your own shares."))
        return user

    @api.model
    def get_shares_for_user(self, user=None, instance=None):
        """The user's non-expired shares (sudo)."""
        return self._user_shares(user, instance)

    @api.model
    def _entity_permissions(self, user=None, instance=None, shares=None):
        """``{ha.entity id: 'view' | 'control'}``: every active entity the
        user reaches through a non-expired share (or through ``shares``, the
        user's already read), with its strongest right."""
        if shares is None:
            shares = self._user_shares(user, instance)
        result = {}

        def grant(entities, permission):
            for entity in entities:
                if entity.active:
                    result[entity.id] = strongest(result.get(entity.id), permission)

        for share in shares:
            if share.entity_id:
                grant(share.entity_id, share.permission)
            elif share.group_id:
                if share.group_id.active:
                    grant(share.group_id.entity_ids, share.permission)
            elif share.device_id.active:
                grant(share.device_id.entity_ids, share.permission)
        return result

    @api.model
    def get_shared_entities_for_user(self, user=None, instance=None):
        """``[(ha.entity (sudo), permission)]`` the user reaches, by name."""
        permissions = self._entity_permissions(user, instance)
        entities = self.env["ha.entity"].sudo().browse(list(permissions))
        return [
            (entity, permissions[entity.id])
            for entity in entities.sorted(lambda e: (e.name or e.entity_id).lower())
        ]

    @api.model
    def _target_permissions(self, field, user=None, instance=None, shares=None):
        permissions = {}
        if shares is None:
            shares = self._user_shares(user, instance)
        for share in shares:
            target = share[field]
            if target and target.active:
                permissions[target] = strongest(
                    permissions.get(target), share.permission
                )
        return sorted(permissions.items(), key=lambda item: item[0].display_name)

    @api.model
    def get_shared_groups_for_user(self, user=None, instance=None):
        """``[(ha.entity.group (sudo), permission)]`` shared with the user."""
        return self._target_permissions("group_id", user, instance)

    @api.model
    def get_shared_devices_for_user(self, user=None, instance=None):
        """``[(ha.device (sudo), permission)]`` shared with the user."""
        return self._target_permissions("device_id", user, instance)

    @api.model
    def _access(self, record, user=None):
        """The user's right on ``record`` (sudo entity, group or device):
        ``'view'``, ``'control'``, ``'expired'`` (only expired shares reach
        it) or None (nothing reaches it)."""
        user = self._check_user(user)
        Share = self.sudo()
        if record._name == "ha.entity":
            domain = [
                "|",
                "|",
                ("entity_id", "=", record.id),
                "&",
                ("group_id", "in", record.group_ids.filtered("active").ids),
                ("group_id", "!=", False),
                "&",
                ("device_id", "=", record.device_id.id),
                ("device_id", "!=", False),
            ]
        else:
            field = "group_id" if record._name == "ha.entity.group" else "device_id"
            domain = [(field, "=", record.id)]
        shares = Share.search([("user_id", "=", user.id), *domain])
        if not shares or not record.active:
            return None
        live = shares.filtered(lambda share: not share.is_expired)
        if not live:
            return "expired"
        return strongest(*live.mapped("permission"))

    # -- crons -----------------------------------------------------------------

    @api.model
    def _cron_check_expiring_shares(self):
        """A To-Do for each share's creator, once, a week before it expires."""
        now = fields.Datetime.now()
        shares = self.sudo().search(
            [
                ("notification_sent", "=", False),
                ("expiry_date", ">", now),
                ("expiry_date", "<=", now + timedelta(days=EXPIRY_NOTICE_DAYS)),
            ]
        )
        for share in shares:
            creator = share.create_uid
            if creator and creator.active and not creator.share:
                share._schedule_expiry_todo(creator)
        shares.write({"notification_sent": True})
        return len(shares)

    def _schedule_expiry_todo(self, creator):
        """The To-Do goes on the target when it takes activities, else on the
        share itself."""
        self.ensure_one()
        target = self._target()
        record = target if "activity_ids" in target._fields else self
        record.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.to_date(self.expiry_date),
            summary=_(
                "Share expires on %(date)s: %(share)s",
                date=fields.Date.to_string(self.expiry_date),
                share=self.display_name,
            )[:250],
            user_id=creator.id,
        )

    @api.model
    def _cron_cleanup_expired_shares(self):
        """Delete the shares expired for more than CLEANUP_AFTER_DAYS days."""
        limit = fields.Datetime.now() - timedelta(days=CLEANUP_AFTER_DAYS)
        shares = self.sudo().search(
            [("expiry_date", "!=", False), ("expiry_date", "<", limit)]
        )
        count = len(shares)
        shares.unlink()
        return count
