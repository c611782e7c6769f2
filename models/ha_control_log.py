"""``ha.control.log``: every control Odoo sent to Home Assistant, and HA's answer.

One row per entity a service call targets, written in the caller's
transaction right after Home Assistant accepted the call (one INSERT, the
service path stays as fast): who asked (a user, or an automation rule on
behalf of its user), from where, the service and its data, when, and the
context id HA gave the call. HA tags the state change the call causes with
that id; the mirror matches it when it writes the state (only the pending
rows of the instance are looked up) and the entity's chatter then tells the
whole story, HA's confirmation time included. A control that changed nothing
is "not confirmed" after ``CONFIRM_WITHIN`` seconds. Rows are kept as long
as the history (the same retention setting).
"""

import json
import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_datetime

from .bridge.odoo_contexts import result_context_id

_logger = logging.getLogger(__name__)

CONFIRM_WITHIN = 30  # seconds HA is given to confirm a control
ORIGINS = [
    ("backend", "Backend"),
    ("portal", "Portal"),
    ("rule", "Automation rule"),
    ("api", "API"),
]
ORIGIN_KEYS = frozenset(key for key, _label in ORIGINS)


class HaControlLog(models.Model):
    _name = "ha.control.log"
    _description = "Home Assistant Control Log"
    _order = "requested_at desc, id desc"

    service = fields.Char(required=True, help="domain.service called")
    entity_id = fields.Many2one(
        "ha.entity", string="Entity", required=True, ondelete="cascade", index=True
    )
    ha_instance_id = fields.Many2one(
        related="entity_id.ha_instance_id", store=True, index=True, string="Instance"
    )
    user_id = fields.Many2one("res.users", string="User", ondelete="set null")
    automation_id = fields.Many2one(
        "base.automation", string="Automation Rule", ondelete="set null"
    )
    origin = fields.Selection(ORIGINS, required=True, default="backend")
    service_data = fields.Json(string="Service Data")
    service_data_text = fields.Char(string="Data", compute="_compute_service_data_text")
    requested_at = fields.Datetime(string="Asked At", required=True)
    context_id = fields.Char(string="Context ID", index=True, readonly=True)
    state = fields.Selection(
        [
            ("pending", "Waiting for Home Assistant"),
            ("confirmed", "Confirmed"),
            ("unconfirmed", "Not confirmed"),
        ],
        required=True,
        default="pending",
    )
    confirmed_at = fields.Datetime(
        string="Confirmed At", help="Home Assistant's time of the resulting state"
    )
    confirmed_state = fields.Char(string="Resulting State")

    def init(self):
        # The mirror looks up the pending rows of an instance on every batch.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS ha_control_log_pending_idx
                ON ha_control_log (ha_instance_id) WHERE state = 'pending'
            """
        )

    @api.depends("service", "entity_id")
    def _compute_display_name(self):
        for log in self:
            log.display_name = f"{log.service}: {log.entity_id.display_name}"

    @api.depends("service_data")
    def _compute_service_data_text(self):
        for log in self:
            log.service_data_text = (
                json.dumps(log.service_data, sort_keys=True) if log.service_data else ""
            )

    # -- recording ----------------------------------------------------------------

    @api.model
    def _ha_record(self, entities, service, data, result, origin, requested_at):
        """Log a control HA accepted; ``result``: HA's answer (its context)."""
        automation_id = self.env.context.get("ha_automation_id")
        vals = {
            "user_id": self.env.uid,
            "automation_id": automation_id or False,
            "origin": "rule" if automation_id else origin,
            "service": service,
            "service_data": data or {},
            "requested_at": requested_at,
            "context_id": result_context_id(result) or False,
        }
        # sudo: nobody writes the log by hand; the caller's rights on the
        # entities were checked by the service path.
        return self.sudo().create(
            [dict(vals, entity_id=entity.id) for entity in entities]
        )

    # -- confirmation ---------------------------------------------------------------

    @api.model
    def _ha_pending(self, instance_id):
        """The instance's pending controls, each with its entity's state as
        it is now: read before the mirror writes a batch, so that a control
        whose change was written before the control was logged still finds
        that change after the batch moved the entity on."""
        self.flush_model()
        self.env.cr.execute(self._ha_pending_query(instance_id))
        return self.env.cr.fetchall()

    @api.model
    def _ha_pending_query(self, instance_id):
        """The query of :meth:`_ha_pending` (the mirror's live path reads it
        together with what its rules need)."""
        return SQL(
            """
            SELECT l.id, l.context_id, l.requested_at, e.entity_id,
                   e.ha_context_id, e.entity_state, e.last_updated
              FROM ha_control_log l
              JOIN ha_entity e ON e.id = l.entity_id
             WHERE l.state = 'pending' AND l.ha_instance_id = %s
            """,
            instance_id,
        )

    @api.model
    def _ha_confirm(self, instance_id, states=(), pending=None):
        """Settle the instance's pending controls after a mirror write.

        ``states``: ``[(entity_id, vals)]``, the states of the batch;
        ``pending``: :meth:`_ha_pending` read before the batch was written
        (read now when not given). A control also matches the state its
        entity held before the batch (its state may have been written before
        the control was logged). Controls older than ``CONFIRM_WITHIN``
        without a match are "not confirmed".
        """
        rows = self._ha_pending(instance_id) if pending is None else pending
        if not rows:
            return self.browse()
        seen = {}
        for key, vals in states:
            seen.setdefault(vals.get("ha_context_id"), []).append((key, vals))
        limit = self.env.cr.now() - timedelta(seconds=CONFIRM_WITHIN)
        confirmed, late = {}, []
        for log_id, context_id, asked, key, current, state, updated in rows:
            match = next(
                (vals for k, vals in seen.get(context_id, ()) if k == key),
                None,
            )
            if match is not None:
                confirmed[log_id] = (match["entity_state"], match["last_updated"])
            elif context_id and context_id == current:
                confirmed[log_id] = (state, updated)
            elif asked < limit:
                late.append(log_id)
        return self._ha_settle(confirmed, late)

    @api.model
    def _ha_settle(self, confirmed, late):
        """Write the outcome and tell each entity's chatter."""
        logs = self.sudo().browse([*confirmed, *late])
        for log in logs:
            if log.id in confirmed:
                state, moment = confirmed[log.id]
                log.write(
                    {
                        "state": "confirmed",
                        "confirmed_state": state,
                        "confirmed_at": moment,
                    }
                )
            else:
                log.state = "unconfirmed"
            log._ha_post()
        return logs

    def _ha_post(self):
        """The control's story on its entity's chatter, in its user's language."""
        self.ensure_one()
        log = self.with_context(lang=self.user_id.lang or self.env.lang)
        env = log.env
        who = log.user_id.name or env._("Unknown user")
        if log.automation_id:
            who = env._(
                "rule %(rule)s (as %(user)s)", rule=log.automation_id.name, user=who
            )
        origin = dict(log._fields["origin"]._description_selection(env))[log.origin]
        if log.service_data_text and log.service_data_text != "{}":
            asked = env._(
                "%(service)s %(data)s asked by %(who)s from %(origin)s at %(time)s.",
                service=log.service,
                data=log.service_data_text,
                who=who,
                origin=origin,
                time=log._ha_when(log.requested_at),
            )
        else:
            asked = env._(
                "%(service)s asked by %(who)s from %(origin)s at %(time)s.",
                service=log.service,
                who=who,
                origin=origin,
                time=log._ha_when(log.requested_at),
            )
        if log.state == "confirmed":
            outcome = env._(
                "Confirmed by Home Assistant at %(time)s: state %(state)s.",
                time=log._ha_when(log.confirmed_at),
                state=log.confirmed_state or "",
            )
        else:
            outcome = env._(
                "No confirmation from Home Assistant within %(seconds)s s.",
                seconds=CONFIRM_WITHIN,
            )
        log.entity_id.sudo().message_post(
            body=Markup("<p>%s</p><p>%s</p>") % (asked, outcome),
            author_id=log.user_id.partner_id.id or False,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )

    def _ha_when(self, moment):
        """``moment`` in the log's user's time zone and language, zone named
        (a chatter message is read by people in other zones too)."""
        tz = self.user_id.tz or "UTC"
        text = format_datetime(self.env, moment, tz=tz, dt_format="medium")
        return f"{text} ({tz})"

    # -- cron -------------------------------------------------------------------------

    @api.model
    def _cron_settle_and_purge(self):
        """Settle the controls no mirror write settled (an instance with no
        traffic); drop the rows older than the history retention."""
        self.flush_model()
        self.env.cr.execute(
            "SELECT DISTINCT ha_instance_id FROM ha_control_log WHERE state = 'pending'"
        )
        for (instance_id,) in self.env.cr.fetchall():
            self._ha_confirm(instance_id)
        days = self.env["ha.entity.history"]._get_retention_days()
        if days <= 0:
            return 0
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "DELETE FROM ha_control_log WHERE requested_at < %s",
                self.env.cr.now() - timedelta(days=days),
            )
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        return count
