"""``python -m tools.ha_simulator --host 127.0.0.1 --port PORT --token TOKEN``."""

import argparse
import asyncio
import signal

from .server import Simulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.ha_simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--token", required=True)
    parser.add_argument("--demo", action="store_true", help="demo home (default)")
    parser.add_argument("--entities", type=int, help="synthetic home size")
    parser.add_argument("--devices", type=int)
    parser.add_argument("--areas", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args))


async def _serve(args):
    sim = Simulator(
        args.host,
        args.port,
        args.token,
        demo=True,
        entities=args.entities,
        devices=args.devices,
        areas=args.areas,
        seed=args.seed,
    )
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"HA simulator ready on http://{args.host}:{sim.port} "
        f"({len(sim.home.states)} entities)",
        flush=True,
    )
    await stop.wait()
    await sim.stop()


if __name__ == "__main__":
    main()
