"""History of ``ha.sync``: rows of recorded entities, live and backfilled.

Written with the engine of ``ha_sync.py`` (where the bypass of the ORM is
explained); the per-minute rollup of ``ha_entity_history`` is kept by database
triggers, whatever path writes the rows.
"""

import logging

from odoo import api, models
from odoo.tools import SQL

from .ha_entity_history import to_num_state
from .ha_sync import TX_NOW, _text, _unnest, parse_ha_time
from .ha_sync_states import _state_vals

_logger = logging.getLogger(__name__)


class HaSync(models.AbstractModel):
    _inherit = "ha.sync"

    # -- history ---------------------------------------------------------------

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
                recorded.update(key for (key,) in self.env.cr.fetchall())
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
                now=TX_NOW,
                unnest=_unnest(columns),
                instance=instance_id,
                recorded=SQL("AND e.enable_record") if only_recorded else SQL(""),
            )
        )
        inserted = [entity_pk for (entity_pk,) in cr.fetchall()]
        return len(inserted), sorted(set(inserted))

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
