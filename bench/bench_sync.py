"""Full sync of a large home, and a re-sync with nothing changed.

Starts the HA simulator with 10,000 entities / 2,000 devices / 200 areas and
one Odoo server (``--workers 0``) on ``--db`` with a fresh instance, and prints:

* server start → HA connected, → full sync committed (``last_sync_date`` set
  and every entity present);
* the full sync itself: HA connected → ``last_sync_date`` committed (goal <= 5 s);
* after ``/_simulator/drop_connections``: reconnect → re-sync committed with
  nothing changed (goal <= 1 s), and drop → re-sync committed.

    python bench/bench_sync.py --db odoo_ha_bench --stage /tmp/benchstage

Exits non-zero when a goal is missed. Everything listens on 127.0.0.1.
"""

import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import (  # noqa: E402
    Sim,
    bench_parser,
    free_port,
    new_instance,
    query,
    report,
    start_odoo,
    stop_servers,
    wait_for,
)


def connect_times(logfile):
    """Wall-clock epochs of the server's "connected to Home Assistant" lines.

    The simulator's stats endpoint answers late while it serialises 10,000
    states, so the connection time is taken from Odoo's own log.
    """
    out = []
    with open(logfile, encoding="utf-8", errors="replace") as log:
        for line in log:
            if "connected to Home Assistant" in line and "disconnected" not in line:
                stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                out.append(stamp.timestamp())
    return out


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--entities", type=int, default=10000)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--areas", type=int, default=200)
    args = parser.parse_args()

    sim = Sim(
        ["--entities", args.entities, "--devices", args.devices, "--areas", args.areas]
    )
    servers = []
    failures = []
    try:
        ha_count = sim.stats()["entities"]
        instance_id = new_instance(args.db, sim.url)

        def last_sync():
            return query(
                args.db,
                "SELECT last_sync_date FROM ha_instance WHERE id = %s",
                (instance_id,),
            )[0][0]

        def counts():
            return query(
                args.db,
                """
                SELECT (SELECT count(*) FROM ha_entity WHERE ha_instance_id = %(i)s),
                       (SELECT count(*) FROM ha_device WHERE ha_instance_id = %(i)s),
                       (SELECT count(*) FROM ha_area WHERE ha_instance_id = %(i)s)
                """,
                {"i": instance_id},
            )[0]

        logfile = f"{args.logdir}/bench_sync.log"
        t0 = time.time()
        servers.append(start_odoo(args.db, args.stage, free_port(), 0, logfile))
        synced = wait_for(last_sync, 60, 0.01)
        t_synced = time.time()
        connected = wait_for(lambda: connect_times(logfile), 5)
        t_connect = connected[0] if connected else t_synced
        entities, devices, areas = counts()
        print(
            f"HA: {ha_count} entities; Odoo after the first sync: {entities} entities,"
            f" {devices} devices, {areas} areas"
        )
        print(f"server start -> HA connected: {t_connect - t0:.2f} s")
        print(f"server start -> full sync committed: {t_synced - t0:.2f} s")
        full = t_synced - t_connect
        print(
            f"full sync (HA connected -> last_sync_date committed): {full:.2f} s"
            " (goal <= 5 s)"
        )
        if not connected or not synced:
            failures.append("no full sync within 60 s")
        elif full > 5:
            failures.append(f"full sync {full:.2f} s > 5 s")
        if entities < ha_count or devices < args.devices or areas < args.areas:
            failures.append("not every entity/device/area mirrored")

        time.sleep(1)
        before_sync = last_sync()
        auth_before = sim.stats()["auth_ok"]
        t_drop = time.time()
        sim.control("drop_connections")
        back = wait_for(lambda: sim.stats()["auth_ok"] > auth_before, 30, 0.01)
        resynced = wait_for(lambda: last_sync() != before_sync, 30, 0.01)
        t_resync = time.time()
        again = wait_for(lambda: connect_times(logfile)[1:], 5)
        t_back = again[0] if again else t_resync
        resync = t_resync - t_back
        print(f"drop -> reconnected: {t_back - t_drop:.2f} s")
        print(
            f"re-sync, nothing changed (reconnected -> committed): {resync:.2f} s"
            " (goal <= 1 s)"
        )
        print(f"drop -> re-sync committed: {t_resync - t_drop:.2f} s")
        if not back or not resynced:
            failures.append("no re-sync within 30 s")
        elif resync > 1:
            failures.append(f"re-sync {resync:.2f} s > 1 s")
        after = counts()
        if after != (entities, devices, areas):
            failures.append(f"re-sync changed the counts: {after}")
    finally:
        stop_servers(servers)
        sim.stop()
    return report(failures, "sync bench: all goals met")


if __name__ == "__main__":
    sys.exit(main())
