"""Throughput of the HA simulator's state_changed stream to one client.

Starts ``python -m tools.ha_simulator`` in a subprocess, connects one raw
``websockets`` client that enables ``coalesce_messages`` and subscribes to
``state_changed``, drives ``/_simulator/load`` at max rate for ~5 s and
prints the events/s received.  Exits 1 below ``--target`` (default 20000).

This measures the simulator, so the client is kept light: it counts the
event messages of each coalesced frame with a byte search for their fixed
JSON prefix (a quote inside a JSON string is escaped, so the prefix cannot
occur inside a value), and fully ``json.loads`` every ``--verify-every``-th
frame plus the last one, checking that each message is a ``state_changed``
event of our subscription and that the count matches.  A mismatch fails the
run.  ``--full-decode`` decodes every frame instead (then on a small, busy
machine the client's own JSON decoding is usually the limit; what our real
client sustains is measured by ``bench_ws_client_events.py``).

    python bench/bench_simulator_events.py [--duration 5] [--target 20000]
        [--verify-every 8] [--full-decode]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

import requests
from websockets.sync.client import connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-token"
SUB_ID = 2
# How the simulator (like HA) starts every message of a state_changed event.
EVENT_PREFIX = b'{"type":"event","event":{"event_type":"state_changed",'


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--entities", type=int, default=200)
    parser.add_argument("--target", type=float, default=20000)
    parser.add_argument("--verify-every", type=int, default=8)
    parser.add_argument("--full-decode", action="store_true")
    args = parser.parse_args()
    verify_every = 1 if args.full_decode else max(1, args.verify_every)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.ha_simulator", "--port", str(port)]
        + ["--token", TOKEN, "--demo"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        print(proc.stdout.readline().strip())
        url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        session = requests.Session()
        session.trust_env = False
        with connect(f"ws://127.0.0.1:{port}/api/websocket", max_size=None) as ws:
            ws.recv()
            ws.send(json.dumps({"type": "auth", "access_token": TOKEN}))
            assert json.loads(ws.recv())["type"] == "auth_ok"
            features = {"coalesce_messages": 1}
            ws.send(
                json.dumps(
                    {"id": 1, "type": "supported_features", "features": features}
                )
            )
            ws.recv()
            ws.send(
                json.dumps(
                    {
                        "id": SUB_ID,
                        "type": "subscribe_events",
                        "event_type": "state_changed",
                    }
                )
            )
            ws.recv()
            # create the load entities first so the timed run is steady-state
            session.post(
                url + "/_simulator/burst",
                headers=headers,
                json={"n": args.entities, "entities": args.entities},
            )
            drain(ws, 1.0)
            session.post(
                url + "/_simulator/load",
                headers=headers,
                json={
                    "events_per_second": 0,
                    "entities": args.entities,
                    "duration": args.duration,
                },
            )
            received, frames, verified, first, last = 0, 0, 0, None, None
            frame = None
            cpu = time.process_time()
            deadline = time.monotonic() + args.duration + 10
            while time.monotonic() < deadline:
                try:
                    frame = ws.recv(timeout=1.0, decode=False)
                except TimeoutError:
                    if received:
                        break
                    continue
                now = time.monotonic()
                first = first or now
                last = now
                frames += 1
                if frames % verify_every == 0:
                    received += verify(frame)
                    verified += 1
                else:
                    received += frame.count(EVENT_PREFIX)
            cpu = time.process_time() - cpu
            if frame is not None and frames % verify_every:
                verify(frame)  # the last frame is always checked
                verified += 1
        elapsed = (last - first) if received else 0
        rate = received / elapsed if elapsed else 0.0
        print(
            f"received {received} state_changed events in {elapsed:.2f}s "
            f"({frames} frames, {verified} fully decoded, client CPU {cpu:.2f}s): "
            f"{rate:,.0f} events/s (target {args.target:,.0f})"
        )
        return 0 if rate >= args.target else 1
    finally:
        proc.terminate()
        proc.wait(10)


def verify(frame):
    """Fully decode one frame; return its event count after checking it."""
    payload = json.loads(frame)
    msgs = payload if isinstance(payload, list) else [payload]
    for msg in msgs:
        if (
            msg.get("type") != "event"
            or msg.get("id") != SUB_ID
            or msg["event"]["event_type"] != "state_changed"
            or not msg["event"]["data"]["entity_id"]
        ):
            raise SystemExit(f"unexpected message in the stream: {msg!r:.300}")
    if len(msgs) != frame.count(EVENT_PREFIX):
        raise SystemExit(
            f"prefix count {frame.count(EVENT_PREFIX)} != {len(msgs)} decoded"
        )
    return len(msgs)


def drain(ws, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            ws.recv(timeout=0.2)
        except TimeoutError:
            return


if __name__ == "__main__":
    sys.exit(main())
