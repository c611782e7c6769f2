"""Many homes on one Odoo server: one HA instance per simulated home.

Starts the multi-home simulator (``python -m tools.ha_simulator --homes N``),
creates N active ``ha.instance`` rows (one per home, the other instances of
the database are deactivated), starts one Odoo server with ``--workers W``
and prints:

* the time from the server's start until every home is mirrored (every
  entity of every home present in ``ha_entity`` with HA's state);
* instances led per HTTP worker (min/max: ``ha_instance.ws_leader`` of the
  instances whose advisory lock is held), HA connections in total (the
  simulator's count), PostgreSQL connections of the database
  (``pg_stat_activity``) and the resident memory of every Odoo process;
* every home busy at once (E events/s each on its own sensors for 10 s),
  then the time until every home's mirror equals its HA, with the number
  of mismatching entities;
* ``kill -9`` of the worker leading the most instances, then the time until
  all its homes are led again, each with exactly one HA connection;
* a worker recycled by Odoo's ``--limit-memory-soft`` while every home is
  busy: the time until its homes are led again, the longest any of them
  went without an HA connection, the mirror against HA after the load, and
  the state changes HA recorded meanwhile that the mirror's history lacks
  (the homes' entities are recorded for this phase). The leak is simulated
  by ``_odoo_leaky.py``, which runs odoo-bin: the chosen worker maps memory
  it never touches, and Odoo's own limit check recycles it.

Run from the repo root with the dev virtualenv, on a database where the
addon is installed (e.g. after ``./dev tier install``)::

    python bench/bench_many_homes.py --db DB --stage STAGE --homes 10 --workers 2

``STAGE`` is the folder holding ``odoo_ha_addon`` (``./dev`` keeps one per
checkout under ``~/.cache/odoo_ha_addon/stage/``).  Each Odoo process may
open up to ``--db_maxconn`` PostgreSQL connections (64 by default): on a
PostgreSQL others use too, cap them with ``--db-maxconn``.  Exits non-zero when a
goal is missed (goals below); every wait is bounded and whatever the bench
started is stopped, however it ends.  Everything listens on 127.0.0.1.
"""

import importlib.util
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import (  # noqa: E402
    ROOT,
    bench_parser,
    free_port,
    report,
    sim_request,
    start_odoo,
    stop_servers,
)


def _leader_locks():
    """``models/bridge/leader_locks.py`` (stdlib only) without importing odoo."""
    path = ROOT / "models" / "bridge" / "leader_locks.py"
    spec = importlib.util.spec_from_file_location("bench_leader_locks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOCK_NAMESPACE = _leader_locks().LOCK_NAMESPACE
NAME_PREFIX = "Bench home "
GOALS = {
    "mirrored": 30.0,  # s from server start until every home is mirrored
    "pg_connections": 60,
    "equal_after_load": 2.0,  # s after the load ends, with 0 mismatches
    "takeover": 10.0,  # s after kill -9 or a recycle until its homes are led again
    "rss_mb": 512,  # resident memory of the busiest process
}
LOAD_SECONDS = 10.0
# The recycle phase's load outlasts Odoo's limit check (every 4 s) and the
# handovers that follow.
RECYCLE_LOAD = 20.0
RECYCLE_SENSORS = 2  # per home: each changes every 0.1 s at 20 events/s
POLL = 0.25  # seconds between two looks at the database (at least)


# ------------------------------------------------------------- simulator
class Farm:
    """The multi-home simulator in a subprocess, driven over its farm API."""

    def __init__(self, homes, entities, logdir, layout, timeout=180):
        self.file = Path(logdir) / "bench_many_homes.json"
        self.file.unlink(missing_ok=True)
        self.log = Path(logdir) / "bench_many_homes_sim.log"
        self.out = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.ha_simulator", "--host", "127.0.0.1"]
            + ["--homes", str(homes), "--entities", str(entities), "--port", "0"]
            + ["--layout", layout, "--homes-file", str(self.file)],
            cwd=ROOT,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while "ready" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"simulator did not start, see {self.log}")
            time.sleep(0.1)
        described = json.loads(self.file.read_text())
        self.homes = described["homes"]
        self.admin_url = described["admin_url"]
        self.admin_token = described["admin_token"]

    def request(self, knob, body=None, timeout=60):
        return sim_request(
            f"{self.admin_url}/_simulator/farm/{knob}", self.admin_token, body, timeout
        )

    def stats(self):
        return self.request("stats")

    def states(self):
        """[{entity_id: state}] per home, in home order."""
        by_home = self.request("states")
        return [by_home[str(idx)] for idx in range(len(self.homes))]

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.out.close()


# -------------------------------------------------------------- database
def create_instances(db, homes):
    """Deactivate every instance, drop earlier bench homes, add one per home.

    Returns the instance ids in home order.
    """
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute("UPDATE ha_instance SET active = false WHERE active")
        cr.execute("DELETE FROM ha_instance WHERE name LIKE %s", (NAME_PREFIX + "%",))
        ids = []
        for home in homes:
            cr.execute(
                """
                INSERT INTO ha_instance (name, sequence, active, api_url,
                                         api_token, ws_state)
                VALUES (%s, 10, true, %s, %s, 'disconnected') RETURNING id
                """,
                (f"{NAME_PREFIX}{home['index']:04d}", home["url"], home["token"]),
            )
            ids.append(cr.fetchone()[0])
    return ids


def deactivate(db, ids, attempts=10):
    """Leave no bench instance active, even when PostgreSQL is short of
    connections for a while."""
    for attempt in range(attempts):
        try:
            with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
                cr.execute(
                    "UPDATE ha_instance SET active = false WHERE id = ANY(%s)", (ids,)
                )
            return
        except psycopg2.OperationalError as exc:
            print(f"  deactivating the bench instances: {exc}".rstrip())
            time.sleep(min(5, 1 + attempt))
    print(f"  could not deactivate the {len(ids)} bench instances of {db}")


def query(db, sql, params=()):
    """Rows of ``sql`` on the bench's one polling connection (kept open: a
    connection per look would churn PostgreSQL while it is measured)."""
    conn = _CONNECTIONS.get(db)
    if conn is None or conn.closed:
        conn = _CONNECTIONS[db] = psycopg2.connect(dbname=db)
        conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    except psycopg2.Error:
        conn.close()
        raise


_CONNECTIONS = {}


def close_connections():
    for conn in _CONNECTIONS.values():
        conn.close()
    _CONNECTIONS.clear()


def mirror(db, ids):
    """{instance id: {entity_id: state}} of the active mirrored entities."""
    out = {i: {} for i in ids}
    rows = query(
        db,
        "SELECT ha_instance_id, entity_id, entity_state FROM ha_entity"
        " WHERE active AND ha_instance_id = ANY(%s)",
        (ids,),
    )
    for instance_id, entity_id, state in rows:
        out[instance_id][entity_id] = state
    return out


def mismatches(ha_states, mirrored, ids):
    """(entities whose mirror differs from HA, homes with any such entity)."""
    count = homes = 0
    for states, instance_id in zip(ha_states, ids, strict=True):
        odoo = mirrored.get(instance_id, {})
        wrong = sum(
            1 for k in states.keys() | odoo.keys() if states.get(k) != odoo.get(k)
        )
        count += wrong
        homes += bool(wrong)
    return count, homes


def leaders(db, ids):
    """{instance id: ws_leader} of the instances whose lock some session holds."""
    rows = query(
        db,
        """
        SELECT i.id, i.ws_leader FROM ha_instance i
          JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted
                         AND l.objsubid = 2 AND l.classid = %s::oid
                         AND l.objid = i.id::oid
                         AND l.database = (SELECT oid FROM pg_database
                                            WHERE datname = current_database())
         WHERE i.id = ANY(%s)
        """,
        (LOCK_NAMESPACE, ids),
    )
    return dict(rows)


def pg_connections(db):
    """(connections to ``db``, client connections to the whole cluster, its
    max_connections), the bench's own one left out."""
    rows = query(
        db,
        """
        SELECT count(*) FILTER (WHERE datname = %s),
               count(*) FILTER (WHERE backend_type = 'client backend'),
               current_setting('max_connections')::int
          FROM pg_stat_activity WHERE pid <> pg_backend_pid()
        """,
        (db,),
    )
    return rows[0]


# --------------------------------------------------------------- processes
def _proc_file(pid, name):
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""


def odoo_processes(master):
    """{pid: role} of the server: its master, HTTP workers, gevent process."""
    out = {master: "master"}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_file(entry.name, "stat").decode(errors="replace")
        try:
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (IndexError, ValueError):
            continue
        if ppid == master:
            # the gevent process runs "odoo-bin gevent ..."; workers are forks
            argv = _proc_file(entry.name, "cmdline").split(b"\0")
            out[int(entry.name)] = "gevent" if b"gevent" in argv else "worker"
    return out


def _status_mb(pid, key):
    for line in _proc_file(pid, "status").decode(errors="replace").splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid):
    return _status_mb(pid, "VmRSS:")


def vms_mb(pid):
    """Virtual memory: what Odoo compares with ``--limit-memory-soft``."""
    return _status_mb(pid, "VmSize:")


def _epoch_ms(moment):
    """Milliseconds since the epoch of an ISO string or a naive UTC datetime."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


def ha_changes(home, entity_ids, start, end):
    """{(entity_id, last_updated ms)} HA recorded for ``home`` in ]start, end].

    HA's answer opens with each entity's state at ``start``, stamped ``start``:
    no change of the window, left out.
    """
    query = urllib.parse.urlencode(
        {
            "filter_entity_id": ",".join(sorted(entity_ids)),
            "end_time": datetime.fromtimestamp(end, timezone.utc).isoformat(),
        }
    )
    begin = urllib.parse.quote(datetime.fromtimestamp(start, timezone.utc).isoformat())
    rows = sim_request(
        f"{home['url']}/api/history/period/{begin}?{query}", home["token"]
    )
    low, high = round(start * 1000), round(end * 1000)
    return {
        (point["entity_id"], _epoch_ms(point["last_updated"]))
        for series in rows
        for point in series
        if "last_updated" in point and low < _epoch_ms(point["last_updated"]) <= high
    }


def odoo_changes(db, ids, start, end):
    """{instance id: {(entity_id, last_updated ms)}} of the mirror's history."""
    out = {i: set() for i in ids}
    rows = query(
        db,
        """
        SELECT e.ha_instance_id, e.entity_id, h.last_updated
          FROM ha_entity_history h JOIN ha_entity e ON e.id = h.entity_id
         WHERE e.ha_instance_id = ANY(%s)
           AND h.last_updated BETWEEN %s AND %s
        """,
        (
            ids,
            datetime.fromtimestamp(start, timezone.utc).replace(tzinfo=None),
            datetime.fromtimestamp(end, timezone.utc).replace(tzinfo=None),
        ),
    )
    for instance_id, entity_id, updated in rows:
        out[instance_id].add((entity_id, _epoch_ms(updated)))
    return out


def wait_until(predicate, timeout, step=POLL):
    """Seconds until ``predicate()`` held, or None after ``timeout``.

    Looking must not load the machine it measures: the pause between two
    looks is at least twice what the last look took.
    """
    begin = time.monotonic()
    failed = None
    while True:
        look = time.monotonic()
        try:
            if predicate():
                return time.monotonic() - begin
        except (psycopg2.Error, OSError) as exc:  # PostgreSQL or the simulator
            if str(exc) != str(failed):
                print(f"  (look failed, retrying: {str(exc).strip()})")
            failed = exc
        now = time.monotonic()
        if now - begin > timeout:
            return None
        time.sleep(max(step, 2 * (now - look)))


# ------------------------------------------------------------------ report
class Bench:
    def __init__(self, args):
        self.args = args
        self.failures = []
        self.host = socket.gethostname()
        self.busiest = None  # pid of the worker leading the most instances
        self.leak_dir = None
        self.odoo_log = f"{args.logdir}/bench_many_homes_odoo.log"

    def warn_headroom(self):
        """Say when the server may take more PostgreSQL connections than free."""
        args = self.args
        limit, used = query(
            args.db,
            "SELECT current_setting('max_connections')::int,"
            " (SELECT count(*) FROM pg_stat_activity)",
        )[0]
        may_open = (args.workers + 2) * (args.db_maxconn or 64)
        print(
            f"PostgreSQL: {used}/{limit} connections in use; this server may "
            f"open up to {may_open} (--db-maxconn {args.db_maxconn or 64})"
        )
        if may_open > limit - used:
            print("  WARNING: more than PostgreSQL has free: see --db-maxconn")

    def goal(self, ok, text):
        print(f"  [{'ok' if ok else 'MISSED'}] {text}")
        if not ok:
            self.failures.append(text)

    def workers(self, master):
        procs = odoo_processes(master)
        return procs, [pid for pid, role in procs.items() if role == "worker"]

    def leader_counts(self, worker_pids, ids):
        counts = dict.fromkeys(worker_pids, 0)
        others = 0
        for leader in leaders(self.args.db, ids).values():
            host, _, pid = (leader or "").rpartition(":")
            if host == self.host and pid.isdigit() and int(pid) in counts:
                counts[int(pid)] += 1
            else:
                others += 1
        return counts, others

    def print_processes(self, master, ids, label):
        """Leaders, RSS and connections now; remembers the busiest worker."""
        args = self.args
        procs, worker_pids = self.workers(master)
        counts, others = self.leader_counts(worker_pids, ids)
        led = sum(counts.values())
        print(
            f"  instances led: {led}/{len(ids)} (locked, but ws_leader names no "
            f"live worker: {others})"
        )
        limit = math.ceil(len(ids) / max(1, len(worker_pids))) + 1
        low = min(counts.values()) if counts else 0
        high = max(counts.values()) if counts else 0
        print(f"  per HTTP worker: {sorted(counts.values())} (min {low}, max {high})")
        self.goal(
            bool(counts) and high <= limit,
            f"leaders per process <= ceil(N/{len(worker_pids)})+1 = {limit} "
            f"{label}: max {high}",
        )
        for pid, role in sorted(procs.items()):
            extra = f", leads {counts[pid]}" if pid in counts else ""
            print(f"  pid {pid} {role}: RSS {rss_mb(pid):.0f} MB{extra}")
        busiest = self.busiest = max(counts, key=counts.get) if counts else None
        if busiest is not None:
            rss = rss_mb(busiest)
            self.goal(
                rss <= GOALS["rss_mb"],
                f"busiest process RSS <= {GOALS['rss_mb']} MB {label}: {rss:.0f} MB",
            )
        conns, cluster, limit = pg_connections(args.db)
        print(
            f"  PostgreSQL: {conns} connections to {args.db}, {cluster}/{limit} in all"
        )
        self.goal(
            conns <= GOALS["pg_connections"],
            f"PostgreSQL connections <= {GOALS['pg_connections']} {label}: {conns}",
        )

    def sample_connections(self, farm, seconds=2.0):
        totals, per_home_bad = set(), set()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            stats = farm.stats()
            totals.add(stats["connections"])
            per_home_bad |= {
                i for i, c in enumerate(stats["connections_per_home"]) if c != 1
            }
            time.sleep(0.2)
        return totals, per_home_bad

    def check_connections(self, farm, label):
        totals, bad = self.sample_connections(farm)
        n = len(farm.homes)
        print(
            f"  HA connections {label}: {sorted(totals)} "
            f"(homes without exactly one: {len(bad)})"
        )
        self.goal(totals == {n} and not bad, f"exactly {n} HA connections {label}")

    # ------------------------------------------------------------ phases
    def run(self):
        args = self.args
        print(
            f"bench_many_homes: {args.homes} homes x {args.entities} entities, "
            f"--workers {args.workers}, {args.rate} events/s per home"
        )
        print(f"logs: {args.logdir}/bench_many_homes_*.log")
        farm = Farm(args.homes, args.entities, args.logdir, args.layout)
        servers = []
        ids = []
        try:
            ids = create_instances(args.db, farm.homes)
            ha_states = farm.states()
            print(
                f"simulator up: {len(farm.homes)} homes, "
                f"{farm.stats()['entities']} entities, RSS "
                f"{(farm.stats()['rss_kb'] or 0) / 1024:.0f} MB"
            )
            self.warn_headroom()
            extra = []
            if args.memory_soft:
                extra.append(f"--limit-memory-soft={args.memory_soft * 1024 * 1024}")
            if args.db_maxconn:
                extra.append(f"--db_maxconn={args.db_maxconn}")
            self.leak_dir = Path(tempfile.mkdtemp(prefix="bench_leak_"))
            started = time.monotonic()
            servers.append(
                start_odoo(
                    args.db,
                    args.stage,
                    free_port(),
                    args.workers,
                    self.odoo_log,
                    extra,
                    launcher=[str(ROOT / "bench" / "_odoo_leaky.py"), self.leak_dir],
                )
            )
            servers[0].started = started
            master = servers[0].pid
            for label, step in (
                ("start", lambda: self.phase_mirror(farm, ids, ha_states, servers[0])),
                ("start", lambda: self.print_processes(master, ids, "after the start")),
                ("start", lambda: self.check_connections(farm, "after the start")),
                ("load", lambda: self.phase_load(farm, ids)),
                ("load", lambda: self.print_processes(master, ids, "after the load")),
                ("kill", lambda: self.phase_kill(farm, ids, master)),
                ("kill", lambda: self.print_processes(master, ids, "after the kill")),
                ("recycle", lambda: self.phase_recycle(farm, ids, master)),
            ):
                try:
                    step()
                except (psycopg2.Error, OSError) as exc:
                    self.goal(False, f"{label}: could not measure ({exc})".strip())
        finally:
            stop_servers(servers)
            farm.stop()
            if self.leak_dir is not None:
                for leftover in self.leak_dir.iterdir():
                    leftover.unlink()
                self.leak_dir.rmdir()
            close_connections()
            if ids:
                deactivate(args.db, ids)
        return report(self.failures, "many homes bench: all goals met")

    def phase_mirror(self, farm, ids, ha_states, server):
        args = self.args
        t0 = server.started
        print("\n1. server start -> every home mirrored")
        connected = [None]

        def mirrored():
            if server.poll() is not None:
                raise SystemExit(f"Odoo exited ({server.returncode}): {self.odoo_log}")
            if connected[0] is None and farm.stats()["connections"] >= len(ids):
                connected[0] = time.monotonic() - t0
            return mismatches(ha_states, mirror(args.db, ids), ids)[0] == 0

        took = wait_until(mirrored, args.timeout)
        if connected[0] is not None:
            print(f"  every home connected after {connected[0]:.1f} s")
        if took is None:
            count, homes = mismatches(ha_states, mirror(args.db, ids), ids)
            print(
                f"  not mirrored after {args.timeout:.0f} s: {count} entities "
                f"of {homes} homes differ"
            )
        else:
            took = time.monotonic() - t0
            print(f"  every entity of every home mirrored after {took:.1f} s")
        self.goal(
            took is not None and took <= GOALS["mirrored"],
            f"mirrored <= {GOALS['mirrored']:.0f} s",
        )

    def phase_load(self, farm, ids):
        args = self.args
        print(
            f"\n2. every home busy: {args.rate} events/s each for {LOAD_SECONDS:.0f} s"
        )
        farm.request("load", {"events_per_second": args.rate, "duration": LOAD_SECONDS})
        begin = time.monotonic()
        ended = wait_until(
            lambda: not farm.stats()["load_running"], LOAD_SECONDS + 60, 0.1
        )
        if ended is None:
            self.goal(False, "the simulator's load did not end")
            return
        stats = farm.stats()
        load_end = stats["load_ended"]  # epoch seconds, this machine's clock
        print(
            f"  load sent in {time.monotonic() - begin:.1f} s: "
            f"{stats['events_generated']} events in total, simulator CPU "
            f"{stats['cpu_seconds']} s"
        )
        ha_states = farm.states()
        state = {}

        def equal():
            state["count"], state["homes"] = mismatches(
                ha_states, mirror(args.db, ids), ids
            )
            return state["count"] == 0

        goal = GOALS["equal_after_load"]
        wait_until(equal, max(0.0, load_end + goal - time.time()))
        at_goal = state["count"]
        if at_goal:
            print(
                f"  {goal:.0f} s after the load: {at_goal} entities of "
                f"{state['homes']} homes differ"
            )
            wait_until(equal, args.timeout)
        took = time.time() - load_end if state["count"] == 0 else None
        if took is None:
            print(f"  still {state['count']} mismatches {args.timeout:.0f} s later")
        else:
            print(f"  every mirror equals its HA {took:.2f} s after the load ended")
        self.goal(
            at_goal == 0 and took is not None and took <= goal,
            f"mirror equal <= {goal:.0f} s after the load, 0 mismatches "
            f"(at {goal:.0f} s: {at_goal})",
        )
        self.check_connections(farm, "after the load")

    def phase_kill(self, farm, ids, master):
        args = self.args
        busiest = self.busiest
        print("\n3. kill -9 of the worker leading the most instances")
        if busiest is None:
            self.goal(False, "no worker leads any instance: nothing to kill")
            return
        old = f"{self.host}:{busiest}"
        mine = [i for i, leader in leaders(args.db, ids).items() if leader == old]
        homes = [ids.index(i) for i in mine]
        processes = len(set(leaders(args.db, ids).values()))
        os.kill(busiest, signal.SIGKILL)
        print(f"  killed pid {busiest}, leader of {len(mine)} instances")

        most = [0]  # the most HA connections any one home had, from now on

        def per_home():
            counts = farm.stats()["connections_per_home"]
            most[0] = max(most[0], *counts)
            return counts

        def led_again():
            now = leaders(args.db, mine)
            if len(now) < len(mine) or old in now.values():
                return False
            counts = per_home()
            return all(counts[h] == 1 for h in homes)

        took = wait_until(led_again, args.timeout)
        if took is None:
            now = leaders(args.db, mine)
            print(
                f"  after {args.timeout:.0f} s: {len(now)}/{len(mine)} led, "
                f"{sum(1 for v in now.values() if v == old)} still by the dead pid"
            )
        else:
            print(
                f"  all its homes led again, one HA connection each, after {took:.2f} s"
            )
        self.goal(
            took is not None and took <= GOALS["takeover"],
            f"takeover <= {GOALS['takeover']:.0f} s",
        )
        # Odoo's master forks a new worker, which takes its fair share: the
        # busiest ones hand instances over (a short gap for those homes, never
        # a second connection). Wait until every home has one connection again.
        before = leaders(args.db, ids)

        def rebalanced():
            leading = set(leaders(args.db, ids).values())
            return len(leading) >= processes and all(c == 1 for c in per_home())

        settled = wait_until(rebalanced, args.timeout)
        moved = sum(
            1 for i, leader in leaders(args.db, ids).items() if before.get(i) != leader
        )
        if settled is None:
            print(f"  after {args.timeout:.0f} s: not every home has one connection")
        else:
            print(
                f"  the new worker took its share ({moved} instances moved): "
                f"every home has one connection again after {took + settled:.2f} s"
            )
        self.goal(
            settled is not None and took + settled <= GOALS["takeover"],
            f"one HA connection per home again <= {GOALS['takeover']:.0f} s",
        )
        self.goal(
            most[0] <= 1,
            f"never two HA connections for a home during the takeover: most {most[0]}",
        )
        self.check_connections(farm, "after the takeover")
        procs, workers = self.workers(master)
        counts, _others = self.leader_counts(workers, ids)
        print(
            f"  per HTTP worker now: {sorted(counts.values())} ({len(workers)} workers)"
        )

    def phase_recycle(self, farm, ids, master):
        args = self.args
        limit = args.memory_soft
        print(
            f"\n4. a worker recycled by --limit-memory-soft ({limit} MB) "
            f"while every home is busy"
        )
        procs, workers = self.workers(master)
        counts, _others = self.leader_counts(workers, ids)
        if not counts or not max(counts.values()):
            self.goal(False, "no worker leads any instance: nothing to recycle")
            return
        pid = max(counts, key=counts.get)
        old = f"{self.host}:{pid}"
        mine = [i for i, leader in leaders(args.db, ids).items() if leader == old]
        homes = [ids.index(i) for i in mine]
        query(
            args.db,
            "UPDATE ha_entity SET enable_record = true WHERE ha_instance_id = ANY(%s)"
            " RETURNING 1",
            (mine,),
        )
        vms = vms_mb(pid)
        ballast = max(0, limit - vms) + 256  # over the soft limit, under the hard
        print(
            f"  pid {pid} leads {len(mine)} homes (their entities now recorded), "
            f"virtual memory {vms:.0f} MB; it will map {ballast:.0f} MB more"
        )
        # Its homes only, on a few sensors each, with the events/s of phase 2
        # in all: a sensor changes several times while its home moves, which
        # the snapshot (each entity's last state) alone would not bring back.
        rate = args.rate * len(ids) / len(mine)
        load_start = time.time()
        farm.request(
            "load",
            {
                "events_per_second": rate,
                "duration": RECYCLE_LOAD,
                "homes": homes,
                "sensors": RECYCLE_SENSORS,
            },
        )
        print(
            f"  its homes busy: {rate:.0f} events/s each on {RECYCLE_SENSORS} "
            f"sensors, for {RECYCLE_LOAD:.0f} s"
        )
        time.sleep(2.0)
        (self.leak_dir / f"leak-{pid}").write_text(str(int(ballast * 1024 * 1024)))
        print(f"  2 s into the load: pid {pid} leaks")

        # Sampled from now on: how long each home goes without a connection
        # (its homes move once, those the new worker takes move again).
        unled_since, longest, most = {}, dict.fromkeys(range(len(ids)), 0.0), [0]

        def sample():
            counts_now = farm.stats()["connections_per_home"]
            now = time.monotonic()
            most[0] = max(most[0], *counts_now)
            for home, count in enumerate(counts_now):
                if count == 0:
                    unled_since.setdefault(home, now)
                elif home in unled_since:
                    longest[home] = max(longest[home], now - unled_since.pop(home))
            return counts_now

        led_at = [None]  # when every one of its homes was led elsewhere

        def led_again():
            counts_now = sample()
            now = leaders(args.db, mine)
            done = (
                len(now) == len(mine)
                and old not in now.values()
                and all(counts_now[h] == 1 for h in homes)
            )
            if done and led_at[0] is None:
                led_at[0] = time.time()
            return done

        exited = wait_until(
            lambda: (led_again(), not Path(f"/proc/{pid}").exists())[1], 60, 0.1
        )
        if exited is None:
            self.goal(False, f"pid {pid} was not recycled within 60 s")
            return
        exit_at = time.monotonic()
        print(f"  pid {pid} exited {exited:.2f} s after the leak")
        limit_line, exiting = self.recycle_lines(pid)
        self.goal(
            bool(limit_line),
            f"Odoo recycled pid {pid} for its memory limit (log: "
            f"{limit_line or 'no such line'})",
        )
        if led_at[0] is None and wait_until(led_again, args.timeout, 0.1) is None:
            self.goal(False, f"its homes not led again within {args.timeout:.0f} s")
            return
        took = led_at[0] - exiting if exiting else None
        print(
            "  all its homes led again, one HA connection each, "
            + (f"{took:.2f} s after Odoo's 'exiting'" if took is not None else "")
        )
        self.goal(
            took is not None and took <= GOALS["takeover"],
            f"recycled worker's homes led again <= {GOALS['takeover']:.0f} s",
        )

        def rebalanced():
            sample()
            _procs, now_workers = self.workers(master)
            leading = set(leaders(args.db, ids).values())
            return len(now_workers) == args.workers and len(leading) >= min(
                args.workers, len(ids)
            )

        settled = wait_until(rebalanced, args.timeout, 0.1)
        if settled is None:
            self.goal(False, "the new worker took no share")
        else:
            print(
                f"  the new worker leads its share "
                f"{time.monotonic() - exit_at:.2f} s after the exit"
            )
        for home, since in unled_since.items():
            longest[home] = max(longest[home], time.monotonic() - since)
        moved = sum(1 for gap in longest.values() if gap)
        print(
            f"  homes seen without an HA connection: {moved}; the longest gap: "
            f"{max(longest.values()):.2f} s (sampled every 0.1 s or so)"
        )
        self.goal(most[0] <= 1, f"never two HA connections for a home: most {most[0]}")

        # The load goes on: the mirror must equal HA after it, and the history
        # hold every change HA recorded, the handover's included.
        ended = wait_until(lambda: not farm.stats()["load_running"], 60, 0.1)
        if ended is None:
            self.goal(False, "the simulator's load did not end")
            return
        load_end = farm.stats()["load_ended"]
        ha_states = farm.states()
        left = [None]

        def equal():
            left[0] = mismatches(ha_states, mirror(args.db, ids), ids)[0]
            return left[0] == 0

        # Up to 252 homes moved while the load ran, each starting with a full
        # sync: the bound is the handover's, not phase 2's.
        goal = GOALS["takeover"]
        wait_until(equal, max(0.0, load_end + goal - time.time()))
        at_goal = left[0]
        if at_goal == 0:
            print(f"  every mirror equals its HA {time.time() - load_end:.2f} s after")
        self.goal(
            at_goal == 0,
            f"mirror equal <= {goal:.0f} s after the load (mismatches then: {at_goal})",
        )
        self.check_history(farm, homes, mine, ha_states, (load_start, load_end))
        self.check_connections(farm, "after the recycle")
        self.print_processes(master, ids, "after the recycle")

    def recycle_lines(self, pid):
        """(Odoo's "memory limit reached" text, epoch time of its "exiting")."""
        limit, exiting = None, None
        for line in Path(self.odoo_log).read_text(errors="replace").splitlines():
            if f"Worker ({pid}) virtual memory limit" in line:
                limit = line.split("odoo.service.server: ")[-1].strip()
            elif f"Worker ({pid}) exiting" in line:
                stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                exiting = stamp.timestamp()  # the log's local time, as time.time()
        return limit, exiting

    def check_history(self, farm, homes, mine, ha_states, window):
        """Every change HA recorded in ``window`` for ``homes`` is mirrored."""
        args = self.args
        load_start, load_end = window
        expected = {}
        for home, instance_id in zip(homes, mine, strict=True):
            entity_ids = list(ha_states[home])
            expected[instance_id] = ha_changes(
                farm.homes[home], entity_ids, load_start, load_end
            )
        total = sum(len(v) for v in expected.values())
        missing, lacking = [None], {}

        def complete():
            have = odoo_changes(args.db, mine, load_start, load_end)
            lacking.update({i: sorted(expected[i] - have[i]) for i in mine})
            missing[0] = sum(len(v) for v in lacking.values())
            return missing[0] == 0

        filled = wait_until(complete, 30)
        print(
            f"  history: {total} changes recorded by HA in its homes during the "
            f"load; missing from the mirror: {missing[0]}"
            + (
                f" (complete {filled:.2f} s after the check began)"
                if filled is not None
                else ""
            )
        )
        if missing[0]:
            out = Path(args.logdir) / "bench_many_homes_missing.json"
            out.write_text(
                json.dumps(
                    {
                        "load_start_ms": round(load_start * 1000),
                        "missing": {str(i): v for i, v in lacking.items() if v},
                    },
                    indent=1,
                )
            )
            print(f"  the missing changes: {out}")
        self.goal(
            missing[0] == 0,
            f"no gap in the mirror's history: {missing[0]} of {total} changes missing",
        )


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--homes", type=int, default=500)
    parser.add_argument("--entities", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10, help="events/s per home")
    parser.add_argument(
        "--memory-soft",
        type=int,
        default=1024,
        metavar="MB",
        help="Odoo's --limit-memory-soft in MB (Odoo compares it with virtual "
        "memory; its default is 2048): the recycled worker is made to exceed it",
    )
    parser.add_argument(
        "--db-maxconn",
        type=int,
        metavar="N",
        help="Odoo's --db_maxconn (connections per process; Odoo's default "
        "is 64): on a shared PostgreSQL, keep (workers + 2) x N under its "
        "max_connections",
    )
    parser.add_argument(
        "--layout",
        choices=("ports", "paths"),
        default="ports",
        help="simulator homes on a port each, or under /home/<i> of one port",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=180,
        help="longest wait of a phase, in seconds (goals are shorter)",
    )
    args = parser.parse_args()
    if args.homes < 1 or args.workers < 1:
        parser.error("--homes and --workers must be at least 1")

    def interrupted(signum, _frame):
        raise SystemExit(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
