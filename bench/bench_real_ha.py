"""Against real Home Assistant: 2,000 REST state writes, Odoo holds every value.

Installs/starts real Home Assistant 2025.4.4 with ``tools.real_ha`` (offline,
127.0.0.1), points an ``ha.instance`` of ``--db`` at it, starts one Odoo
server (``--workers 0``) and waits for its first full sync. Then it writes
200 entities x 10 states through HA's REST API (``POST /api/states/<id>``,
8 writers in parallel) and prints how long after the last write Odoo held
every final value (goal <= 0.5 s), and the write rate HA accepted.

    python bench/bench_real_ha.py --db odoo_ha_bench --stage /tmp/benchstage

Exits non-zero when the goal is missed. HA is stopped again if this started it.
"""

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_mirror import odoo_states, start_synced_server  # noqa: E402
from bench_failover import (  # noqa: E402
    ROOT,
    bench_parser,
    new_instance,
    report,
    stop_servers,
    wait_for,
)

ENTITIES = 200
WRITES = 10
PREFIX = "sensor.odoo_bench_"


def real_ha(*command, allow_failure=False):
    result = subprocess.run(
        [sys.executable, "-m", "tools.real_ha", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode and not allow_failure:
        raise SystemExit(f"tools.real_ha {command[0]} failed: {result.stderr[-500:]}")
    return result.stdout.strip()


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--port", type=int, default=18123)
    args = parser.parse_args()

    real_ha("install")
    # ``status`` exits 1 when HA is not running.
    status = real_ha("status", allow_failure=True)
    was_running = json.loads(status or "{}").get("state") == "RUNNING"
    real_ha("start")
    token = real_ha("token").splitlines()[-1]
    url = f"http://127.0.0.1:{args.port}"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    servers, failures = [], []
    try:
        instance_id = new_instance(args.db, url, name="Bench real HA", token=token)
        start_synced_server(args, servers, instance_id, "bench_real_ha")
        final = {}

        def write(index):
            entity_id = f"{PREFIX}{index:03d}"
            for step in range(WRITES):
                value = f"{index * 100 + step}"
                response = session.post(
                    f"{url}/api/states/{entity_id}",
                    json={"state": value, "attributes": {"unit_of_measurement": "W"}},
                    timeout=10,
                )
                response.raise_for_status()
            final[entity_id] = value

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(write, range(ENTITIES)))
        last_write = time.monotonic()
        took = last_write - started
        count = ENTITIES * WRITES
        print(f"{count} REST writes to real HA in {took:.2f} s ({count / took:.0f}/s)")

        def converged():
            odoo = odoo_states(args.db, instance_id, PREFIX)
            return all(odoo.get(eid) == value for eid, value in final.items())

        done = wait_for(converged, 30, step=0.01)
        lag = time.monotonic() - last_write
        odoo = odoo_states(args.db, instance_id, PREFIX)
        wrong = sum(1 for eid, value in final.items() if odoo.get(eid) != value)
        print(
            f"Odoo held every final value {lag:.3f} s after the last write "
            f"(goal <= 0.5 s); mismatches: {wrong}"
        )
        if not done or wrong:
            failures.append(f"{wrong} entities never matched")
        elif lag > 0.5:
            failures.append(f"lag {lag:.3f} s > 0.5 s")
    finally:
        stop_servers(servers)
        if not was_running:
            real_ha("stop")
    return report(failures, "real HA bench: goal met")


if __name__ == "__main__":
    sys.exit(main())
