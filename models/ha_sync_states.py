"""States, live events, history backfill and registry events of ``ha.sync``."""

import logging

from odoo import api, models
from odoo.tools import SQL

from .ha_entity_history import to_num_state
from .ha_sync import _text, _unnest, parse_ha_time

_logger = logging.getLogger(__name__)

STATE_SPEC = [
    ("name", "varchar"),
    ("entity_state", "varchar"),
    ("attributes", "jsonb"),
    ("last_changed", "timestamp"),
    ("last_updated", "timestamp"),
    ("active", "bool"),
]
STATE_INSERT_SPEC = [
    ("domain", "varchar"),
    ("follows_device_area", "bool"),
    *STATE_SPEC,
]
# Never let an older state overwrite a newer one (HA's last_updated decides).
NEWER_GUARD = SQL("t.last_updated IS NULL OR t.last_updated <= v.last_updated")


def _state_vals(state):
    """Column values of one HA state object (``get_states`` shape)."""
    attributes = state.get("attributes") or {}
    last_updated = parse_ha_time(state.get("last_updated"))
    last_changed = parse_ha_time(state.get("last_changed")) or last_updated
    return {
        "name": _text(attributes.get("friendly_name")),
        "entity_state": _text(state.get("state")),
        "attributes": attributes,
        "last_changed": last_changed,
        "last_updated": last_updated or last_changed,
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

    # -- full state sync ----------------------------------------------------------

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
        columns = [c for c, _t in STATE_SPEC]
        known = self._ha_load(
            "ha_entity", instance_id, "entity_id", ["last_updated", "active"]
        )
        rows, same = {}, set()
        for state in states or []:
            key = state.get("entity_id")
            if not key or "." not in key:
                continue
            row = known.get(key)
            # HA moves last_updated on every change of state or attributes: an
            # active entity with the same last_updated is unchanged, and is
            # skipped without decoding anything (a re-sync is mostly these).
            if (
                row is not None
                and row[3]
                and row[2] is not None
                and parse_ha_time(state.get("last_updated")) == row[2]
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
            keys=[key for key in rows if key in known],
        )
        to_insert, to_update = [], []
        for key, vals in rows.items():
            row = existing.get(key)
            if row is None:
                to_insert.append(
                    (
                        key,
                        dict(
                            vals, domain=key.split(".", 1)[0], follows_device_area=True
                        ),
                    )
                )
                continue
            if all(row[i + 2] == vals[c] for i, c in enumerate(columns)):
                continue
            old_updated = row[2 + columns.index("last_updated")]
            if (
                old_updated
                and vals["last_updated"]
                and old_updated > vals["last_updated"]
            ):
                continue  # a live event already brought a newer state
            to_update.append((row[0], vals))
        insert_spec = STATE_INSERT_SPEC
        if to_insert and entity_registry:
            new_keys = {key for key, _vals in to_insert}
            links, _labels, _extra = self._ha_entity_links(
                instance_id,
                [e for e in entity_registry if e.get("entity_id") in new_keys],
                {
                    k: r[0]
                    for k, r in self._ha_load(
                        "ha_area", instance_id, "area_id", []
                    ).items()
                },
                {
                    k: r[0]
                    for k, r in self._ha_load(
                        "ha_device", instance_id, "device_id", []
                    ).items()
                },
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
        updated = set(self._ha_update("ha_entity", STATE_SPEC, to_update, NEWER_GUARD))
        archived = []
        if complete and ha_running:
            archived = self._ha_archive(
                "ha_entity",
                [
                    row[0]
                    for key, row in known.items()
                    if row[3] and key not in rows and key not in same
                ],
            )
        recorded = [
            (key, vals)
            for key, vals in rows.items()
            if key in existing and existing[key][-1] and existing[key][0] in updated
        ]
        # Every one of these is recorded (read above): no second look.
        history_count, history = self._ha_insert_history(
            instance_id, recorded, known={key: True for key, _vals in recorded}
        )
        self.env["ha.instance"].browse(instance_id).sudo().write(
            {"last_sync_date": self.env.cr.now()}
        )
        self._ha_invalidate()
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

    # -- live events ------------------------------------------------------------------

    @api.model
    def _ha_apply_state_events(self, instance, events, ha_running=True, notify=True):
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
        """
        instance_id = self._ha_instance_id(instance)
        latest, removed, all_states = {}, set(), []
        for event in events or []:
            if "new_state" in event or "old_state" in event:
                state = event.get("new_state")
                key = event.get("entity_id") or (state or {}).get("entity_id")
            else:
                state, key = event, event.get("entity_id")
            if not key or "." not in key:
                continue
            if state is None:
                latest.pop(key, None)
                removed.add(key)
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
        changes, recorded = (
            self._ha_upsert_states(instance_id, latest) if latest else ([], {})
        )
        archived = []
        if removed and ha_running:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM ha_entity WHERE ha_instance_id = %s"
                    " AND entity_id = ANY(%s)",
                    instance_id,
                    sorted(removed),
                )
            )
            archived = self._ha_archive(
                "ha_entity", [r[0] for r in self.env.cr.fetchall()]
            )
        history_count, history = self._ha_insert_history(
            instance_id, all_states, known=recorded
        )
        if changes or archived or history:
            self._ha_invalidate()
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
        now = cr.now()
        cr.execute(
            SQL(
                """
                INSERT INTO ha_entity AS t (
                    ha_instance_id, entity_id, domain, name, entity_state, attributes,
                    last_changed, last_updated, active, follows_device_area,
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
                       active = true,
                       write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                 WHERE t.last_updated IS NULL OR t.last_updated < EXCLUDED.last_updated
                       OR NOT t.active
             RETURNING t.id, t.entity_id, t.enable_record
                """,
                instance=instance_id,
                uid=self.env.uid,
                now=now,
                unnest=_unnest(columns),
            )
        )
        rows = cr.fetchall()
        changes = [_change(pk, key, latest[key]) for pk, key, _rec in rows]
        return changes, {key: recorded for _pk, key, recorded in rows}

    # -- history -----------------------------------------------------------------

    @api.model
    def _ha_insert_history(self, instance_id, states, only_recorded=True, known=None):
        """Insert ``[(entity_id string, state vals)]`` as history rows.

        Rows are stamped with HA's times; (entity, last_updated) duplicates are
        ignored. ``known``: ``{entity id: recorded}`` already read in this
        transaction (the others are looked up). Returns ``(rows inserted,
        ha.entity ids that got rows)``.
        """
        states = [(k, v) for k, v in states if v.get("last_updated")]
        if states and only_recorded:
            # Most entities are not recorded: filter here rather than shipping
            # every event (attributes included) to SQL for the join to drop,
            # and skip the INSERT (its rollup trigger runs even for no rows).
            known = known or {}
            recorded = {k for k, rec in known.items() if rec}
            unknown = sorted({k for k, _v in states if k not in known})
            if unknown:
                self.env.cr.execute(
                    SQL(
                        "SELECT entity_id FROM ha_entity WHERE ha_instance_id = %s"
                        " AND enable_record AND entity_id = ANY(%s)",
                        instance_id,
                        unknown,
                    )
                )
                recorded.update(row[0] for row in self.env.cr.fetchall())
            states = [(k, v) for k, v in states if k in recorded]
        if not states:
            return 0, []
        columns = [
            ([k for k, _v in states], "varchar"),
            ([v["entity_state"] for _k, v in states], "varchar"),
            ([to_num_state(v["entity_state"]) for _k, v in states], "float8"),
            ([v.get("attributes") for _k, v in states], "jsonb"),
            ([v.get("last_changed") for _k, v in states], "timestamp"),
            ([v["last_updated"] for _k, v in states], "timestamp"),
        ]
        cr = self.env.cr
        now = cr.now()
        cr.execute(
            SQL(
                """
                INSERT INTO ha_entity_history (
                    entity_id, ha_instance_id, domain, entity_state, num_state,
                    attributes, last_changed, last_updated,
                    create_uid, create_date, write_uid, write_date)
                SELECT e.id, e.ha_instance_id, e.domain, v.state, v.num, v.attrs,
                       v.lc, v.lu, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM %(unnest)s AS v(entity_id, state, num, attrs, lc, lu)
                  JOIN ha_entity e ON e.ha_instance_id = %(instance)s
                                  AND e.entity_id = v.entity_id
                                  %(recorded)s
                ON CONFLICT (entity_id, last_updated) DO NOTHING
             RETURNING entity_id
                """,
                uid=self.env.uid,
                now=now,
                unnest=_unnest(columns),
                instance=instance_id,
                recorded=SQL("AND e.enable_record") if only_recorded else SQL(""),
            )
        )
        rows = cr.fetchall()
        return len(rows), sorted({row[0] for row in rows})

    @api.model
    def _ha_drop_carried(self, instance_id, states, window_start):
        """Drop the start-time states that repeat the mirror's row before them.

        Every history query stamps the state current at its ``start_time``
        with that time, so each re-query (recording switched off and on, a
        longer backfill) would add one more copy of an unchanged state.
        Such a point is kept only when the latest stored row at or before it
        differs (state or attributes) or when there is none.
        """
        carried = {
            key: vals
            for key, vals in states
            if vals.get("last_updated") == window_start
        }
        if not carried:
            return states
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (h.entity_id) e.entity_id, h.entity_state,
                       h.attributes
                  FROM ha_entity e
                  JOIN ha_entity_history h ON h.entity_id = e.id
                 WHERE e.ha_instance_id = %s AND e.entity_id = ANY(%s)
                   AND h.last_updated <= %s
              ORDER BY h.entity_id, h.last_updated DESC
                """,
                instance_id,
                sorted(carried),
                window_start,
            )
        )
        repeated = {
            key
            for key, state, attributes in self.env.cr.fetchall()
            if state == carried[key]["entity_state"]
            and (attributes or None) == (carried[key].get("attributes") or None)
        }
        return [
            (key, vals)
            for key, vals in states
            if key not in repeated or vals.get("last_updated") != window_start
        ]

    @api.model
    def _ha_store_history(
        self, instance, history_payload, notify=True, window_start=None
    ):
        """Backfill from ``history/history_during_period`` (or ``history/stream``).

        ``history_payload`` is ``{entity_id: [{"s", "a"?, "lu", "lc"?}, ...]}``
        (compressed keys, epoch seconds; ``lc`` missing means equal to ``lu``);
        full state objects are accepted too. Duplicates are skipped.
        ``window_start`` (naive UTC): the query's ``start_time``; HA stamps the
        state current then with it, which is no change of its own when the
        mirror already holds that state (see ``_ha_drop_carried``). Returns
        the number of rows inserted.
        """
        instance_id = self._ha_instance_id(instance)
        states = []
        for key, points in (history_payload or {}).items():
            for point in points or []:
                if "s" in point or "lu" in point:
                    updated = parse_ha_time(point.get("lu") or point.get("lc"))
                    changed = parse_ha_time(point.get("lc")) or updated
                    vals = {
                        "entity_state": _text(point.get("s")),
                        "attributes": point.get("a"),
                        "last_changed": changed,
                        "last_updated": updated,
                    }
                else:
                    vals = _state_vals(point)
                states.append((key, vals))
        self.env.flush_all()
        if window_start is not None:
            states = self._ha_drop_carried(instance_id, states, window_start)
        count, entity_ids = self._ha_insert_history(
            instance_id, states, only_recorded=False
        )
        self.env["ha.entity.history"].invalidate_model()
        if notify and entity_ids:
            self.env["ha.realtime.update"].notify_history_update(
                instance_id, entity_ids, count
            )
        _logger.info(
            "HA instance %s: history backfill stored %s of %s rows",
            instance_id,
            count,
            len(states),
        )
        return count
