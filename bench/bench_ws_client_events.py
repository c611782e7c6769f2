"""Benchmark: state_changed events decoded and dispatched by our WS client.

Starts the HA simulator (in its own process by default, like a real Home
Assistant; ``--in-process`` runs it on a thread of this process instead),
connects ``HassWebSocketClient`` with message coalescing on, subscribes to
``state_changed`` and drives the simulator's load generator at full speed.

Prints the events/s our client decoded (``json.loads``) and handed to the
handler, and the client's CPU cost per event.

On small machines the simulator itself (pure Python, one core) may produce
fewer events than the client can take.  A second phase therefore records the
simulator's own coalesced frames during a ``burst`` and replays them from a
minimal peer in another process, which measures the client alone.  The gate
(exit 1 below ``--target``) applies to the best of the two phases; both are
printed.

    python bench/bench_ws_client_events.py [--duration 5] [--target 20000]
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import requests
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _paths import ROOT, load_common, load_simulator  # noqa: E402

(hws,) = load_common("hass_websocket_service")
TOKEN = "bench-token"


class _SimProcess:
    """The simulator in a child process, controlled over its REST knobs."""

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.ha_simulator", "--port", "0"]
            + ["--host", "127.0.0.1", "--token", TOKEN, "--demo"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        if "ready on " not in line:
            self.proc.kill()
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.url = line.split("ready on ", 1)[1].split()[0]
        self.ws_url = self.url.replace("http", "ws", 1) + "/api/websocket"
        return self

    def __exit__(self, *exc_info):
        self.proc.terminate()
        self.proc.wait(10)

    def _post(self, knob, payload):
        response = requests.post(
            f"{self.url}/_simulator/{knob}",
            json=payload,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=120,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def load(self, events_per_second, entities, duration):
        self._post(
            "load",
            {
                "events_per_second": events_per_second,
                "entities": entities,
                "duration": duration,
            },
        )

    def burst(self, n, entities):
        self._post("burst", {"n": n, "entities": entities})

    def stats(self):
        response = requests.get(
            f"{self.url}/_simulator/stats",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()


async def measure(sim, duration, entities, expected=None):
    count = 0
    first = last = None
    clock = time.perf_counter

    def on_event(event):
        # what a consumer does first: read the entity and its new state
        nonlocal count, first, last
        data = event["data"]
        data["entity_id"], data["new_state"]["state"]
        count += 1
        if first is None:
            first = clock()
        last = clock()

    client = hws.HassWebSocketClient(sim.ws_url, TOKEN, ping_interval=None)
    await client.connect()
    await client.subscribe_events("state_changed", on_event)
    cpu_before = time.process_time()
    await asyncio.to_thread(sim.load, 0, entities, duration)
    deadline = time.monotonic() + duration + 30
    seen = -1
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05 if expected else 1.0)
        if expected and count >= expected:
            break
        if count == seen and count and not expected:
            break  # stream over
        seen = count
    cpu = time.process_time() - cpu_before
    await client.close()
    return count, (last - first) if count > 1 else 0.0, cpu


async def record_frames(sim, events, entities):
    """Raw coalesced frames of ``events`` state_changed events (ids 1, 2)."""
    frames = []
    async with connect(sim.ws_url, max_size=None) as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "auth", "access_token": TOKEN}))
        await ws.recv()
        features = {"coalesce_messages": 1}
        await ws.send(
            json.dumps({"id": 1, "type": "supported_features", "features": features})
        )
        await ws.recv()
        await ws.send(
            json.dumps(
                {"id": 2, "type": "subscribe_events", "event_type": "state_changed"}
            )
        )
        await ws.recv()
        burst = asyncio.ensure_future(asyncio.to_thread(sim.burst, events, entities))
        got = 0
        while got < events:
            frame = await asyncio.wait_for(ws.recv(), 10)
            data = json.loads(frame)
            got += len(data) if isinstance(data, list) else 1
            frames.append(frame)
        await burst
    return frames, got


def replay_server(path):
    """Child process: answer the handshake, then send the recorded frames."""
    with open(path, encoding="utf-8") as handle:
        frames = [line.rstrip("\n").encode() for line in handle]

    async def handler(ws):
        await ws.send(json.dumps({"type": "auth_required", "ha_version": "2025.4.4"}))
        await ws.recv()
        await ws.send(json.dumps({"type": "auth_ok", "ha_version": "2025.4.4"}))
        for _ in range(2):  # supported_features, subscribe_events
            msg = json.loads(await ws.recv())
            await ws.send(
                json.dumps(
                    {"id": msg["id"], "type": "result", "success": True, "result": None}
                )
            )
        for frame in frames:
            await ws.send(frame, text=True)
        await ws.wait_closed()

    async def run():
        async with serve(handler, "127.0.0.1", 0, max_size=None) as server:
            port = server.sockets[0].getsockname()[1]
            print(f"ready ws://127.0.0.1:{port}/api/websocket", flush=True)
            await asyncio.Event().wait()

    asyncio.run(run())


class _Replay:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--replay-server", self.path],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ws_url = self.proc.stdout.readline().split()[1]
        return self

    def __exit__(self, *exc_info):
        self.proc.terminate()
        self.proc.wait(10)

    def load(self, *args):
        pass  # the frames flow as soon as the subscription is made


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--entities", type=int, default=100)
    parser.add_argument("--target", type=float, default=20000.0)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--replay-events", type=int, default=200000)
    parser.add_argument("--replay-server", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replay_server:
        replay_server(args.replay_server)
        return 0
    if args.in_process:
        sim_cm = load_simulator().SimulatorThread(token=TOKEN, demo=True, port=0)
    else:
        sim_cm = _SimProcess()
    with sim_cm as sim:
        count, elapsed, cpu = asyncio.run(measure(sim, args.duration, args.entities))
        generated = sim.stats().get("events_generated")
        frames, recorded = asyncio.run(
            record_frames(sim, args.replay_events, args.entities)
        )
    sim_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    sim_cpu = sim_cpu.ru_utime + sim_cpu.ru_stime
    rate = count / elapsed if elapsed else 0.0
    per_event = cpu / count * 1e6 if count else float("nan")
    mode = "in-process" if args.in_process else "separate process"
    print(f"simulator ({mode}) generated: {generated} events")
    if not args.in_process:
        print(f"simulator process CPU: {sim_cpu:.2f} s")
    print(f"client received: {count} events in {elapsed:.2f} s")
    print(f"client throughput: {rate:,.0f} events/s (target {args.target:,.0f})")
    print(
        f"client CPU: {cpu:.2f} s, {per_event:.1f} us/event "
        f"(capacity ~{1e6 / per_event:,.0f} events/s per core)"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        handle.write("\n".join(frames) + "\n")
    try:
        with _Replay(handle.name) as replay:
            r_count, r_elapsed, r_cpu = asyncio.run(measure(replay, 0, 0, recorded))
    finally:
        os.unlink(handle.name)
    r_rate = r_count / r_elapsed if r_elapsed else 0.0
    print(
        f"replay of {len(frames)} recorded simulator frames ({recorded} events): "
        f"{r_count} events in {r_elapsed:.2f} s = {r_rate:,.0f} events/s, "
        f"client CPU {r_cpu / max(r_count, 1) * 1e6:.1f} us/event"
    )
    rate = max(rate, r_rate)
    print(f"best client throughput: {rate:,.0f} events/s (target {args.target:,.0f})")
    if rate < args.target:
        print("FAIL: below target")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
