import logging
import math
from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

RETENTION_PARAM = "odoo_ha_addon.history_retention_days"
DEFAULT_RETENTION_DAYS = 30
NUMERIC_DOMAINS = ("sensor", "number", "input_number", "counter")
# Charts whose buckets are at least this wide read the per-minute rollup
# instead of the raw rows (24 h in 500 points: 173 s buckets).
ROLLUP_SECONDS = 60

# ha_entity_history_minute: one row per entity and minute (rows, numeric rows,
# sum, min and max of num_state, the minute's last state), kept by
# statement-level triggers on every insert and delete of history, whatever
# path wrote it (ORM, bulk SQL, backfill, retention, cascades). Inserts add to
# the minute (history inserts skip duplicates, so the new rows are all new);
# deletes recompute the touched minutes from the remaining rows.
ROLLUP_DDL = """
CREATE TABLE IF NOT EXISTS ha_entity_history_minute (
    entity_id integer NOT NULL REFERENCES ha_entity(id) ON DELETE CASCADE,
    minute timestamp NOT NULL,
    n integer NOT NULL,
    nn integer NOT NULL,
    total double precision,
    low double precision,
    high double precision,
    last_at timestamp NOT NULL,
    last_state varchar,
    PRIMARY KEY (entity_id, minute)
);

CREATE OR REPLACE FUNCTION ha_entity_history_minute_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ha_entity_history_minute AS m
         SELECT entity_id, date_trunc('minute', last_updated), count(*),
                count(num_state), sum(num_state), min(num_state), max(num_state),
                max(last_updated),
                (array_agg(entity_state ORDER BY last_updated DESC))[1]
           FROM new_rows
       GROUP BY entity_id, date_trunc('minute', last_updated)
    ON CONFLICT (entity_id, minute) DO UPDATE SET
        n = m.n + EXCLUDED.n,
        nn = m.nn + EXCLUDED.nn,
        total = CASE WHEN m.total IS NULL THEN EXCLUDED.total
                     WHEN EXCLUDED.total IS NULL THEN m.total
                     ELSE m.total + EXCLUDED.total END,
        low = least(m.low, EXCLUDED.low),
        high = greatest(m.high, EXCLUDED.high),
        last_at = greatest(m.last_at, EXCLUDED.last_at),
        last_state = CASE WHEN EXCLUDED.last_at >= m.last_at
                          THEN EXCLUDED.last_state ELSE m.last_state END;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ha_entity_history_minute_remove() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH touched AS (
        SELECT DISTINCT entity_id, date_trunc('minute', last_updated) AS minute
          FROM old_rows
    ), gone AS (
        DELETE FROM ha_entity_history_minute m USING touched t
         WHERE m.entity_id = t.entity_id AND m.minute = t.minute
    )
    INSERT INTO ha_entity_history_minute
         SELECT h.entity_id, t.minute, count(*), count(h.num_state),
                sum(h.num_state), min(h.num_state), max(h.num_state),
                max(h.last_updated),
                (array_agg(h.entity_state ORDER BY h.last_updated DESC))[1]
           FROM touched t
           JOIN ha_entity_history h
             ON h.entity_id = t.entity_id
            AND h.last_updated >= t.minute
            AND h.last_updated < t.minute + interval '1 minute'
       GROUP BY h.entity_id, t.minute
    ON CONFLICT (entity_id, minute) DO UPDATE SET
        n = EXCLUDED.n, nn = EXCLUDED.nn, total = EXCLUDED.total,
        low = EXCLUDED.low, high = EXCLUDED.high,
        last_at = EXCLUDED.last_at, last_state = EXCLUDED.last_state;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS ha_entity_history_minute_ins ON ha_entity_history;
CREATE TRIGGER ha_entity_history_minute_ins AFTER INSERT ON ha_entity_history
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ha_entity_history_minute_add();
DROP TRIGGER IF EXISTS ha_entity_history_minute_del ON ha_entity_history;
CREATE TRIGGER ha_entity_history_minute_del AFTER DELETE ON ha_entity_history
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ha_entity_history_minute_remove();
"""


def to_num_state(state):
    """The numeric value of a state string, or None (never -1) when not numeric."""
    try:
        value = float(state)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


# A minute belongs to the bucket its start falls in, so a bucket edge may be
# off by less than a minute (buckets of at least ROLLUP_SECONDS).
CHART_ROLLUP_SQL = """
    SELECT entity_id,
           least(%(last_slot)s, greatest(0, floor(
               date_part('epoch', minute - %(start)s) / %(bucket)s)::int))
               AS slot,
           sum(total) / nullif(sum(nn), 0),
           min(low), max(high), sum(n)::integer,
           (array_agg(last_state ORDER BY last_at DESC))[1]
      FROM ha_entity_history_minute
     WHERE entity_id = ANY(%(ids)s)
       AND minute >= date_trunc('minute', %(start)s::timestamp)
       AND minute < %(end)s
  GROUP BY entity_id, slot
  ORDER BY entity_id, slot
"""
CHART_RAW_SQL = """
    SELECT entity_id,
           floor(extract(epoch FROM last_updated - %(start)s) / %(bucket)s) AS slot,
           avg(num_state), min(num_state), max(num_state), count(*),
           (array_agg(entity_state ORDER BY last_updated DESC))[1]
      FROM ha_entity_history
     WHERE entity_id = ANY(%(ids)s)
       AND last_updated >= %(start)s AND last_updated < %(end)s
  GROUP BY entity_id, slot
  ORDER BY entity_id, slot
"""


class HaEntityHistory(models.Model):
    """Past states of recorded entities, stamped with Home Assistant's times."""

    _name = "ha.entity.history"
    _inherit = ["ha.current.instance.mixin"]
    _description = "Home Assistant Entity History"
    _order = "last_updated desc, id desc"
    _rec_name = "entity_id"

    entity_id = fields.Many2one(
        "ha.entity", string="Entity", required=True, ondelete="cascade", index=True
    )
    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    domain = fields.Char(required=True, index=True)
    entity_state = fields.Char(string="State")
    num_state = fields.Float(
        string="Numeric State", help="Empty when the state is not a number."
    )
    attributes = fields.Json()
    last_changed = fields.Datetime(help="Home Assistant's time")
    last_updated = fields.Datetime(required=True, index=True, help="HA's time")
    entity_id_string = fields.Char(
        related="entity_id.entity_id", string="Entity ID String"
    )
    entity_name = fields.Char(related="entity_id.name", string="Entity Name")

    _sql_constraints = [
        (
            "entity_last_updated_unique",
            "unique(entity_id, last_updated)",
            "A state is recorded once per entity and Home Assistant timestamp.",
        ),
    ]

    def init(self):
        result = super().init()
        self.env.cr.execute(ROLLUP_DDL)
        # Rows written before the rollup existed (upgrade from an older version
        # or another addon). Once filled, the triggers keep it so: init() runs
        # twice on every update, and a million rows take seconds to group.
        self.env.cr.execute("SELECT 1 FROM ha_entity_history_minute LIMIT 1")
        if self.env.cr.fetchone():
            return result
        self.env.cr.execute(
            """
            INSERT INTO ha_entity_history_minute
                 SELECT entity_id, date_trunc('minute', last_updated), count(*),
                        count(num_state), sum(num_state), min(num_state),
                        max(num_state),
                        max(last_updated),
                        (array_agg(entity_state ORDER BY last_updated DESC))[1]
                   FROM ha_entity_history
               GROUP BY entity_id, date_trunc('minute', last_updated)
            ON CONFLICT (entity_id, minute) DO NOTHING
            """
        )
        return result

    # -- retention --------------------------------------------------------------

    @api.model
    def _get_retention_days(self):
        # sudo: the retention parameter is technical, readable by the cron only
        value = (
            self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM, "")
        ).strip()
        try:
            days = int(value) if value else DEFAULT_RETENTION_DAYS
        except ValueError:
            _logger.warning("Ignoring invalid %s=%r", RETENTION_PARAM, value)
            days = DEFAULT_RETENTION_DAYS
        return days

    @api.model
    def _cron_purge_history(self):
        """Delete history older than the retention setting (0 or less: keep all)."""
        days = self._get_retention_days()
        if days <= 0:
            return 0
        self.env.flush_all()
        limit = datetime.utcnow() - timedelta(days=days)
        self.env.cr.execute(
            SQL("DELETE FROM ha_entity_history WHERE last_updated < %s", limit)
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        if count:
            _logger.info("Purged %s history rows older than %s days", count, days)
        return count

    # -- chart ------------------------------------------------------------------

    @api.model
    def get_chart_data(self, domain_or_entity_ids, start, end, max_points=500):
        """Downsampled history of the entities the user may see, for charts.

        ``domain_or_entity_ids`` is an ``ha.entity`` domain or a list of
        ``ha.entity`` ids; record rules apply (the entities are searched as the
        user before any SQL). Numeric domains come back as time buckets
        (avg/min/max, at most ``max_points`` each), the others as state changes
        (at most ``max_points`` each). Returns JSON-ready dicts.
        """
        start = fields.Datetime.to_datetime(start)
        end = fields.Datetime.to_datetime(end)
        if not start or not end or end <= start:
            return {"start": None, "end": None, "series": []}
        max_points = max(2, min(int(max_points or 500), 5000))
        if domain_or_entity_ids and all(
            isinstance(item, int) for item in domain_or_entity_ids
        ):
            domain = [("id", "in", list(domain_or_entity_ids))]
        else:
            domain = list(domain_or_entity_ids or [])
        entities = self.env["ha.entity"].with_context(active_test=False).search(domain)
        # Entities have passed the user's record rules: plain SQL from here on.
        if entities:
            self.env["ha.entity.history"].check_access("read")
        numeric = entities.filtered(lambda e: e.domain in NUMERIC_DOMAINS)
        others = entities - numeric
        self.env.flush_all()
        series = {}
        for entity in entities:
            series[entity.id] = {
                "id": entity.id,
                "entity_id": entity.entity_id,
                "name": entity.name or entity.entity_id,
                "domain": entity.domain,
                "ha_instance_id": entity.ha_instance_id.id,
                "kind": "numeric" if entity in numeric else "state",
                "points": [],
            }
        if numeric:
            self._chart_numeric(numeric.ids, start, end, max_points, series)
        if others:
            self._chart_states(others.ids, start, end, max_points, series)
        return {
            "start": start.isoformat() + "Z",
            "end": end.isoformat() + "Z",
            "series": list(series.values()),
        }

    def _chart_numeric(self, entity_ids, start, end, max_points, series):
        bucket = max((end - start).total_seconds() / max_points, 1.0)
        # Whole minutes from the rollup when a bucket spans at least one.
        query = CHART_ROLLUP_SQL if bucket >= ROLLUP_SECONDS else CHART_RAW_SQL
        self.env.cr.execute(
            SQL(
                query,
                start=start,
                end=end,
                bucket=bucket,
                ids=entity_ids,
                last_slot=max_points - 1,
            )
        )
        for entity_id, slot, avg, vmin, vmax, count, last in self.env.cr.fetchall():
            moment = start + timedelta(seconds=slot * bucket)
            series[entity_id]["points"].append(
                {
                    "t": moment.isoformat() + "Z",
                    "avg": avg,
                    "min": vmin,
                    "max": vmax,
                    "count": count,
                    "state": last,
                }
            )

    def _chart_states(self, entity_ids, start, end, max_points, series):
        # The state current at ``start`` plus every change inside the window,
        # thinned evenly when an entity changed more than ``max_points`` times.
        self.env.cr.execute(
            SQL(
                """
                WITH initial AS (
                    SELECT DISTINCT ON (entity_id)
                           entity_id, %(start)s::timestamp AS at, entity_state
                      FROM ha_entity_history
                     WHERE entity_id = ANY(%(ids)s) AND last_updated < %(start)s
                  ORDER BY entity_id, last_updated DESC
                ), inside AS (
                    SELECT entity_id, last_updated AS at, entity_state,
                           lag(entity_state) OVER (
                               PARTITION BY entity_id ORDER BY last_updated
                           ) AS previous
                      FROM ha_entity_history
                     WHERE entity_id = ANY(%(ids)s)
                       AND last_updated >= %(start)s AND last_updated < %(end)s
                ), merged AS (
                    SELECT entity_id, at, entity_state FROM initial
                 UNION ALL
                    SELECT entity_id, at, entity_state FROM inside
                     WHERE previous IS DISTINCT FROM entity_state
                ), numbered AS (
                    SELECT entity_id, at, entity_state,
                           row_number() OVER (PARTITION BY entity_id ORDER BY at)
                               AS rn,
                           count(*) OVER (PARTITION BY entity_id) AS total
                      FROM merged
                )
                SELECT entity_id, at, entity_state
                  FROM numbered
                 WHERE total <= %(max)s
                    OR rn = 1 OR rn = total
                    OR mod(rn, ceil(total::float / %(max)s)::int) = 0
              ORDER BY entity_id, at
                """,
                start=start,
                end=end,
                ids=entity_ids,
                max=max_points,
            )
        )
        for entity_id, moment, state in self.env.cr.fetchall():
            series[entity_id]["points"].append(
                {
                    "t": moment.isoformat() + "Z",
                    "state": state,
                    "value": to_num_state(state),
                }
            )
