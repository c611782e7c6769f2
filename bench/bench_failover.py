"""Connection lifecycle end to end: one HA connection per instance, failover.

Starts the HA simulator, then Odoo server A (``--workers 2``: prefork master,
HTTP workers, gevent process) and Odoo server B (``--workers 0``) on the same
database, and prints:

* time from server A's start to the first connection and first mirrored data;
* the simulator's count of authenticated connections (must be exactly 1 per
  instance, sampled for a few seconds);
* after ``kill -9`` of the process holding the connection: the time until
  another process has reconnected (goal <= 10 s), and the count again.

Run from the repo root with the dev virtualenv, after ``./dev tier install``:

    python bench/bench_failover.py --db odoo_ha_bench

Exits non-zero when a goal is missed. Everything listens on 127.0.0.1.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))
CACHE = Path(os.environ.get("ODOO_HA_CACHE", Path.home() / ".cache/odoo_ha_addon"))
TOKEN = "bench-failover-token"


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sim_request(url, token, body=None, timeout=30):
    """GET (``body`` None) or POST JSON to a simulator URL; the decoded reply."""
    req = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.load(resp)


class Sim:
    def __init__(self, extra_args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.ha_simulator", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--token", TOKEN, "--demo"]
            + [str(arg) for arg in extra_args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        if "ready" not in line:
            raise SystemExit(f"simulator did not start: {line!r}")

    def request(self, path, body=None, timeout=30):
        """GET (``body`` None) or POST JSON to the simulator; the decoded reply."""
        return sim_request(self.url + path, TOKEN, body, timeout)

    def stats(self):
        return self.request("/_simulator/stats")

    def control(self, knob, **body):
        """``POST /_simulator/<knob>`` with ``body``."""
        return self.request("/_simulator/" + knob, body)

    def states(self):
        """``GET /api/states``: {entity_id: state string}."""
        return {s["entity_id"]: s["state"] for s in self.request("/api/states")}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def addons_path(stage):
    paths = [str(stage), str(ODOO_PATH / "odoo" / "addons")]
    if (ODOO_PATH / "addons").is_dir():
        paths.append(str(ODOO_PATH / "addons"))
    return ",".join(paths)


def start_odoo(db, stage, http_port, workers, logfile, extra_args=(), launcher=()):
    """Odoo in its own session; ``extra_args`` come last (and so win).

    ``launcher``: a script (and its own arguments) that runs odoo-bin.
    """
    Path(logfile).unlink(missing_ok=True)
    args = [
        sys.executable,
        *(launcher or ["odoo-bin"]),
        "-d",
        db,
        f"--addons-path={addons_path(stage)}",
        "--http-interface=127.0.0.1",
        f"--http-port={http_port}",
        f"--gevent-port={free_port()}",
        f"--workers={workers}",
        "--max-cron-threads=0",
        f"--logfile={logfile}",
        "--log-level=info",
    ] + [str(arg) for arg in extra_args]
    return subprocess.Popen(args, cwd=ODOO_PATH, env=odoo_env(), start_new_session=True)


def odoo_env():
    """The environment for odoo-bin: bytecode cached, as ``./dev`` does.

    Started with PYTHONDONTWRITEBYTECODE, Odoo would compile its whole source
    on every start (1.6 s of its 3 s import on the reference VM); any
    installed Odoo has its bytecode. It goes under the cache, never into a
    source tree.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(CACHE / "pycache"))
    return env


def bench_parser(doc):
    """The ``--db`` / ``--stage`` / ``--logdir`` options every server bench takes."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--db", required=True, help="database with the addon installed")
    parser.add_argument(
        "--stage", default=str(ROOT.parent), help="addons dir holding odoo_ha_addon"
    )
    parser.add_argument("--logdir", default="/tmp")
    return parser


def new_instance(db, url, name="Bench", drop_same_name=True, token=TOKEN):
    """Deactivate every instance, add an active one ``name`` pointing at ``url``
    (with ``drop_same_name``, earlier ones named ``name`` are deleted first)."""
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute("UPDATE ha_instance SET active = false")
        if drop_same_name:
            cr.execute("DELETE FROM ha_instance WHERE name = %s", (name,))
        cr.execute(
            """
            INSERT INTO ha_instance (name, sequence, active, api_url, api_token,
                                     ws_state)
            VALUES (%s, 1, true, %s, %s, 'disconnected') RETURNING id
            """,
            (name, url, token),
        )
        return cr.fetchone()[0]


def stop_servers(servers):
    """SIGTERM each server's session, then SIGKILL what is left after 15 s."""
    for proc in servers:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for proc in servers:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def report(failures, success):
    """Print the outcome of a bench; its exit code."""
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print(success)
    return 0


def query(db, sql, params=()):
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


def wait_for(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def first_worker_alive(logfile):
    """Wall-clock time of the first "Worker WorkerHTTP (...) alive" log line."""
    pattern = re.compile(r"^(\S+ \S+) \d+ INFO .*Worker WorkerHTTP \(\d+\) alive")
    with open(logfile, encoding="utf-8") as log:
        for line in log:
            match = pattern.match(line)
            if match:
                stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")
                return stamp.timestamp()  # Odoo logs local time, as time.time()
    return None


def served_by(logfile, path):
    """Pids of the workers that served POSTs to ``path`` (a prefix), in order."""
    pattern = re.compile(rf"^\S+ \S+ (\d+) INFO .*POST {re.escape(path)}")
    with open(logfile, encoding="utf-8") as log:
        return [int(m.group(1)) for m in map(pattern.match, log) if m]


def odoo_up(base):
    """Whether Odoo at ``base`` serves its login page."""
    try:
        with urllib.request.urlopen(base + "/web/login", timeout=2):
            return True
    except OSError:
        return False


def wait_for_sync(db, instance_id, timeout=60):
    """Wait until the instance's first full sync is committed; whether it was."""
    return wait_for(
        lambda: query(
            db,
            "SELECT last_sync_date IS NOT NULL FROM ha_instance WHERE id = %s",
            (instance_id,),
        )[0][0],
        timeout,
    )


def ws_leader(db, instance_id):
    """``host:pid`` of the process holding the instance's HA connection."""
    sql = "SELECT ws_leader FROM ha_instance WHERE id = %s"
    return query(db, sql, (instance_id,))[0][0]


def sample_connections(sim, seconds):
    counts = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        counts.add(sim.stats()["connections"])
        time.sleep(0.1)
    return counts


def main():
    args = bench_parser(__doc__).parse_args()

    sim = Sim()
    servers = []
    failures = []
    try:
        # The instance points at this run's simulator; old status is cleared.
        instance_id = new_instance(args.db, sim.url, drop_same_name=False)

        t0, wall0 = time.monotonic(), time.time()
        servers.append(
            start_odoo(
                args.db, args.stage, free_port(), 2, f"{args.logdir}/bench_a.log"
            )
        )
        connected = wait_for(lambda: sim.stats()["connections"] >= 1, 60)
        t_connect = time.monotonic() - t0
        synced = wait_for_sync(args.db, instance_id)
        t_data = time.monotonic() - t0
        print(f"server A (workers 2) start -> HA connected: {t_connect:.2f} s")
        print(f"server A start -> first mirrored data: {t_data:.2f} s (goal <= 5 s)")
        alive = first_worker_alive(f"{args.logdir}/bench_a.log")
        if alive is not None:
            odoo_start = alive - wall0
            print(
                f"  of which Odoo's own start (-> first HTTP worker alive): "
                f"{odoo_start:.2f} s, then the addon: {t_data - odoo_start:.2f} s"
            )
        if not connected:
            failures.append("never connected")
        if not synced or t_data > 5:
            failures.append("first data later than 5 s")

        servers.append(
            start_odoo(
                args.db, args.stage, free_port(), 0, f"{args.logdir}/bench_b.log"
            )
        )
        time.sleep(4)  # let server B start and stand by
        counts = sample_connections(sim, 3)
        print(f"authenticated connections with A and B running: {sorted(counts)}")
        if counts != {1}:
            failures.append(f"connections {sorted(counts)} != [1]")

        leader = ws_leader(args.db, instance_id)
        pid = int(leader.rsplit(":", 1)[1])
        auth_before = sim.stats()["auth_ok"]
        t_kill = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        print(f"kill -9 of the leader, pid {pid}")
        back = wait_for(lambda: sim.stats()["auth_ok"] > auth_before, 30)
        takeover = time.monotonic() - t_kill
        print(f"takeover: reconnected after {takeover:.2f} s (goal <= 10 s)")
        if not back or takeover > 10:
            failures.append("no takeover within 10 s")
        time.sleep(1)
        counts = sample_connections(sim, 3)
        print(f"authenticated connections after takeover: {sorted(counts)}")
        if counts != {1}:
            failures.append(f"connections after takeover {sorted(counts)} != [1]")
        new_leader = ws_leader(args.db, instance_id)
        print(f"leader before: {leader}, after: {new_leader}")
    finally:
        stop_servers(servers)
        sim.stop()
    return report(failures, "failover bench: all goals met")


if __name__ == "__main__":
    sys.exit(main())
