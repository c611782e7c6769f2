"""The firings of automation rules on HA states, waiting for Odoo's cron.

The mirror's rules runner, in the process that leads the instance, looks at
the changes by their own values only, and queues here those a rule may fire
on (``ha.sync._ha_candidates``). The cron (``_cron_fire``) applies the rest
of the rule's filters (on records: a group, an area) and runs its actions:
in a prefork deployment, in a process of its own, so that neither holds up
the mirror's next batch. A queued firing outlives a restart.
"""

import logging
import time
from datetime import datetime

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from .bridge.process_policy import in_prefork_worker
from .bridge.rules_runner import RULES_SHARE, Pacer
from .ha_sync import TX_NOW, _unnest

_logger = logging.getLogger(__name__)

# Seconds a cron run fires for; what is left triggers the next run. Short:
# Odoo's cron keeps the job's own transaction (its lock on the ir_cron row)
# open for the whole run, and meanwhile PostgreSQL may prune no row version
# written since, in any table of the database: the mirror's updates of
# ha_entity stop being made in place (HOT) and go through all its indexes.
# (A run also holds a cron worker, which has other jobs.)
FIRE_BUDGET = 0.25
# Seconds of firings a transaction holds at most (see _ha_commit_due).
BATCH_SECONDS = 0.05
# Firings a transaction takes at once (their filters read the records
# together).
TAKE = 25
# The tables whose rows the mirror updates.
MIRRORED_TABLES = ("ha_entity", "ha_control_log")
# The values of a change that are datetimes (JSON holds them as text).
TIMES = ("last_changed", "last_updated")


def dump(vals):
    # ISO text, not Odoo's datetime format: HA's times keep their microseconds.
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in vals.items()
    }


def load(vals):
    vals = dict(vals or {})
    for key in TIMES:
        if vals.get(key):
            vals[key] = datetime.fromisoformat(vals[key])
    return vals


class HaRuleFiring(models.Model):
    _name = "ha.rule.firing"
    _description = "Automation rule firing on a Home Assistant state"
    _order = "id"

    automation_id = fields.Many2one(
        "base.automation", string="Rule", required=True, ondelete="cascade"
    )
    entity_id = fields.Many2one(
        "ha.entity", string="Entity", required=True, ondelete="cascade"
    )
    old_values = fields.Json(string="Before")
    new_values = fields.Json(string="After")

    @api.model
    def _ha_queue(self, firings):
        """Queue ``firings`` (see ``ha.sync._ha_candidates``) for the cron, which
        is woken when this transaction commits.

        By one SQL insert, not the ORM's ``create``: the rules runner shares
        its interpreter with the mirror, and a hundred firings at once cost
        it 8 ms of CPU there (the cron reads no field this bypasses: no
        compute, no default, no tracking)."""
        if not firings:
            return
        columns = [
            ([firing[0] for firing in firings], "int4"),
            ([firing[1] for firing in firings], "int4"),
            ([dump(firing[2]) for firing in firings], "jsonb"),
            ([dump(firing[3]) for firing in firings], "jsonb"),
        ]
        self.env.cr.execute(
            SQL(
                "INSERT INTO ha_rule_firing (automation_id, entity_id, old_values,"
                " new_values, create_uid, write_uid, create_date, write_date)"
                " SELECT f.rule, f.entity, f.old, f.new, %(uid)s, %(uid)s,"
                " %(now)s, %(now)s FROM %(rows)s"
                " WITH ORDINALITY AS f(rule, entity, old, new, n) ORDER BY f.n",
                uid=self.env.uid,
                now=TX_NOW,
                rows=_unnest(columns),
            )
        )
        self.env.ref("odoo_ha_addon.ir_cron_ha_rule_firings").sudo()._trigger()

    @api.model
    def _cron_fire(self, auto_commit=True):
        """Run the queued firings in their order (each filtered first, see
        ``ha.sync._ha_fire_candidate``), in transactions of their own (see
        :meth:`_ha_commit_due`), for ``FIRE_BUDGET`` seconds at most. A
        threaded server runs its cron beside the mirror: paced there, as
        the rules runner is."""
        pacer = Pacer(RULES_SHARE) if auto_commit and not in_prefork_worker() else None
        deadline = time.monotonic() + FIRE_BUDGET
        sync = self.env["ha.sync"].sudo()
        filters = {}  # rule id -> its filters, evaluated once a run
        paced = False  # no pause before the first transaction
        while time.monotonic() < deadline:
            if auto_commit:
                # Paced between two transactions: never asleep on a lock.
                self._ha_next_transaction(paced and pacer)
            taken = self._ha_take()
            if not taken:
                if auto_commit:
                    self._ha_next_transaction()
                return
            paced = True
            started = time.monotonic()
            # The entities of the firings taken are read together.
            prefetch = [firing[2] for firing in taken]
            done = []
            try:
                for firing_id, rule_id, entity_id, old, new in taken:
                    sync._ha_fire_candidate(
                        rule_id, entity_id, load(old), load(new), filters, prefetch
                    )
                    done.append(firing_id)
                    if auto_commit and self._ha_commit_due(started):
                        break
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if not auto_commit:
                    raise
                self.env.cr.rollback()  # queued still: the next run tries again
                _logger.info(
                    "HA rule %s on entity %s met a concurrent update",
                    rule_id,
                    entity_id,
                )
                break
            # The firings not reached stay queued, unlocked at the commit.
            self._ha_forget(done)
        self.env.ref("odoo_ha_addon.ir_cron_ha_rule_firings").sudo()._trigger()

    @api.model
    def _ha_take(self):
        """The oldest ``TAKE`` firings no other run holds, locked for this
        transaction: ``[(id, rule id, entity id, old, new)]`` in their order.
        By SQL: one query for them all. (Deleting their rule or entity, which
        cascades to them, waits for this transaction: 50 ms at most.)"""
        self.env.cr.execute(
            SQL(
                "SELECT id, automation_id, entity_id, old_values, new_values"
                " FROM ha_rule_firing ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                TAKE,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _ha_forget(self, firing_ids):
        """Delete the firings run (in this transaction), by one SQL statement
        (the ORM's unlink would also empty the whole record cache)."""
        if firing_ids:
            self.env.cr.execute(
                SQL("DELETE FROM ha_rule_firing WHERE id = ANY(%s)", firing_ids)
            )
            self.invalidate_model()

    @api.model
    def _ha_commit_due(self, started):
        """Whether the open transaction ends now: it has fired for
        ``BATCH_SECONDS``, or written a row the mirror writes too (which
        stays locked, the mirror's next write on it waiting, until the
        commit). Several firings a transaction otherwise: a commit empties
        Odoo's record cache, that the next action would fill again."""
        return time.monotonic() - started >= BATCH_SECONDS or self._ha_mirror_writes()

    @api.model
    def _ha_mirror_writes(self):
        """The rows of the tables the mirror writes that this transaction
        updated or deleted (PostgreSQL counts them for it)."""
        self.env.flush_all()
        # The functions behind pg_stat_xact_user_tables, by table: the view
        # reads the catalog for every table first.
        self.env.cr.execute(
            SQL(
                "SELECT coalesce(sum(pg_stat_get_xact_tuples_updated(t)"
                " + pg_stat_get_xact_tuples_deleted(t)), 0)::int"
                " FROM unnest(%s::regclass[]) AS t",
                list(MIRRORED_TABLES),
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _ha_next_transaction(self, pause=None):
        # The cron's own cursor, between two transactions of firings: the
        # firings done stay done (and their locks go) whatever the next do.
        self.env.cr.commit()  # pylint: disable=invalid-commit
        if pause:
            pause()
        # A rule's write on a row the mirror rewrites meanwhile waits for it
        # rather than failing (REPEATABLE READ would).
        self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
