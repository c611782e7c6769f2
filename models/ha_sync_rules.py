"""Automation rules (``base.automation``) on the states the mirror writes.

The mirror writes HA's states with bulk SQL (see ``ha_sync.py``), so the
``write`` that ``base.automation`` patches never runs for them. This is the
explicit hook instead, built on ``base.automation``'s own methods
(``_filter_pre``, ``_filter_post_export_domain``, ``_process``, on the rules
``_get_actions`` would find), for the rules "on update" of ``ha.entity``:

* only the entities some active rule may fire on take the ORM path: each
  rule's filter domains, with their conditions on mirrored values taken as
  true, select them (:meth:`HaSync._ha_rule_domains`, cached until a rule
  changes; the selected set of each instance is reused for ``WATCH_TTL``
  seconds); with no rule, the bulk path does one dictionary lookup more, and
  a batch no rule watches a few more;
* for those, the "before" filter is evaluated ahead of the SQL write, the
  "after" filter and the actions after it, in the mirror's transaction, in
  HA's order: an entity with several changes in one batch gets one round per
  change;
* a state HA changed because Odoo asked (its context id is one of Odoo's
  calls) is an echo: no rule fires on it.

A failing rule is logged and rolled back to its savepoint: it never costs the
mirror its batch.
"""

import logging
import time

from odoo import api, models, tools
from odoo.exceptions import MissingError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.base_automation.models.base_automation import WRITE_TRIGGERS

from .bridge.odoo_contexts import odoo_contexts

_logger = logging.getLogger(__name__)

# The fields of ha.entity that the mirror's SQL writes.
MIRRORED_FIELDS = frozenset(
    {
        "name",
        "entity_state",
        "attributes",
        "last_changed",
        "last_updated",
        "ha_context_id",
        "state_value",
        "active",
    }
)
# Context keys of the mirror's own transaction that a rule must not inherit.
MIRROR_CONTEXT = frozenset(
    {"from_ha_sync", "tracking_disable", "mail_create_nolog", "mail_notrack"}
)
ALL = "all"  # a rule that may fire on any entity
# Seconds a watched set is reused: an entity that joins it (a new member of
# a watched group, say) is watched within this time.
WATCH_TTL = 5.0
_watched = {}  # (dbname, instance id) -> (rules, monotonic expiry, watched)


def relax(domain):
    """``domain`` with every condition on a mirrored field made true: what an
    entity satisfies, whatever HA reports, for ``domain`` to hold some day.

    Sound for ``&`` and ``|`` only: None when the domain negates (``!``).
    """
    relaxed = []
    for term in domain:
        if term == expression.NOT_OPERATOR:
            return None
        if isinstance(term, list | tuple) and len(term) == 3:
            field = str(term[0]).split(".", 1)[0]
            relaxed.append(
                expression.TRUE_LEAF if field in MIRRORED_FIELDS else tuple(term)
            )
        else:
            relaxed.append(term)
    return relaxed


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
            context = automation._get_eval_context()
            relaxed = []
            for text in (automation.filter_pre_domain, automation.filter_domain):
                domain = safe_eval(text, context) if text else []
                relaxed.append(relax(domain))
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
    def _ha_rule_targets(self, instance_id, states, key_field="entity_id", logged=True):
        """``{key: ha.entity id}`` of the entities in ``states`` (``{key:
        vals}``, keyed by entity_id or by id) that a rule watches and whose
        new state is no echo of Odoo's own call (see :meth:`_ha_echoes`)."""
        watched = self._ha_watched(instance_id) if states else {}
        if not watched:
            return {}
        if key_field == "id":
            ids = set(watched.values())
            keys = {pk: pk for pk in states if pk in ids}
        else:
            keys = {k: watched[k] for k in states if k in watched}
        echoes = self._ha_echoes(
            {states[key].get("ha_context_id") for key in keys} - {None}, logged
        )
        return {
            key: entity_id
            for key, entity_id in keys.items()
            if states[key].get("ha_context_id") not in echoes
        }

    @api.model
    def _ha_echoes(self, context_ids, logged=True):
        """The ids among ``context_ids`` of the services Odoo called.

        A live event comes on the connection its call went through, from
        the process that ran the call and remembers it (the mirror lets that
        call answer first): memory is enough. ``logged`` also looks in the
        control log, for a full sync (the call may be older than the
        connection, or another process's).
        """
        if not context_ids:
            return set()
        echoes = odoo_contexts.known(context_ids)
        rest = list(context_ids - echoes)
        if rest and logged:
            self.env.cr.execute(
                SQL(
                    "SELECT DISTINCT context_id FROM ha_control_log"
                    " WHERE context_id = ANY(%s)",
                    rest,
                )
            )
            echoes.update(row[0] for row in self.env.cr.fetchall())
        return echoes

    # -- live events: one round per change of a watched entity --------------------

    @api.model
    def _ha_state_rounds(self, instance_id, latest, all_states):
        """``[(states, watched)]`` to write in order: the batch's newest states
        in one round when no rule watches them, else the watched entities'
        changes one per round (HA's order), the others coalesced in the first.
        """
        watched = self._ha_rule_targets(instance_id, latest, logged=False)
        if not watched:
            return [(latest, {})]
        changes = {}
        for key, vals in all_states:
            if key in watched:
                changes.setdefault(key, {})[vals["last_updated"]] = vals
        ordered = {
            key: [v for _t, v in sorted(c.items())] for key, c in changes.items()
        }
        rounds = [dict(latest, **{key: seq[0] for key, seq in ordered.items()})]
        for depth in range(1, max(map(len, ordered.values()))):
            rounds.append({k: s[depth] for k, s in ordered.items() if len(s) > depth})
        echoes = self._ha_echoes(
            {v.get("ha_context_id") for seq in ordered.values() for v in seq} - {None},
            logged=False,
        )
        return [
            (
                states,
                {
                    key: watched[key]
                    for key in states
                    if key in watched and states[key].get("ha_context_id") not in echoes
                },
            )
            for states in rounds
        ]

    # -- the hook ------------------------------------------------------------------

    @api.model
    def _ha_with_rules(self, entity_ids, write):
        """Run ``write()`` (the SQL write; returns ``(result, written ha.entity
        ids)``) with the update rules of ``ha.entity`` around it, for
        ``entity_ids``, as ``base.automation`` runs them around ``write``."""
        if not entity_ids:
            return write()[0]
        context = {k: v for k, v in self.env.context.items() if k not in MIRROR_CONTEXT}
        records = self.env["ha.entity"].with_context(context).browse(sorted(entity_ids))
        # The rules _get_actions would find, less those the mirror's fields
        # never trigger (read with the watched entities, on every change).
        automations = (
            self.env["base.automation"]
            .with_context(context, __action_done={})
            .browse([rule_id for rule_id, _domain in self._ha_rule_domains()])
        )
        if not automations:
            return write()[0]
        records = records.with_env(automations.env).with_context(active_test=False)
        try:
            pre = {a: a._filter_pre(records) for a in automations}
        except MissingError:
            # The watched set may be a few seconds old: an entity deleted
            # since is left out (checked only then: one query less a batch).
            records = records.exists()
            pre = {a: a._filter_pre(records) for a in automations}
        fields = sorted(MIRRORED_FIELDS)
        old_values = {r.id: {name: r[name] for name in fields} for r in records}
        result, written = write()
        records.invalidate_recordset(sorted(MIRRORED_FIELDS))
        done = records.browse(sorted(set(written) & set(records.ids)))
        for automation in automations.with_context(old_values=old_values):
            try:
                found, domain_post = automation._filter_post_export_domain(
                    pre[automation] & done, feedback=True
                )
                if not found:
                    continue
                with self.env.cr.savepoint():
                    automation._process(found, domain_post=domain_post)
            except Exception:  # noqa: BLE001 - one bad rule must not stop the mirror
                _logger.exception(
                    "Automation rule %s failed on HA states %s",
                    automation.id,
                    done.ids,
                )
        return result

    # -- the mirror's two writers of states ------------------------------------------

    @api.model
    def _ha_upsert_with_rules(self, instance_id, latest, all_states):
        """``_ha_upsert_states`` with the rules: same answer, one round per
        change of a watched entity (see :meth:`_ha_state_rounds`)."""
        changes, recorded = {}, {}
        for states, watched in self._ha_state_rounds(instance_id, latest, all_states):

            def write(states=states):
                found = self._ha_upsert_states(instance_id, states)
                return found, [change["id"] for change in found[0]]

            round_changes, round_recorded = self._ha_with_rules(watched.values(), write)
            changes.update((change["id"], change) for change in round_changes)
            recorded.update(round_recorded)
        return list(changes.values()), recorded

    @api.model
    def _ha_update_with_rules(self, instance_id, spec, to_update, guard):
        """The full sync's ``_ha_update`` of states with the rules around it."""
        watched = self._ha_rule_targets(instance_id, dict(to_update), key_field="id")

        def write():
            ids = self._ha_update("ha_entity", spec, to_update, guard)
            return ids, ids

        return self._ha_with_rules(watched.values(), write)
