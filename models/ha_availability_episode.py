"""``ha.availability.episode``: one stretch of time something was down.

Written only by its alert (``ha.availability.alert``): an entity's episode
is raised as soon as it is created (its start is the entity's
``last_changed``); a connection's waits as ``pending`` until it has been down
for the alert's delay. At most one open episode per alert and entity (a
partial unique index): the cron and the mirror may both evaluate an entity,
only one of them raises it.
"""

from markupsafe import Markup

from odoo import _, fields, models

EPISODE_STATES = [
    ("pending", "Down, not yet alerted"),
    ("raised", "Alerted"),
    ("closed", "Over"),
]


def _when(moment):
    return f"{fields.Datetime.to_string(moment)} UTC"


class HaAvailabilityEpisode(models.Model):
    """From the moment an entity (or connection) went down until it is back."""

    _name = "ha.availability.episode"
    _description = "Home Assistant Unavailability Episode"
    _order = "down_since desc, id desc"

    alert_id = fields.Many2one(
        "ha.availability.alert",
        string="Alert",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    ha_instance_id = fields.Many2one(
        related="alert_id.ha_instance_id", string="Instance", store=True
    )
    entity_id = fields.Many2one(
        "ha.entity",
        string="Entity",
        ondelete="cascade",
        index=True,
        readonly=True,
        help="Empty for the instance's connection.",
    )
    state = fields.Selection(EPISODE_STATES, required=True, readonly=True)
    down_since = fields.Datetime(required=True, readonly=True)
    raised_at = fields.Datetime(string="Alerted At", readonly=True)
    back_at = fields.Datetime(readonly=True)
    activity_ids = fields.Many2many(
        "mail.activity",
        "ha_availability_episode_activity_rel",
        "episode_id",
        "activity_id",
        string="To-Do Activities",
        readonly=True,
    )

    def init(self):
        # One open episode per alert and entity (NULL entity: the connection).
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS ha_availability_episode_open_uniq
                ON ha_availability_episode (alert_id, COALESCE(entity_id, 0))
             WHERE state != 'closed'
            """
        )

    def _compute_display_name(self):
        for episode in self:
            subject = episode.entity_id.display_name or _("Connection")
            episode.display_name = f"{episode.alert_id.name}: {subject}"

    def _ha_subject(self):
        """``(HTML link, plain name)`` of what is down."""
        self.ensure_one()
        subject = self.entity_id or self.alert_id.ha_instance_id
        return subject._get_html_link(), subject.display_name

    def _ha_raise_pending(self, now):
        """Tell the alert's users and channel, once: pending → raised."""
        self.ensure_one()
        alert = self.alert_id
        link, name = self._ha_subject()
        params = {
            "link": link,
            "minutes": alert.delay_minutes,
            "since": _when(self.down_since),
            "alert": alert.name,
        }
        if self.entity_id:
            body = Markup(
                _(
                    "%(link)s has been unavailable for more than %(minutes)s "
                    "min (since %(since)s, alert %(alert)s)."
                )
            )
            summary = _("%(name)s is unavailable", name=name)
        else:
            body = Markup(
                _(
                    "The connection to %(link)s has been down for more than "
                    "%(minutes)s min (since %(since)s, alert %(alert)s)."
                )
            )
            summary = _("Connection to %(name)s is down", name=name)
        body = body % params
        activities = alert._ha_announce(body, summary=summary, note=body)
        self.write(
            {"state": "raised", "raised_at": now, "activity_ids": activities.ids}
        )

    def _ha_close(self, now, tell=True):
        """The episode is over: its To-Dos are done; with ``tell`` (and the
        alert's "tell when back"), a message says so."""
        self.ensure_one()
        self.write({"state": "closed", "back_at": now})
        link, _name = self._ha_subject()
        if self.entity_id:
            body = Markup(_("%(link)s is available again (%(state)s) since %(at)s."))
            body %= {
                "link": link,
                "state": self.entity_id.entity_state,
                "at": _when(now),
            }
        else:
            body = Markup(_("The connection to %(link)s is back since %(at)s."))
            body %= {"link": link, "at": _when(now)}
        activities = self.activity_ids.sudo().exists()
        if activities:
            activities.action_feedback(feedback=body)
        if tell and self.alert_id.notify_back:
            self.alert_id._ha_announce(body)
