"""``ha.availability.alert``: tell people when entities or a connection are down.

A rule watches the entities of a group, every entity of an instance, or the
instance's connection. Once something has been down for more than the rule's
delay, one episode (``ha.availability.episode``) is raised: a To-Do activity
for each chosen user (on the rule, the entity linked in it) and one message in
the chosen Discuss channel. When it is back, the episode closes: the
activities are marked done and a "back" message is posted.

Evaluated by a cron every minute, and from the mirror's state path for the
entities some rule watches (so "back" is told at once); instances no rule
watches cost the mirror one cached set lookup per batch.
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)

TARGETS = [
    ("group", "Entities of a group"),
    ("instance", "Every entity of the instance"),
    ("connection", "The instance's connection"),
]


class HaAvailabilityAlert(models.Model):
    """A rule: "down for more than N minutes" → activities and a message."""

    _name = "ha.availability.alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Home Assistant Availability Alert"
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    ha_instance_id = fields.Many2one(
        "ha.instance",
        string="Instance",
        required=True,
        ondelete="cascade",
        index=True,
        tracking=True,
    )
    target = fields.Selection(
        TARGETS, string="Watch", required=True, default="group", tracking=True
    )
    group_id = fields.Many2one(
        "ha.entity.group",
        string="Entity Group",
        ondelete="cascade",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
        tracking=True,
    )
    delay_minutes = fields.Integer(
        string="Down For More Than (min)",
        default=10,
        required=True,
        tracking=True,
        help="Minutes an entity stays unavailable (or the connection down) "
        "before the alert is raised.",
    )
    include_unknown = fields.Boolean(
        string="Unknown Counts As Unavailable",
        help="Also raise the alert for entities whose state is 'unknown'.",
    )
    notify_back = fields.Boolean(
        string="Tell When Back",
        default=True,
        help="Post a message in the channel when the entity or connection is "
        "back. The To-Do activities are marked done either way.",
    )
    user_ids = fields.Many2many(
        "res.users",
        "ha_availability_alert_user_rel",
        "alert_id",
        "user_id",
        string="To-Do For",
        domain=[("share", "=", False)],
        help="Each of these users gets a To-Do activity per episode.",
    )
    channel_id = fields.Many2one(
        "discuss.channel",
        string="Discuss Channel",
        ondelete="set null",
        help="Where the alert and its end are posted.",
    )
    episode_ids = fields.One2many(
        "ha.availability.episode", "alert_id", string="Episodes"
    )
    open_episode_count = fields.Integer(
        string="Down Now", compute="_compute_open_episode_count"
    )

    @api.depends("episode_ids.state")
    def _compute_open_episode_count(self):
        counts = dict(
            self.env["ha.availability.episode"]._read_group(
                [("alert_id", "in", self.ids), ("state", "=", "raised")],
                ["alert_id"],
                ["__count"],
            )
        )
        for alert in self:
            alert.open_episode_count = counts.get(alert, 0)

    @api.constrains("target", "group_id", "ha_instance_id", "delay_minutes")
    def _check_target(self):
        for alert in self:
            if alert.delay_minutes < 0:
                raise ValidationError(_("The delay of an alert cannot be negative."))
            if alert.target == "group" and not alert.group_id:
                raise ValidationError(
                    _("Alert %(name)s watches a group: choose one.", name=alert.name)
                )
            if alert.group_id and alert.group_id.ha_instance_id != alert.ha_instance_id:
                raise ValidationError(
                    _(
                        "Alert %(name)s may only watch a group of its own instance.",
                        name=alert.name,
                    )
                )

    # -- CRUD: the mirror's cached set of watched instances follows -------------

    @api.model_create_multi
    def create(self, vals_list):
        alerts = super().create(vals_list)
        self.env.registry.clear_cache()
        return alerts

    def write(self, vals):
        result = super().write(vals)
        if {"active", "target", "ha_instance_id"} & set(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    @tools.ormcache()
    def _ha_watched_instance_ids(self):
        """Ids of the instances whose entities some active rule watches."""
        self.flush_model(["active", "target", "ha_instance_id"])
        self.env.cr.execute(
            "SELECT DISTINCT ha_instance_id FROM ha_availability_alert"
            " WHERE active AND target != 'connection'"
        )
        return frozenset(row[0] for row in self.env.cr.fetchall())

    # -- evaluation --------------------------------------------------------------

    @api.model
    def _cron_evaluate(self):
        """Raise and close every active rule's episodes (every minute)."""
        self.search([])._ha_evaluate_each()

    def _ha_evaluate_each(self, entity_ids=None):
        """:meth:`_ha_evaluate` on each of these rules, each in a savepoint:
        one rule's failure (a concurrent raise, say) leaves the others, and
        the caller's transaction, be; the cron tries again within a minute."""
        for alert in self:
            try:
                with self.env.cr.savepoint():
                    alert._ha_evaluate(entity_ids)
            except Exception:  # pylint: disable=broad-except
                _logger.exception("HA availability alert %s failed", alert.id)

    @api.model
    def _ha_states_changed(self, instance_id, entity_ids):
        """The mirror wrote these entities' states: evaluate them now for the
        rules that watch them. A rule's failure never undoes the mirror's
        batch (savepoint); the cron tries again within a minute."""
        if not entity_ids or instance_id not in self._ha_watched_instance_ids():
            return
        self.sudo().search(
            [("ha_instance_id", "=", instance_id), ("target", "!=", "connection")]
        )._ha_evaluate_each(entity_ids)

    @api.model
    def _ha_connection_changed(self, instance):
        """The instance's connection status changed: its connection rules
        tell "back" now rather than at the next cron run (rare: a status
        change, not a state)."""
        self.sudo().search(
            [("ha_instance_id", "=", instance.id), ("target", "=", "connection")]
        )._ha_evaluate_each()

    def _ha_down_states(self):
        self.ensure_one()
        return ("unavailable", "unknown") if self.include_unknown else ("unavailable",)

    def _ha_entity_domain(self):
        self.ensure_one()
        if self.target == "group":
            return [("group_ids", "in", self.group_id.ids)]
        return [("ha_instance_id", "=", self.ha_instance_id.id)]

    def _ha_evaluate(self, entity_ids=None):
        """Raise the episodes now due, close the ones that are over.

        ``entity_ids``: only these entities (the mirror's call); None: all
        the rule watches.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        if self.target == "connection":
            self._ha_evaluate_connection(now)
            return
        Entity = self.env["ha.entity"].sudo()
        domain = self._ha_entity_domain()
        if entity_ids is not None:
            domain += [("id", "in", list(entity_ids))]
        states = self._ha_down_states()
        threshold = now - timedelta(minutes=self.delay_minutes)
        down = Entity.search(
            domain + [("entity_state", "in", states), ("last_changed", "<=", threshold)]
        )
        # Open episodes only: closed ones pile up over the years.
        episode_domain = [("alert_id", "=", self.id), ("state", "=", "raised")]
        if entity_ids is not None:
            episode_domain += [("entity_id", "in", list(entity_ids))]
        episodes = self.env["ha.availability.episode"].search(episode_domain)
        for entity in down - episodes.entity_id:
            self._ha_raise(entity, entity.last_changed, now)
        # Still watched: in the group (or instance), and not archived.
        watched = Entity.search(domain + [("id", "in", episodes.entity_id.ids)])
        for episode in episodes:
            entity = episode.entity_id
            if entity in watched and entity.entity_state in states:
                continue
            # Back, or no longer watched (left the group, removed from HA):
            # the latter ends quietly.
            episode._ha_close(now, tell=entity in watched)

    def _ha_evaluate_connection(self, now):
        instance = self.ha_instance_id
        # Not cached from an earlier look: it reads the connection locks now.
        instance.invalidate_recordset(["websocket_status"])
        episode = self.env["ha.availability.episode"].search(
            [("alert_id", "=", self.id), ("state", "in", ("pending", "raised"))]
        )
        down = instance.active and instance.websocket_status != "connected"
        if not down:
            if episode:
                episode._ha_close(now, tell=episode.state == "raised")
            return
        if not episode:
            # The status's own time when it says down; when the process that
            # said "connected" is gone, from now on.
            since = now
            if instance.ws_state != "connected" and instance.ws_since:
                since = min(instance.ws_since, now)
            episode = self.env["ha.availability.episode"].create(
                {"alert_id": self.id, "down_since": since, "state": "pending"}
            )
        if episode.state == "pending" and episode.down_since <= now - timedelta(
            minutes=self.delay_minutes
        ):
            episode._ha_raise_pending(now)

    def _ha_raise(self, entity, since, now):
        """A new episode for ``entity``, raised at once."""
        episode = self.env["ha.availability.episode"].create(
            {
                "alert_id": self.id,
                "entity_id": entity.id,
                "down_since": since or now,
                "state": "pending",
            }
        )
        episode._ha_raise_pending(now)
        return episode

    def _ha_announce(self, body, summary=None, note=None):
        """Post ``body`` in the channel; with ``summary``, a To-Do for each
        chosen user (returned)."""
        self.ensure_one()
        if self.channel_id:
            self.channel_id.sudo().message_post(
                body=body, message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        activities = self.env["mail.activity"]
        if summary:
            for user in self.user_ids:
                activities |= self.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=summary,
                    note=note,
                    user_id=user.id,
                )
        return activities

    # -- actions ---------------------------------------------------------------

    def action_view_episodes(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Episodes of %(name)s", name=self.name),
            "res_model": "ha.availability.episode",
            "view_mode": "list,form",
            "domain": [("alert_id", "=", self.id)],
            "context": {"default_alert_id": self.id},
        }
