"""Shared set-up of the mirror benches (commit listener, state comparison).

The simulator, Odoo server and instance helpers come from ``bench_failover``;
this module only adds what the ingest / sync / chaos benches have in common.
"""

import select
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import (  # noqa: E402
    free_port,
    query,
    start_odoo,
    wait_for_sync,
)

CHANNEL = "bench_ha_commit"


def start_synced_server(args, servers, instance_id, name, workers=0, extra_args=()):
    """Start one Odoo server (``--workers 0`` unless ``workers``, log
    ``<logdir>/<name>.log``) on ``args.db``, added to ``servers``; return its
    HTTP port once its first full sync is committed (exit after 60 s
    without)."""
    port = free_port()
    log = f"{args.logdir}/{name}.log"
    servers.append(start_odoo(args.db, args.stage, port, workers, log, extra_args))
    if not wait_for_sync(args.db, instance_id):
        raise SystemExit("FAILED: no full sync within 60 s")
    return port


def odoo_states(db, instance_id, prefix=None):
    """{entity_id: entity_state} of the active entities of the instance."""
    sql = "SELECT entity_id, entity_state FROM ha_entity WHERE ha_instance_id = %s"
    sql += " AND active"
    params = [instance_id]
    if prefix:
        sql += " AND entity_id LIKE %s"
        params.append(prefix + "%")
    return dict(query(db, sql, params))


def mismatches(sim_states, odoo, prefix=None):
    """Entities whose Odoo state differs from HA's (or that only one side has)."""
    if prefix:
        sim_states = {k: v for k, v in sim_states.items() if k.startswith(prefix)}
    keys = set(sim_states) | set(odoo)
    return sorted(k for k in keys if sim_states.get(k) != odoo.get(k))


class CommitListener:
    """Timestamps committed ``ha_entity`` writes through a trigger + LISTEN.

    The trigger sends ``entity_id state epoch(last_updated) epoch(written)``
    for every inserted/updated row whose entity_id matches ``like``;
    notifications are delivered at commit, so ``arrival - last_updated`` is HA
    event time → committed row as this process sees it (same clock:
    everything runs on this machine), and ``written - last_updated`` the same
    in the database's clock, whatever this process's own delay in reading.
    """

    def __init__(self, db, like="sensor.load_%"):
        self.db = db
        admin = psycopg2.connect(dbname=db)
        admin.autocommit = True
        with admin.cursor() as cr:
            cr.execute(
                f"""
                CREATE OR REPLACE FUNCTION bench_ha_notify() RETURNS trigger AS $$
                BEGIN
                    PERFORM pg_notify('{CHANNEL}', NEW.entity_id || ' ' ||
                        coalesce(NEW.entity_state, '') || ' ' ||
                        extract(epoch FROM NEW.last_updated)::text || ' ' ||
                        extract(epoch FROM clock_timestamp())::text);
                    RETURN NULL;
                END $$ LANGUAGE plpgsql
                """
            )
            cr.execute("DROP TRIGGER IF EXISTS bench_ha_notify ON ha_entity")
            cr.execute(
                "CREATE TRIGGER bench_ha_notify AFTER INSERT OR UPDATE ON ha_entity"
                " FOR EACH ROW WHEN (NEW.entity_id LIKE %s)"
                " EXECUTE FUNCTION bench_ha_notify()",
                (like,),
            )
        admin.close()
        self.conn = psycopg2.connect(dbname=db)
        self.conn.autocommit = True
        with self.conn.cursor() as cr:
            cr.execute(f"LISTEN {CHANNEL}")

    def drain(self, timeout=0.0):
        """[(arrival epoch, entity_id, state, last_updated epoch, written
        epoch)] received so far.

        Listens ``timeout`` seconds, then keeps reading while more is pending.
        """
        out = []
        deadline = time.monotonic() + timeout
        while True:
            wait = max(0.0, deadline - time.monotonic())
            if select.select([self.conn], [], [], wait) == ([], [], []):
                if time.monotonic() >= deadline:
                    return out
                continue
            self.conn.poll()
            now = time.time()
            while self.conn.notifies:
                note = self.conn.notifies.pop(0)
                key, state, stamp, written = note.payload.rsplit(" ", 3)
                out.append((now, key, state, float(stamp), float(written)))

    def close(self):
        self.conn.close()
        admin = psycopg2.connect(dbname=self.db)
        admin.autocommit = True
        with admin.cursor() as cr:
            cr.execute("DROP TRIGGER IF EXISTS bench_ha_notify ON ha_entity")
            cr.execute("DROP FUNCTION IF EXISTS bench_ha_notify()")
        admin.close()


def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]
