"""Chaos: HA restarts and dropped connections during a burst; Odoo converges.

Starts the HA simulator (demo home) and one Odoo server (``--workers 0``) on
``--db``. While bursts of ``state_changed`` events run back to back over 1,000
``sensor.load_*`` entities, the simulator restarts 3 times (1 s down) and drops
every connection 3 times. Then it prints how many entities in Odoo differ from
the simulator's final state (must be 0) and the time from the last HA write
until they all matched.

    python bench/bench_chaos.py --db odoo_ha_bench --stage /tmp/benchstage

Exits non-zero when a mismatch remains after 60 s. Everything on 127.0.0.1.
"""

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_mirror import (  # noqa: E402
    mismatches,
    odoo_states,
    start_synced_server,
)
from bench_failover import (  # noqa: E402
    Sim,
    bench_parser,
    new_instance,
    report,
    stop_servers,
    wait_for,
)

ENTITIES = 1000
BURST = 5000


def main():
    parser = bench_parser(__doc__)
    args = parser.parse_args()

    sim = Sim()
    servers = []
    failures = []
    stop = threading.Event()
    sent = {"events": 0, "bursts": 0, "refused": 0}

    def bursts():
        while not stop.is_set():
            try:
                sim.control("burst", n=BURST, entities=ENTITIES)
                sent["events"] += BURST
                sent["bursts"] += 1
            except OSError:
                sent["refused"] += 1  # the simulator is down (restart)
                time.sleep(0.05)

    try:
        instance_id = new_instance(args.db, sim.url)
        start_synced_server(args, servers, instance_id, "bench_chaos")
        auth_before = sim.stats()["auth_ok"]
        burster = threading.Thread(target=bursts, daemon=True)
        burster.start()
        faults = []
        for _round in range(3):
            time.sleep(1.5)
            sim.control("restart", downtime_seconds=1.0)
            faults.append("restart")
            time.sleep(2.5)  # 1 s down, then the supervisor reconnects
            wait_for(lambda: sim.stats()["connections"] >= 1, 15, 0.1)
            time.sleep(1.0)
            sim.control("drop_connections")
            faults.append("drop")
            wait_for(lambda: sim.stats()["connections"] >= 1, 15, 0.1)
        time.sleep(1.0)
        stop.set()
        burster.join(60)
        t_last = time.monotonic()
        reconnects = sim.stats()["auth_ok"] - auth_before
        print(
            f"faults: {', '.join(faults)}; {sent['bursts']} bursts of {BURST}"
            f" ({sent['events']} events over {ENTITIES} entities, "
            f"{sent['refused']} burst requests refused while HA was down);"
            f" reconnects: {reconnects}"
        )
        final = sim.states()
        bad = []
        converged = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            bad = mismatches(final, odoo_states(args.db, instance_id))
            if not bad:
                converged = time.monotonic() - t_last
                break
            time.sleep(0.05)
        print(f"mismatches (Odoo vs simulator's final state, all entities): {len(bad)}")
        if bad:
            print("e.g. " + ", ".join(bad[:5]))
            failures.append(f"{len(bad)} mismatches after 60 s")
        else:
            print(f"converged {converged:.2f} s after the last HA write")
        if reconnects < 6:
            failures.append(f"only {reconnects} reconnects (expected >= 6)")
    finally:
        stop.set()
        stop_servers(servers)
        sim.stop()
    return report(failures, "chaos bench: mirror converged")


if __name__ == "__main__":
    sys.exit(main())
