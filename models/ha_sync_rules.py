"""Automation rules (``base.automation``) on the states the mirror writes.

The mirror writes HA's states with bulk SQL (see ``ha_sync.py``), so the
``write`` that ``base.automation`` patches never runs for them. This is the
explicit hook instead, for the rules "on update" of ``ha.entity``
(``_get_actions`` would find): their filters applied as ``_filter_pre`` and
``_filter_post_export_domain`` apply them, their actions run by
``_process``:

* only the entities some active rule may fire on are looked at: each rule's
  filter domains, with their conditions on mirrored values taken as true,
  select them (:meth:`HaSync._ha_rule_domains`, cached until a rule changes;
  the selected set of each instance is reused for ``WATCH_TTL`` seconds);
  with no rule, the mirror does one dictionary lookup more a batch;
* the mirror's transaction only records each change of those entities (the
  values before and after it, in HA's order): the dispatcher's live batch
  takes the old values from the events' ``old_state`` while its connection
  is in step (every event applied since its full sync), any other reads
  them in the query it makes anyway (for the pending controls), the full
  sync has them from its diff. No query more, no rule run, on the mirror's
  path;
* the rules run later on the recorded changes, in the order they were
  committed. First on the changes' own values, before any record is read
  (:meth:`HaSync._ha_candidates`): a change whose values fail a rule's
  conditions on the state (``ha_rule_values.predicate``), or that Odoo
  asked for, is no candidate for it; most changes cross nothing. Then
  each candidate in turn, on the record with the change's values placed in
  the cache (:meth:`HaSync._ha_fire_candidate`): the "after" filter on the
  new values, the "before" filter on the old ones, the actions on the new
  ones. For the dispatcher, a thread of its own does the first step
  (``bridge/rules_runner.py``) and queues the candidates for the cron,
  which does the second (``ha_rule_firing.py``); for any other caller of
  the mirror (a test, a script), both run at once, in its transaction
  (:meth:`HaSync._ha_run_rules`);
* a state HA changed because Odoo asked (its context id is one of Odoo's
  calls, remembered or logged) is an echo: no rule fires on it.

A failing rule is logged and rolled back to its savepoint (one per action):
it never costs the mirror its batch, nor another action its run.
"""

import logging
import time
from contextlib import contextmanager

from odoo import api, models, tools
from odoo.osv import expression
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.base_automation.models.base_automation import WRITE_TRIGGERS

from .bridge.odoo_contexts import odoo_contexts
from .bridge.rules_runner import MIRROR_CONTEXT, PENDING_KEY, PRESCREENS_KEY
from .ha_rule_values import (
    MIRRORED_FIELDS,
    cached,
    candidates,
    known_vals,
    literal,
    relax,
    value_tests,
)
from .ha_sync_states import STATE_SPEC, _state_vals

_logger = logging.getLogger(__name__)

ALL = "all"  # a rule that may fire on any entity
# Seconds a watched set is reused: an entity that joins it (a new member of
# a watched group, say) is watched within this time.
WATCH_TTL = 5.0
_watched = {}  # (dbname, instance id) -> (rules, monotonic expiry, watched)


@contextmanager
def _guarded(automation, records):
    """Logs the failure of ``automation`` on ``records``: one bad rule must
    not stop the others, nor cost the mirror its batch."""
    try:
        yield
    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
        raise  # its transaction is run again (a screening, a cron run)
    except Exception:  # noqa: BLE001
        _logger.exception(
            "Automation rule %s failed on HA states %s", automation.id, records.ids
        )


class HaSync(models.AbstractModel):
    _inherit = "ha.sync"

    # -- which entities the rules watch ------------------------------------------

    @api.model
    @tools.ormcache()
    def _ha_rule_domains(self):
        """The active update rules of ``ha.entity`` that the mirror's writes
        may trigger, and the entities each may fire on: a tuple of ``(rule
        id, domain)`` (``ALL``: any entity); empty when no rule.

        Cached: ``base.automation`` clears it on every change of a rule.
        """
        automations = (
            self.env["base.automation"]
            .sudo()
            .with_context(active_test=True)
            .search(
                [("model_name", "=", "ha.entity"), ("trigger", "in", WRITE_TRIGGERS)]
            )
        )
        domains = []
        for automation in automations:
            fields = set(automation.trigger_field_ids.mapped("name"))
            if fields and not fields & MIRRORED_FIELDS:
                continue  # watches fields the mirror never writes
            relaxed = [relax(d or []) for d in self._ha_rule_filters(automation)]
            if any(domain is None for domain in relaxed):
                domains.append((automation.id, ALL))
                continue
            domain = expression.AND(relaxed)
            domains.append(
                (automation.id, ALL if domain == [expression.TRUE_LEAF] else domain)
            )
        return tuple(domains)

    @api.model
    def _ha_watched(self, instance_id):
        """``{entity_id: ha.entity id}`` of the instance's entities a rule may
        fire on; reused for ``WATCH_TTL`` seconds while the rules stay the
        same, so that a batch nobody watches costs no query."""
        rules = self._ha_rule_domains()
        if not rules:
            return {}
        key = (self.env.cr.dbname, instance_id)
        now = time.monotonic()
        cached = _watched.get(key)
        if cached and cached[0] == rules and cached[1] > now:
            return cached[2]
        domains = [domain for _id, domain in rules]
        entities = (
            self.env["ha.entity"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch(
                expression.AND(
                    [
                        [("ha_instance_id", "=", instance_id)],
                        [] if ALL in domains else expression.OR(domains),
                    ]
                ),
                ["entity_id"],
            )
        )
        watched = {entity.entity_id: entity.id for entity in entities}
        if len(_watched) > 1000:  # instances or databases gone
            _watched.clear()
        _watched[key] = (rules, now + WATCH_TTL, watched)
        return watched

    @api.model
    def _ha_echoes(self, context_ids):
        """The ids among ``context_ids`` of the services Odoo called: those
        this process remembers, and those in the control log (a full sync's
        call may be older than the connection, or another process's)."""
        if not context_ids:
            return set()
        echoes = odoo_contexts.known(context_ids)
        rest = list(context_ids - echoes)
        if rest:
            self.env.cr.execute(
                SQL(
                    "SELECT DISTINCT context_id FROM ha_control_log"
                    " WHERE context_id = ANY(%s)",
                    rest,
                )
            )
            echoes.update(row[0] for row in self.env.cr.fetchall())
        return echoes

    # -- recording, on the mirror's path ---------------------------------------------

    @api.model
    def _ha_record_changes(self, changes):
        """Owe the rules ``changes`` (``[(ha.entity id, old vals, new vals)]``):
        recorded for the dispatcher's pass after the commit, or run now."""
        if not changes:
            return
        if self.env.context.get("ha_rules_deferred"):
            data = self.env.cr.precommit.data
            data.setdefault(PENDING_KEY, []).extend(changes)
            data[PRESCREENS_KEY] = self._ha_rule_prescreens()
        else:
            self._ha_run_rules(changes)

    @api.model
    def _ha_pending_and_before(self, instance_id, latest, olds=None):
        """Before a live batch: the instance's pending controls (as
        ``ha.control.log._ha_pending`` reads them) and the stored values of
        the watched entities among ``latest`` (``{entity_id: (ha.entity id,
        vals)}``), read by one query: the rules cost the batch no round trip.

        ``olds``: ``{entity_id: HA's old_state}`` when they are the stored
        states (see ``_ha_apply_state_events``' ``in_step``): taken from
        there, not read. Reading rows the mirror rewrites several times a
        second is what watching cost the batch (their index entries lead
        to many dead versions).
        """
        log = self.env["ha.control.log"]
        watched = self._ha_watched(instance_id)
        keys = sorted(key for key in latest if key in watched)
        before = {}
        for key in keys if olds else ():
            if olds.get(key):
                before[key] = (watched[key], known_vals(_state_vals(olds[key])))
        keys = [key for key in keys if key not in before]
        if not keys:
            return log._ha_pending(instance_id), before
        log.flush_model()
        cr = self.env.cr
        # Pending rows (a control id first) then watched rows (none), in one
        # shape; the second part's NULLs take the first part's types.
        cr.execute(
            SQL(
                "SELECT p.*, %(nothing)s FROM (%(pending)s) p"
                " UNION ALL SELECT NULL, NULL, NULL, entity_id, NULL, NULL, NULL,"
                " id, %(columns)s FROM ha_entity"
                " WHERE ha_instance_id = %(instance)s AND entity_id = ANY(%(keys)s)",
                nothing=SQL(", ").join([SQL("NULL")] * (len(STATE_SPEC) + 1)),
                pending=log._ha_pending_query(instance_id),
                columns=SQL(", ").join(SQL.identifier(c) for c, _t in STATE_SPEC),
                instance=instance_id,
                keys=keys,
            )
        )
        rows = cr.fetchall()
        names = [c for c, _t in STATE_SPEC]
        before.update(
            (row[3], (row[7], dict(zip(names, row[8:], strict=True))))
            for row in rows
            if row[0] is None
        )
        return [row[:7] for row in rows if row[0] is not None], before

    @api.model
    def _ha_upsert_with_rules(self, instance_id, latest, all_states, before):
        """``_ha_upsert_states``, recording the changes of the watched entities
        (``before``: their stored values, see :meth:`_ha_pending_and_before`):
        every change newer than the stored state, in HA's order."""
        changes, recorded = self._ha_upsert_states(instance_id, latest)
        old_rows = {
            change["entity_id"]: before[change["entity_id"]]
            for change in changes
            if change["entity_id"] in before
        }
        if not old_rows:
            return changes, recorded
        by_key = {}
        for key, vals in all_states:
            if key in old_rows:
                by_key.setdefault(key, {})[vals["last_updated"]] = vals
        owed = []
        for key, (pk, old) in old_rows.items():
            stored = old["last_updated"]
            seq = [
                v for t, v in sorted(by_key[key].items()) if not stored or t > stored
            ]
            for vals in seq or [latest[key]]:
                new = known_vals(vals, old.get("name"))
                owed.append((pk, old, new))
                old = new
        self._ha_record_changes(owed)
        return changes, recorded

    @api.model
    def _ha_update_with_rules(self, instance_id, spec, to_update, guard, existing):
        """The full sync's ``_ha_update`` of states, recording the changes of
        watched entities (their old values as ``existing`` loaded them)."""
        ids = self._ha_update("ha_entity", spec, to_update, guard)
        watched = set(self._ha_watched(instance_id).values()) if ids else ()
        if watched:
            keys = {pk: key for key, pk in existing.id.items() if pk in watched}
            written = set(ids)
            self._ha_record_changes(
                [
                    (pk, {c: getattr(existing, c)[keys[pk]] for c, _t in spec}, vals)
                    for pk, vals in to_update
                    if pk in keys and pk in written
                ]
            )
        return ids

    # -- the rules pass ----------------------------------------------------------------

    @api.model
    def _ha_run_rules(self, changes):
        """Run the update rules of ``ha.entity`` on ``changes`` (``[(ha.entity
        id, old vals, new vals)]`` in the mirror's order) now, in this
        transaction, as ``base.automation`` runs them around ``write``: each
        change, in turn, filtered then acted on."""
        filters = {}
        found = self._ha_candidates(changes)
        prefetch = [candidate[1] for candidate in found]
        for candidate in found:
            self._ha_fire_candidate(*candidate, filters, prefetch)

    @api.model
    def _ha_value_tests(self):
        """The filters of the rules the mirror's writes may trigger (see
        :meth:`_ha_rule_domains`), evaluated now (see
        :meth:`_ha_rule_filters`), as tests of a change's own values (see
        ``ha_rule_values.value_tests``)."""
        automations = self.env["base.automation"]
        return [
            value_tests(
                rule_id, *self._ha_normalized_filters(automations.browse(rule_id))
            )
            for rule_id, _domain in self._ha_rule_domains()
        ]

    @api.model
    def _ha_normalized_filters(self, automation):
        return tuple(
            d and expression.normalize_domain(d)
            for d in self._ha_rule_filters(automation)
        )

    @api.model
    @tools.ormcache()
    def _ha_rule_prescreens(self):
        """:meth:`_ha_value_tests` when every filter is a literal (see
        ``ha_rule_values.literal``), None otherwise: the rules runner screens
        changes by them without a transaction, and needs one only for those
        that some rule may fire on. Cached as :meth:`_ha_rule_domains`."""
        automations = (
            self.env["base.automation"]
            .sudo()
            .browse([rule_id for rule_id, _domain in self._ha_rule_domains()])
        )
        if not all(
            literal(a.filter_pre_domain) and literal(a.filter_domain)
            for a in automations
        ):
            return None
        return tuple(self._ha_value_tests())

    @api.model
    def _ha_candidates(self, changes):
        """The firings ``changes`` may make: ``[(rule id, ha.entity id, old
        vals, new vals)]`` whose own values the rule's filters may hold (see
        ``ha_rule_values.candidates``), Odoo's echoes left out. Most changes
        cross nothing: they go before any record is read."""
        return self._ha_without_echoes(candidates(self._ha_value_tests(), changes))

    @api.model
    def _ha_without_echoes(self, found):
        """``found`` (see :meth:`_ha_candidates`) less the changes HA made
        because Odoo asked."""
        if not found:
            return found
        echoes = self._ha_echoes({new.get("ha_context_id") for *_c, new in found})
        return [c for c in found if c[3].get("ha_context_id") not in echoes]

    @api.model
    def _ha_fire_candidate(self, rule_id, entity_id, old, new, filters, prefetch=()):
        """Rule ``rule_id``'s filters on the change ``old`` → ``new`` of
        entity ``entity_id`` (a candidate, see :meth:`_ha_candidates`), then
        its actions if they hold (see :meth:`_ha_fire`). ``filters``: ``{rule
        id: (before, after)}``, filled here, kept by the caller for its next
        candidates; ``prefetch``: their entity ids, whose fields the filters
        read together (as they are at the first one's reading, in the same
        transaction). Nothing if the rule or the entity is gone meanwhile."""
        if not self._ha_both_there(rule_id, entity_id):
            return
        rule = self.env["base.automation"].browse(rule_id)
        record = self.env["ha.entity"].with_context(active_test=False)
        record = record.browse(entity_id).with_prefetch(prefetch or [entity_id])
        if rule_id not in filters:
            filters[rule_id] = self._ha_normalized_filters(rule)
        before, after = filters[rule_id]
        if self._ha_rule_holds(rule, record, old, new, before, after):
            self._ha_fire(rule_id, record, old, new, after)

    @api.model
    def _ha_both_there(self, rule_id, entity_id):
        """Whether rule ``rule_id`` is still active and entity ``entity_id``
        still there: one query (two ``exists()`` otherwise)."""
        self.env["base.automation"].flush_model(["active"])
        self.env.cr.execute(
            SQL(
                "SELECT EXISTS (SELECT FROM base_automation WHERE id = %s AND active)"
                " AND EXISTS (SELECT FROM ha_entity WHERE id = %s)",
                rule_id,
                entity_id,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _ha_rule_filters(self, automation):
        """``automation``'s "before" and "after" domains (None: none), as
        ``_filter_pre`` and ``_filter_post_export_domain`` evaluate them (once
        a pass or a cron run here, not once a change)."""
        rule = automation.sudo()
        context = automation._get_eval_context()
        return tuple(
            safe_eval(text, context) if text else None
            for text in (rule.filter_pre_domain, rule.filter_domain)
        )

    @api.model
    @tools.ormcache()
    def _ha_rules_placed(self):
        """The fields the rules place in the cache: the mirrored ones and
        those computed (not stored) from them; the other fields stay in the
        cache from one change to the next."""
        entities = self.env["ha.entity"]
        return tuple(sorted(MIRRORED_FIELDS)) + tuple(
            name
            for name, field in entities._fields.items()
            if field.compute
            and not field.store
            and MIRRORED_FIELDS.intersection(field.get_depends(entities)[0])
        )

    @api.model
    def _ha_place(self, records, values):
        """Put ``values`` (``{id: vals}``) of ``records`` in the cache, for
        the mirrored fields; what a change does not know (a name HA never
        gave) is read from the database."""
        records.invalidate_recordset(self._ha_rules_placed())
        cache = records.env.cache
        for name in sorted(MIRRORED_FIELDS):
            field = records._fields[name]
            known = [i for i in records._ids if name in values[i]]
            cache.update(
                records.browse(known),
                field,
                [cached(field, values[i][name], records) for i in known],
            )

    @api.model
    def _ha_rule_holds(self, rule, record, old, new, before, after):
        """Whether ``rule``'s filters (``before``, ``after``: normalized
        domains, or None) hold on the change ``old`` → ``new`` of ``record``,
        each on its values placed in the cache, as ``base.automation``
        filters a write: the "after" domain on the new values (as
        ``_filter_post_export_domain``, the flag telling a rule run while it
        computes a field), then the "before" domain on the old ones (as
        ``_filter_pre``; most changes cross nothing: their old values are not
        even placed). A filter that fails is logged: the rule does not fire."""
        held = False
        try:
            with _guarded(rule, record):
                self._ha_place(record, {record.id: new})
                found = record.with_context(__action_feedback=True).sudo()
                if after is None or found.filtered_domain(after):
                    self._ha_place(record, {record.id: old})
                    held = before is None or bool(record.sudo().filtered_domain(before))
        finally:
            # The record's next reads see what the database holds.
            record.invalidate_recordset(self._ha_rules_placed())
        return held

    @api.model
    def _ha_fire(self, rule_id, entity, old, new, domain_post):
        """Run the actions of rule ``rule_id`` on ``entity`` (an ``ha.entity``
        record), which its filters matched (``domain_post``: its "after"
        domain) on the change ``old`` → ``new``: on the new values, with the
        old ones as ``base.automation`` gives them (its trigger fields'
        check)."""
        context = {k: v for k, v in self.env.context.items() if k not in MIRROR_CONTEXT}
        env = self.with_context(context, __action_done={}).env
        rule = env["base.automation"].browse(rule_id)
        entity_id = entity.id
        record = entity.with_env(env).with_context(active_test=False)
        self._ha_place(record, {entity_id: new})
        old_values = {
            entity_id: {
                name: record._fields[name].convert_to_record(
                    cached(record._fields[name], value, record), record
                )
                for name, value in old.items()
                if name in MIRRORED_FIELDS
            }
        }
        try:
            # A failing action is rolled back alone: it costs no other.
            with _guarded(rule, record), self.env.cr.savepoint():
                rule.with_context(old_values=old_values)._process(
                    record, domain_post=domain_post
                )
        finally:
            record.invalidate_recordset(self._ha_rules_placed())
