"""Chart query over 1,000,000 history rows (20 numeric entities, 24 h).

Builds an Odoo environment on ``--db`` (no server, no HA connection), creates
a disabled bench instance with 20 ``sensor.chart_NN`` entities, fills
``ha_entity_history`` with 1,000,000 rows through ``generate_series`` (one
row per entity every 1.728 s over 24 h), then times
``ha.entity.history.get_chart_data(entity ids, start, end, 500)`` as the
admin user (record rules apply) 5 times and prints the p50. Goal <= 200 ms.
The rows are kept for the next run (``--refill`` rebuilds them); the chart
window is the 24 h they cover.

    python bench/bench_chart.py --db odoo_ha_bench --stage /tmp/benchstage

Exits non-zero when the goal is missed.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import ODOO_PATH, ROOT, addons_path  # noqa: E402

ENTITIES = 20
ROWS_PER_ENTITY = 50_000
RUNS = 5


def fill(env, start, end, step):
    """The bench instance, its 20 entities and 1,000,000 history rows."""
    cr = env.cr
    instance = env["ha.instance"].create(
        {"name": "Bench chart", "api_url": "http://127.0.0.1:9", "active": False}
    )
    states = [
        {
            "entity_id": f"sensor.chart_{idx:02d}",
            "state": "0",
            "attributes": {
                "unit_of_measurement": "W",
                "state_class": "measurement",
            },
            "last_updated": end.isoformat() + "+00:00",
            "last_changed": end.isoformat() + "+00:00",
        }
        for idx in range(ENTITIES)
    ]
    env["ha.sync"]._ha_sync_states(instance, states, notify=False)
    ids = (
        env["ha.entity"]
        .with_context(active_test=False)
        .search([("ha_instance_id", "=", instance.id)])
        .ids
    )
    t0 = time.monotonic()
    cr.execute(
        """
        INSERT INTO ha_entity_history (entity_id, ha_instance_id, domain,
                    entity_state, num_state, last_changed, last_updated,
                    create_uid, create_date, write_uid, write_date)
        SELECT e.id, e.ha_instance_id, 'sensor', x.v::text, x.v, x.t, x.t,
               1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM ha_entity e
    CROSS JOIN generate_series(0, %(n)s - 1) AS g
    CROSS JOIN LATERAL (
               SELECT %(start)s::timestamp + g * make_interval(secs => %(step)s)
                          AS t,
                      round((100 + 50 * sin(g / 700.0 + e.id)
                             + (g %% 13))::numeric, 2)::float8 AS v) AS x
         WHERE e.id = ANY(%(ids)s)
        """,
        {"n": ROWS_PER_ENTITY, "start": start, "step": step, "ids": ids},
    )
    inserted = cr.rowcount
    cr.commit()
    cr.execute("ANALYZE ha_entity_history")
    print(
        f"inserted {inserted} history rows ({ENTITIES} entities, 24 h)"
        f" in {time.monotonic() - t0:.1f} s"
    )
    return instance


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="database with the addon installed")
    parser.add_argument(
        "--stage", default=str(ROOT.parent), help="addons dir holding odoo_ha_addon"
    )
    parser.add_argument("--refill", action="store_true", help="rebuild the rows")
    args = parser.parse_args()

    os.environ["ODOO_HA_SUPERVISOR"] = "0"
    sys.path.insert(0, str(ODOO_PATH))
    import odoo
    from odoo.tools import config

    config.parse_config(
        ["-d", args.db, f"--addons-path={addons_path(args.stage)}", "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.db)
    end = datetime.utcnow().replace(microsecond=0)
    start = end - timedelta(hours=24)
    step = 24 * 3600 / ROWS_PER_ENTITY

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute(
            """
            SELECT i.id, count(h.id), min(h.last_updated)
              FROM ha_instance i
              LEFT JOIN ha_entity_history h ON h.ha_instance_id = i.id
             WHERE i.name = 'Bench chart'
          GROUP BY i.id
            """
        )
        found = cr.fetchone()
        if found and found[1] == ENTITIES * ROWS_PER_ENTITY and not args.refill:
            instance = env["ha.instance"].browse(found[0])
            start = found[2]
            end = start + timedelta(hours=24)
            print(f"reusing {found[1]} history rows of the bench chart instance")
        else:
            cr.execute("DELETE FROM ha_instance WHERE name = 'Bench chart'")
            instance = fill(env, start, end, step)
        ids = (
            env["ha.entity"]
            .with_context(active_test=False)
            .search([("ha_instance_id", "=", instance.id)])
            .ids
        )

    durations = []
    points = 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        admin = env.ref("base.user_admin")
        history = env["ha.entity.history"].with_user(admin)
        for _run in range(RUNS):
            env.invalidate_all()
            t0 = time.perf_counter()
            result = history.get_chart_data(ids, start, end, 500)
            durations.append(time.perf_counter() - t0)
        points = [len(s["points"]) for s in result["series"]]
        cr.rollback()
    p50 = statistics.median(durations)
    print(
        f"get_chart_data({len(ids)} entities, 24 h, 500 points) as admin:"
        f" {len(points)} series, points per series {min(points)}..{max(points)}"
    )
    print(
        "runs: "
        + ", ".join(f"{d * 1000:.0f} ms" for d in durations)
        + f"; p50 {p50 * 1000:.0f} ms (goal <= 200 ms)"
    )
    failures = []
    if len(points) != ENTITIES or max(points) > 500:
        failures.append("wrong series/points")
    if p50 > 0.2:
        failures.append(f"p50 {p50 * 1000:.0f} ms > 200 ms")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("chart bench: goal met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
