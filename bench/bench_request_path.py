"""Odoo → HA command path: JSON route round trip next to HA's own reply time.

Starts the HA simulator and one Odoo server (``--workers 2``, so a request
lands either on the worker holding the HA connection or on the other one,
which goes through ``ha.ws.request.queue``), logs in as admin and calls
``/odoo_ha_addon/call_service`` (input_boolean.toggle) N times. Each round
also sends the same command straight to the simulator with our WebSocket
client (HA's own reply time, under the same load as the route: a shared
machine's noise hits both alike) and calls Odoo's own
``/web/webclient/version_info`` JSON route (no ORM work: Odoo's floor, to
tell the addon's share from the framework's). Prints p50/p95 of each and the
overhead; the goal is route p95 <= HA p95 + 20 ms. HA's reply time alone, on
a quiet machine after Odoo has stopped, is printed too.

The HTTP client is ``http.client`` with one connection per call, as Odoo's
prefork workers speak HTTP/1.0.

    python bench/bench_request_path.py --db <db with the addon> --stage <dir>
"""

import argparse
import asyncio
import http.client
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paths import load_common  # noqa: E402
from bench_failover import (  # noqa: E402
    TOKEN,
    Sim,
    free_port,
    new_instance,
    odoo_up,
    query,
    served_by,
    start_odoo,
    wait_for,
    ws_leader,
)

ENTITY = "input_boolean.guest_mode"


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


class Session:
    """A lean JSON-RPC client: one connection per call, the session cookie."""

    def __init__(self, port):
        self.port = port
        self.cookie = None

    def json(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params})
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", path, body, headers)
            resp = conn.getresponse()
            payload = json.loads(resp.read())
            cookie = resp.getheader("Set-Cookie")
        finally:
            conn.close()
        if cookie and cookie.startswith("session_id="):
            self.cookie = cookie.split(";", 1)[0]
        if "error" in payload:
            raise RuntimeError(payload["error"]["data"]["message"])
        return payload.get("result")

    def authenticate(self, db, login="admin", password="admin"):
        """Log in as ``login`` (the admin by default): this session."""
        self.json(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        return self

    def call(self, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)``, as the web client calls it."""
        return self.json(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
        )

    def timed(self, path, params):
        started = time.perf_counter()
        result = self.json(path, params)
        return (time.perf_counter() - started) * 1000, result


class DirectHa:
    """Our WebSocket client straight to HA, driven call by call."""

    def __init__(self, ws_url):
        (ws,) = load_common("hass_websocket_service")
        self.loop = asyncio.new_event_loop()
        self.client = ws.HassWebSocketClient(ws_url, TOKEN, ping_interval=None)
        self.loop.run_until_complete(self.client.connect())

    def timed_toggle(self):
        started = time.perf_counter()
        self.loop.run_until_complete(
            self.client.call_service(
                "input_boolean", "toggle", target={"entity_id": ENTITY}
            )
        )
        return (time.perf_counter() - started) * 1000

    def close(self):
        self.loop.run_until_complete(self.client.close())
        self.loop.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--logdir", default="/tmp")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds between two calls (default 0: back to back)",
    )
    parser.add_argument(
        "--odoo-arg",
        action="append",
        default=[],
        help="one more odoo-bin argument (repeatable), e.g. --log-handler=...",
    )
    args = parser.parse_args()

    sim = Sim()
    try:
        return _measure(args, sim)
    finally:
        sim.stop()


def _measure(args, sim):
    port = free_port()
    server = None
    ws_url = sim.url.replace("http", "ws") + "/api/websocket"
    try:
        instance_id = new_instance(args.db, sim.url, drop_same_name=False)
        logfile = f"{args.logdir}/bench_rp.log"
        server = start_odoo(args.db, args.stage, port, 2, logfile, args.odoo_arg)
        base = f"http://127.0.0.1:{port}"
        synced = wait_for(
            lambda: query(
                args.db,
                "SELECT count(*) FROM ha_entity WHERE ha_instance_id = %s"
                " AND entity_id = %s",
                (instance_id, ENTITY),
            )[0][0],
            60,
        )
        if not synced:
            raise SystemExit("the mirror never got the entity")
        session = Session(port)
        wait_for(lambda: odoo_up(base), 30)
        session.authenticate(args.db)
        params = {
            "domain": "input_boolean",
            "service": "toggle",
            "service_data": {"entity_id": ENTITY},
            "ha_instance_id": instance_id,
        }
        for _ in range(10):  # warm-up: both workers, registry caches
            result = session.json("/odoo_ha_addon/call_service", params)
            if not result.get("success"):
                raise SystemExit(f"call_service failed: {result}")
        direct = DirectHa(ws_url)
        route, floor, auth_floor, ha = [], [], [], []
        try:
            for _ in range(args.count):
                elapsed, _result = session.timed("/web/webclient/version_info", {})
                floor.append(elapsed)
                elapsed, _result = session.timed("/web/session/check", {})
                auth_floor.append(elapsed)
                elapsed, result = session.timed("/odoo_ha_addon/call_service", params)
                route.append(elapsed)
                if not result.get("success"):
                    raise SystemExit(f"call_service failed: {result}")
                ha.append(direct.timed_toggle())
                time.sleep(args.pause)
        finally:
            direct.close()
        leader_pid = int(ws_leader(args.db, instance_id).rsplit(":", 1)[1])
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(20)
    direct = DirectHa(ws_url)
    quiet = [direct.timed_toggle() for _ in range(args.count)]
    direct.close()

    r50, r95 = percentile(route, 50), percentile(route, 95)
    h50, h95 = percentile(ha, 50), percentile(ha, 95)
    f50, f95 = percentile(floor, 50), percentile(floor, 95)
    q50, q95 = percentile(quiet, 50), percentile(quiet, 95)
    a50, a95 = percentile(auth_floor, 50), percentile(auth_floor, 95)
    print(
        f"JSON route -> HA -> result ({args.count} calls): "
        f"p50 {r50:.2f} ms  p95 {r95:.2f} ms"
    )
    print(
        "HA's own reply (same command, our WS client, same rounds): "
        f"p50 {h50:.2f} ms  p95 {h95:.2f} ms"
    )
    print(
        "Odoo's floor (/web/webclient/version_info, same rounds): "
        f"p50 {f50:.2f} ms  p95 {f95:.2f} ms"
    )
    print(
        "Odoo's floor for a logged-in user (/web/session/check, same rounds): "
        f"p50 {a50:.2f} ms  p95 {a95:.2f} ms"
    )
    print(
        "HA's own reply alone (after Odoo stopped): "
        f"p50 {q50:.2f} ms  p95 {q95:.2f} ms"
    )
    print(
        f"overhead: p50 {r50 - h50:.2f} ms  p95 {r95 - h95:.2f} ms"
        " (goal p95 <= HA + 20 ms)"
    )
    print(f"mean route {statistics.mean(route):.2f} ms over {len(route)} calls")
    # Which worker served each call (from Odoo's access log, in call order):
    # the one holding the HA connection, or the other (through the queue).
    pids = served_by(logfile, "/odoo_ha_addon/call_service ")[-len(route) :]
    if len(pids) == len(route):
        for label, keep in (
            ("served by the worker holding HA's connection", True),
            ("served by the other worker (queued)", False),
        ):
            times = [
                t
                for t, pid in zip(route, pids, strict=True)
                if (pid == leader_pid) == keep
            ]
            if times:
                p50, p95 = percentile(times, 50), percentile(times, 95)
                print(
                    f"  {label}: {len(times)} calls, p50 {p50:.2f} ms  p95 {p95:.2f} ms"
                )
    return 0 if r95 <= h95 + 20 else 1


if __name__ == "__main__":
    sys.exit(main())
