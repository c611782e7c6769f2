"""Connection lifecycle: configuration changes and recoveries, end to end.

One Odoo server (``--workers 2``) and two HA simulators. Changes are saved the
way a manager saves them (an ORM ``write`` over JSON-RPC, on whichever worker
takes the request), faults are real (the simulator's dropped connections and
restart, ``pg_ctlcluster restart``, SIGTERM of Odoo). Prints, for each step,
the time until the connection is where it must be and the mirror follows HA
again:

* token made invalid: status "invalid token" <= 5 s, and no second attempt
  for 5 s (HA bans addresses after repeated failed logins);
* token set right again, URL moved to the other HA, instance archived and
  restored: connected (or not) as configured <= 5 s;
* HA drops every connection, HA restarts (1 s down), PostgreSQL restarts,
  Odoo restarts: a new state in HA reaches Odoo's mirror <= 15 s (<= 5 s
  after Odoo's own restart), with nobody acting; and right after
  PostgreSQL's restart, every service call through the JSON route succeeds.

Restarts the PostgreSQL cluster that serves ``--db``: run it on a machine
where nothing else needs that cluster for a few seconds.

    python bench/bench_lifecycle.py --db <db with the addon> --stage <dir>

Exits non-zero when a goal is missed. Everything listens on 127.0.0.1.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import (  # noqa: E402
    TOKEN,
    Sim,
    bench_parser,
    free_port,
    new_instance,
    odoo_up,
    served_by,
    start_odoo,
    wait_for,
    ws_leader,
)
from bench_request_path import Session  # noqa: E402

ENTITY = "input_number.noise_allowance"
TOGGLE = "input_boolean.guest_mode"
CONFIG_GOAL = 5.0
RECOVERY_GOAL = 15.0


def query(db, sql, params=()):
    """One statement on a fresh connection; None while PostgreSQL is down."""
    try:
        conn = psycopg2.connect(dbname=db, connect_timeout=2)
    except psycopg2.OperationalError:
        return None
    try:
        with conn, conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    except psycopg2.OperationalError:
        return None
    finally:
        conn.close()


class Lifecycle:
    def __init__(self, args):
        self.args = args
        self.db = args.db
        self.sims = {"A": Sim(), "B": Sim()}
        self.port = free_port()
        self.logfile = f"{args.logdir}/bench_lifecycle.log"
        self.server = None
        self.server_starts = 0
        self.session = None
        self.instance_id = None
        self.failures = []
        self.passed = 0
        self.value = 10

    # -- plumbing

    def start_odoo(self):
        if self.server_starts:
            self.logfile = self.logfile.replace(".log", f"_{self.server_starts}.log")
        self.server_starts += 1
        self.server = start_odoo(self.db, self.args.stage, self.port, 2, self.logfile)

    def stop_odoo(self):
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(30)
            self.server = None

    def login(self):
        base = f"http://127.0.0.1:{self.port}"
        if not wait_for(lambda: odoo_up(base), 60):
            raise SystemExit("Odoo never answered")
        self.session = Session(self.port).authenticate(self.db)

    def write(self, vals):
        """``ha.instance.write`` over JSON-RPC; which worker saved it."""
        self.session.call(
            "ha.instance",
            "write",
            [self.instance_id],
            vals,
            context={"active_test": False},
        )
        served = served_by(self.logfile, "/web/dataset/call_kw/")
        leader = ws_leader(self.db, self.instance_id) or ""
        pid = served[-1] if served else None
        if pid is None:
            return "an unknown worker"
        role = "the leader" if leader.endswith(f":{pid}") else "not the leader"
        return f"worker {pid} ({role})"

    def route_calls(self, count):
        """``count`` toggles through the JSON route; the error messages."""
        errors = []
        params = {
            "domain": "input_boolean",
            "service": "toggle",
            "service_data": {"entity_id": TOGGLE},
            "ha_instance_id": self.instance_id,
        }
        for _ in range(count):
            try:
                result = self.session.json("/odoo_ha_addon/call_service", params)
            except (OSError, RuntimeError) as err:
                errors.append(str(err))
                continue
            if not result.get("success"):
                errors.append(result.get("error"))
        return errors

    def status(self):
        rows = query(
            self.db,
            "SELECT ws_state, ws_error_code FROM ha_instance WHERE id = %s",
            (self.instance_id,),
        )
        return rows[0] if rows else (None, None)

    def connections(self, name):
        return self.sims[name].stats()["connections"]

    def timed(self, label, predicate, goal):
        started = time.monotonic()
        ok = wait_for(predicate, goal + 10)
        elapsed = time.monotonic() - started
        self.check(
            ok and elapsed <= goal, label, f"{elapsed:.2f} s (goal <= {goal:.0f} s)"
        )
        return elapsed

    def check(self, ok, label, figure):
        print(f"  {label}: {figure} {'ok' if ok else 'MISSED'}")
        if ok:
            self.passed += 1
        else:
            self.failures.append(label)

    def mirrored(self, name):
        """Set a new value in HA ``name``; True once Odoo's mirror has it."""
        self.value += 1
        wanted = f"{self.value}.0"
        try:
            self.sims[name].control(
                "set_state", entity_id=ENTITY, state=wanted, attributes=None
            )
        except OSError:
            return False  # HA is still down: try again
        sql = (
            "SELECT 1 FROM ha_entity WHERE ha_instance_id = %s"
            " AND entity_id = %s AND entity_state = %s"
        )
        return bool(
            wait_for(
                lambda: query(self.db, sql, (self.instance_id, ENTITY, wanted)), 1.0
            )
        )

    # -- the steps

    def run(self):
        sim_a, sim_b = self.sims["A"], self.sims["B"]
        self.instance_id = new_instance(self.db, sim_a.url, name="Lifecycle")
        self.start_odoo()
        self.login()
        wait_for(lambda: self.connections("A") == 1 and self.mirrored("A"), 60)
        print("connected to HA A, mirror follows")

        print("configuration changes (saved through Odoo's HTTP workers):")
        before = sim_a.stats()["auth_invalid"]
        by = self.write({"api_token": "not-the-token"})
        self.timed(
            f"invalid token -> status 'invalid token' (saved by {by})",
            lambda: self.status() == ("error", "invalid_token"),
            CONFIG_GOAL,
        )
        time.sleep(5)
        tries = sim_a.stats()["auth_invalid"] - before
        self.check(tries == 1, "login attempts with the bad token in 5 s", f"{tries}")

        by = self.write({"api_token": TOKEN})
        self.timed(
            f"token set right -> connected (saved by {by})",
            lambda: self.connections("A") == 1 and self.status()[0] == "connected",
            CONFIG_GOAL,
        )
        by = self.write({"api_url": sim_b.url})
        self.timed(
            f"URL moved to HA B -> connected there, none left on A (saved by {by})",
            lambda: self.connections("B") == 1 and self.connections("A") == 0,
            CONFIG_GOAL,
        )
        by = self.write({"active": False})
        self.timed(
            f"archived -> no connection (saved by {by})",
            lambda: self.connections("B") == 0,
            CONFIG_GOAL,
        )
        by = self.write({"active": True})
        self.timed(
            f"restored -> connected (saved by {by})",
            lambda: self.connections("B") == 1 and self.mirrored("B"),
            CONFIG_GOAL,
        )

        print("recoveries (nobody acts):")
        sim_b.control("drop_connections")
        self.timed(
            "HA drops every connection -> mirror follows again",
            lambda: self.mirrored("B"),
            RECOVERY_GOAL,
        )
        sim_b.control("restart", downtime_seconds=1.0)
        time.sleep(0.2)
        self.timed(
            "HA restarts (1 s down) -> mirror follows again",
            lambda: self.mirrored("B"),
            RECOVERY_GOAL,
        )
        # Both workers' connections in use before PostgreSQL goes away.
        errors = self.route_calls(10)
        self.check(not errors, "route calls before", f"{10 - len(errors)} of 10")
        restart_postgresql(self.db)
        self.timed(
            "PostgreSQL back -> mirror follows again",
            lambda: self.mirrored("B"),
            RECOVERY_GOAL,
        )
        errors = self.route_calls(10)
        self.check(
            not errors,
            "route calls right after",
            f"{10 - len(errors)} of 10" + (f" ({errors[0]})" if errors else ""),
        )
        leaders = {ws_leader(self.db, self.instance_id)}
        count = self.connections("B")
        self.check(count == 1, "connections on HA B after the recoveries", f"{count}")

        self.stop_odoo()
        self.start_odoo()
        self.timed(
            "Odoo restarted (SIGTERM, start) -> mirror follows again",
            lambda: self.mirrored("B"),
            CONFIG_GOAL,
        )
        leaders.add(ws_leader(self.db, self.instance_id))
        print(f"  leaders seen: {sorted(filter(None, leaders))}")

    def close(self):
        self.stop_odoo()
        for sim in self.sims.values():
            sim.stop()


def restart_postgresql(db):
    """``pg_ctlcluster <version> <cluster> restart`` for the cluster of ``db``."""
    rows = query(db, "SHOW data_directory")
    data_dir = Path(rows[0][0])
    version, cluster = data_dir.parent.name, data_dir.name
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", version, cluster, "restart", "-m", "fast"], check=True
    )
    wait_for(lambda: query(db, "SELECT 1"), 30)
    print(
        f"  (PostgreSQL {version}/{cluster} restarted in "
        f"{time.monotonic() - started:.2f} s)"
    )


def main():
    args = bench_parser(__doc__).parse_args()
    bench = Lifecycle(args)
    try:
        bench.run()
    finally:
        bench.close()
    print(f"lifecycle: {bench.passed} passed, {len(bench.failures)} failed")
    if bench.failures:
        print(f"lifecycle bench: MISSED {bench.failures}")
        return 1
    print("lifecycle bench: all goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
