from odoo import fields, models

# Fields whose change may change a user's Home Assistant bus channels.
USER_CHANNEL_FIELDS = frozenset({"groups_id", "active"})


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

    def write(self, vals):
        if not USER_CHANNEL_FIELDS & set(vals):
            result = super().write(vals)
        else:
            notifier = self.env["ha.realtime.update"]
            self.env.flush_all()
            before = notifier._ha_channel_keys(self.ids)
            result = super().write(vals)
            notifier._ha_channels_changed(before)
        if "current_ha_instance_id" in vals:
            # The "current instance" flags computed before the switch are
            # stale now, in every model that has one.
            registry = self.env.registry
            for name in registry.descendants(["ha.current.instance.mixin"], "_inherit"):
                self.env[name].invalidate_model(
                    ["is_current_user_instance"], flush=False
                )
        return result


class ResGroups(models.Model):
    _inherit = "res.groups"

    def write(self, vals):
        if not {"users", "implied_ids"} & set(vals):
            return super().write(vals)
        notifier = self.env["ha.realtime.update"]
        self.env.flush_all()
        added = set()
        for command in vals.get("users") or ():
            if command[0] == 6:
                added.update(command[2])
            elif command[0] in (1, 2, 3, 4):
                added.add(command[1])
        before = notifier._ha_channel_keys(sorted(added | set(self._ha_user_ids())))
        result = super().write(vals)
        self.env.flush_all()
        for uid in self._ha_user_ids():
            before.setdefault(uid, None)  # missed above: tell them anyway
        notifier._ha_channels_changed(before)
        return result

    def _ha_user_ids(self):
        self.env.cr.execute(
            "SELECT DISTINCT uid FROM res_groups_users_rel WHERE gid = ANY(%s)",
            [self.ids],
        )
        return [row[0] for row in self.env.cr.fetchall()]
