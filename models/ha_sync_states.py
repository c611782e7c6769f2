"""States of ``ha.sync``: the full state sync and live state events.

Written with the engine of ``ha_sync.py`` (where the bypass of the ORM is
explained); the history rows of recorded entities are written by
``ha_sync_history.py``.
"""

import logging
import math

from odoo import api, models
from odoo.tools import SQL

from .ha_sync import TX_NOW, _text, _unnest, diff_rows, parse_ha_time

_logger = logging.getLogger(__name__)

STATE_SPEC = [
    ("name", "varchar"),
    ("entity_state", "varchar"),
    ("attributes", "jsonb"),
    ("last_changed", "timestamp"),
    ("last_updated", "timestamp"),
    ("ha_context_id", "varchar"),
    ("state_value", "float8"),
    ("active", "bool"),
]
STATE_INSERT_SPEC = [
    ("domain", "varchar"),
    ("follows_device_area", "bool"),
    *STATE_SPEC,
]
# Never let an older state overwrite a newer one (HA's last_updated decides).
NEWER_GUARD = SQL("t.last_updated IS NULL OR t.last_updated <= v.last_updated")


def _number(value):
    """A numeric state as a float (None otherwise): what rules compare."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _state_vals(state):
    """Column values of one HA state object (``get_states`` shape)."""
    attributes = state.get("attributes") or {}
    last_updated = parse_ha_time(state.get("last_updated"))
    last_changed = parse_ha_time(state.get("last_changed")) or last_updated
    context = state.get("context")
    if isinstance(context, dict):
        context = context.get("id")
    return {
        "name": _text(attributes.get("friendly_name")),
        "entity_state": _text(state.get("state")),
        "attributes": attributes,
        "last_changed": last_changed,
        "last_updated": last_updated or last_changed,
        "ha_context_id": context if isinstance(context, str) else None,
        "state_value": _number(state.get("state")),
        "active": True,
    }


def _change(entity_pk, entity_id, vals):
    """A bus-ready description of a new state (plain JSON values)."""
    return {
        "id": entity_pk,
        "entity_id": entity_id,
        "name": vals["name"],
        "state": vals["entity_state"],
        "attributes": vals["attributes"],
        "last_changed": vals["last_changed"] and vals["last_changed"].isoformat() + "Z",
        "last_updated": vals["last_updated"] and vals["last_updated"].isoformat() + "Z",
    }


class HaSync(models.AbstractModel):
    _inherit = "ha.sync"

    # -- full state sync -------------------------------------------------------

    @api.model
    def _ha_sync_states(
        self,
        instance,
        states,
        complete=True,
        ha_running=True,
        notify=True,
        entity_registry=None,
    ):
        """Mirror ``get_states`` (or REST ``/api/states``) for one instance.

        New entities are inserted, changed ones updated (never with an older
        ``last_updated``), unchanged ones skipped. Entities missing from the list
        are archived, never deleted, and only when the list is ``complete`` and
        HA reports RUNNING (``ha_running``). Recorded entities get a history row
        per new state. With ``entity_registry`` (the full sync's list, areas
        and devices already synced), new entities are created with their
        links, so that the entity registry sync has nothing left to write.
        """
        instance_id = self._ha_instance_id(instance)
        self.env.flush_all()
        pending = self.env["ha.control.log"]._ha_pending(instance_id)
        columns = [c for c, _t in STATE_SPEC]
        known = self._ha_load(
            "ha_entity", instance_id, "entity_id", ["last_updated", "active"]
        )
        rows, same = {}, set()
        for state in states or []:
            key = state.get("entity_id")
            if not key or "." not in key:
                continue
            stored_updated = known.last_updated.get(key)
            # HA moves last_updated on every change of state or attributes: an
            # active entity with the same last_updated is unchanged, and is
            # skipped without decoding anything (a re-sync is mostly these).
            if (
                known.active.get(key)
                and stored_updated is not None
                and parse_ha_time(state.get("last_updated")) == stored_updated
            ):
                same.add(key)
                rows.pop(key, None)
                continue
            same.discard(key)
            rows[key] = _state_vals(state)
        existing = self._ha_load(
            "ha_entity",
            instance_id,
            "entity_id",
            [*columns, "enable_record"],
            keys=[key for key in rows if key in known.id],
        )
        # A live event may already have brought a newer state: keep it.
        to_insert, to_update = diff_rows(existing, rows, columns, newer="last_updated")
        to_insert = [
            (key, dict(vals, domain=key.split(".", 1)[0], follows_device_area=True))
            for key, vals in to_insert
        ]
        insert_spec = STATE_INSERT_SPEC
        if to_insert and entity_registry:
            new_keys = {key for key, _vals in to_insert}
            links, _labels, _extra = self._ha_entity_links(
                instance_id,
                [e for e in entity_registry if e.get("entity_id") in new_keys],
                self._ha_ids("ha_area", instance_id, "area_id"),
                self._ha_ids("ha_device", instance_id, "device_id"),
            )
            for key, vals in to_insert:
                vals.update(links.get(key, {}))
            insert_spec = [
                *STATE_INSERT_SPEC,
                ("area_id", "int4"),
                ("device_id", "int4"),
                ("display_area_id", "int4"),
            ]
        created = self._ha_insert(
            "ha_entity", instance_id, "entity_id", insert_spec, to_insert
        )
        updated = set(
            self._ha_update_with_rules(
                instance_id, STATE_SPEC, to_update, NEWER_GUARD, existing
            )
        )
        archived = []
        if complete and ha_running:
            archived = self._ha_archive(
                "ha_entity",
                [
                    pk
                    for key, pk in known.id.items()
                    if known.active[key] and key not in rows and key not in same
                ],
            )
        recorded = [
            (key, vals)
            for key, vals in rows.items()
            if existing.enable_record.get(key) and existing.id[key] in updated
        ]
        # Every one of these is recorded (read above): no second look.
        history_count, history = self._ha_insert_history(
            instance_id, recorded, known={key: True for key, _vals in recorded}
        )
        self.env["ha.control.log"]._ha_confirm(instance_id, list(rows.items()), pending)
        self.env["ha.instance"].browse(instance_id).sudo().write(
            {"last_sync_date": self.env.cr.now()}
        )
        self._ha_invalidate()
        self.env["ha.availability.alert"]._ha_states_changed(
            instance_id, [*created.values(), *updated, *archived]
        )
        stats = {
            "created": len(created),
            "updated": len(updated),
            "unchanged": len(same) + len(rows) - len(created) - len(to_update),
            "archived": len(archived),
            "history": history_count,
        }
        if notify:
            notifier = self.env["ha.realtime.update"]
            notifier.notify_entity_update_all(instance_id, stats)
            if history:
                notifier.notify_history_update(instance_id, history, history_count)
        _logger.info("HA instance %s: state sync %s", instance_id, stats)
        return stats

    # -- live events -----------------------------------------------------------

    @api.model
    def _ha_apply_state_events(
        self, instance, events, ha_running=True, notify=True, in_step=False
    ):
        """Apply a batch of live state events in one statement.

        ``events`` are ``state_changed`` event data (``{entity_id, new_state,
        old_state}``) or plain state objects (``{entity_id, state, ...}``);
        ``new_state: None`` means the entity was removed (archived). Events are
        coalesced per entity (latest ``last_updated`` wins) and an event older
        than the stored state changes nothing. Recorded entities get one history
        row per event (HA's times, duplicates ignored). Returns ``{"changes":
        [...], "archived": [ids], "history": [entity ids], "history_count": n}``;
        with ``notify`` the
        permitted users get one bus message for the whole batch.

        ``in_step``: the caller has applied every event of its connection to
        HA, in order, since a full sync (the dispatcher, see
        ``InstanceState.in_step``), so an event's ``old_state`` is what the
        database holds: the rules take their old values from it.
        """
        instance_id = self._ha_instance_id(instance)
        latest, removed, all_states = {}, set(), []
        olds = {} if in_step else None  # entity_id -> its first event's old_state
        for event in events or []:
            if "new_state" in event or "old_state" in event:
                state = event.get("new_state")
                key = event.get("entity_id") or (state or {}).get("entity_id")
                if in_step and key:
                    olds.setdefault(key, event.get("old_state"))
            else:
                state, key = event, event.get("entity_id")
            if not key or "." not in key:
                continue
            if state is None:
                latest.pop(key, None)
                removed.add(key)
                if in_step:
                    olds[key] = None  # removed then back: as the database says
                continue
            vals = _state_vals(state)
            if not vals["last_updated"]:
                continue
            all_states.append((key, vals))
            removed.discard(key)
            current = latest.get(key)
            if current is None or current["last_updated"] <= vals["last_updated"]:
                latest[key] = vals
        self.env.flush_all()
        pending, before = self._ha_pending_and_before(instance_id, latest, olds)
        changes, recorded = (
            self._ha_upsert_with_rules(instance_id, latest, all_states, before)
            if latest
            else ([], {})
        )
        archived = []
        if removed and ha_running:
            gone = self._ha_ids("ha_entity", instance_id, "entity_id", sorted(removed))
            archived = self._ha_archive("ha_entity", list(gone.values()))
        history_count, history = self._ha_insert_history(
            instance_id, all_states, known=recorded
        )
        self.env["ha.control.log"]._ha_confirm(instance_id, all_states, pending)
        if changes or archived or history:
            self._ha_invalidate()
        # Cached check first: an instance no alert watches costs no query.
        self.env["ha.availability.alert"]._ha_states_changed(
            instance_id, [change["id"] for change in changes] + archived
        )
        if notify:
            notifier = self.env["ha.realtime.update"]
            bus_changes = changes + [{"id": i, "removed": True} for i in archived]
            notifier.notify_entity_state_change(instance_id, bus_changes)
            if history:
                notifier.notify_history_update(instance_id, history, history_count)
        return {
            "changes": changes,
            "archived": archived,
            "history": history,
            "history_count": history_count,
        }

    @api.model
    def _ha_upsert_states(self, instance_id, latest):
        """Upsert the newest states; returns ``(bus changes, {entity id:
        recorded})`` for the rows it wrote."""
        keys = sorted(latest)  # stable row-lock order between concurrent writers
        columns = [(keys, "varchar"), ([k.split(".", 1)[0] for k in keys], "varchar")]
        columns += [
            ([latest[k][c] for k in keys], t) for c, t in STATE_SPEC if c != "active"
        ]
        cr = self.env.cr
        upsert = SQL(
            """
            INSERT INTO ha_entity AS t (
                ha_instance_id, entity_id, domain, name, entity_state, attributes,
                last_changed, last_updated, ha_context_id, state_value, active,
                follows_device_area,
                create_uid, create_date, write_uid, write_date)
            SELECT %(instance)s, v.*, true, true, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM %(unnest)s AS v
             -- A deleted instance gets nothing (the dispatcher does not
             -- look it up before each live event).
             WHERE EXISTS (SELECT 1 FROM ha_instance WHERE id = %(instance)s)
            ON CONFLICT (ha_instance_id, entity_id) DO UPDATE
               SET name = COALESCE(EXCLUDED.name, t.name),
                   entity_state = EXCLUDED.entity_state,
                   attributes = EXCLUDED.attributes,
                   last_changed = EXCLUDED.last_changed,
                   last_updated = EXCLUDED.last_updated,
                   ha_context_id = EXCLUDED.ha_context_id,
                   state_value = EXCLUDED.state_value,
                   active = true,
                   write_uid = EXCLUDED.write_uid,
                   write_date = EXCLUDED.write_date
             WHERE t.last_updated IS NULL OR t.last_updated < EXCLUDED.last_updated
                   OR NOT t.active
         RETURNING t.id, t.entity_id, t.enable_record
            """,
            instance=instance_id,
            uid=self.env.uid,
            now=TX_NOW,
            unnest=_unnest(columns),
        )
        cr.execute(upsert)
        written = cr.fetchall()  # [(ha.entity id, entity_id, enable_record)]
        changes = [_change(row[0], row[1], latest[row[1]]) for row in written]
        return changes, {row[1]: row[2] for row in written}
