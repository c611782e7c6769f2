"""``python -m tools.ha_simulator``: one home, or ``--homes N`` of them.

One home::

    python -m tools.ha_simulator --port PORT --token TOKEN [--entities N ...]

A farm of homes (one process, one event loop)::

    python -m tools.ha_simulator --homes 500 --entities 50 --port 20000 \\
        [--layout ports|paths] [--token PREFIX] [--homes-file homes.json]

The first line on stdout is always ``HA simulator ready ...``.  A farm then
describes its homes as JSON (one line on stdout, or the ``--homes-file``,
written before the ready line)::

    {"layout": "ports", "host": "127.0.0.1",
     "admin_url": "http://127.0.0.1:20000", "admin_token": "...",
     "homes": [{"index": 0, "name": "Simulated Home 0",
                "url": "http://127.0.0.1:20000",
                "ws_url": "ws://127.0.0.1:20000/api/websocket",
                "token": "...", "entities": 50}, ...]}
"""

import argparse
import asyncio
import json
import os
import signal
import sys

from .homes import HomeFarm
from .server import Simulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.ha_simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        default=8123,
        help="port (0: any free one); with --homes, the base port",
    )
    parser.add_argument(
        "--token",
        help="the access token; with --homes, a prefix (home i: PREFIX-i; "
        "random tokens without it)",
    )
    parser.add_argument("--demo", action="store_true", help="demo home (default)")
    parser.add_argument("--entities", type=int, help="synthetic home size")
    parser.add_argument("--devices", type=int)
    parser.add_argument("--areas", type=int)
    parser.add_argument("--seed", type=int, default=0)
    farm = parser.add_argument_group("many homes")
    farm.add_argument(
        "--homes", type=int, help="serve N synthetic homes (default 50 entities each)"
    )
    farm.add_argument(
        "--layout",
        choices=("ports", "paths"),
        default="ports",
        help="ports: home i on port+i; paths: one port, home i under /home/i",
    )
    farm.add_argument("--homes-file", help="write the homes' JSON here, not stdout")
    farm.add_argument("--admin-token", help="token of /_simulator/farm/* (random)")
    args = parser.parse_args(argv)
    if args.homes is None and not args.token:
        parser.error("--token is required (unless --homes)")
    if args.homes is not None and args.homes < 1:
        parser.error("--homes must be at least 1")
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(f"HA simulator could not listen: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(args):
    if args.homes is not None:
        server = HomeFarm(
            args.host,
            args.port,
            args.homes,
            entities=args.entities or 50,
            devices=args.devices,
            areas=args.areas,
            seed=args.seed,
            layout=args.layout,
            token=args.token,
            admin_token=args.admin_token,
        )
    else:
        server = Simulator(
            args.host,
            args.port,
            args.token,
            demo=True,
            entities=args.entities,
            devices=args.devices,
            areas=args.areas,
            seed=args.seed,
        )
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.homes is None:
        print(
            f"HA simulator ready on http://{args.host}:{server.port} "
            f"({len(server.home.states)} entities)",
            flush=True,
        )
    else:
        description = json.dumps(server.describe())
        if args.homes_file:
            tmp = f"{args.homes_file}.tmp"
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(description + "\n")
            os.replace(tmp, args.homes_file)
        ports = sorted({sim.port for sim in server.homes})
        if args.layout == "paths":
            where = f"http://{args.host}:{ports[0]}/home/<i>"
        elif ports[-1] - ports[0] == len(ports) - 1:
            where = f"ports {ports[0]}-{ports[-1]}"
        else:  # --port 0: any free port each
            where = f"{len(ports)} ports (see the JSON)"
        print(
            f"HA simulator ready: {len(server.homes)} homes on {where} "
            f"({len(server.homes[0].home.states)} entities each)",
            flush=True,
        )
        if not args.homes_file:
            print(description, flush=True)
    await stop.wait()
    await server.stop()


if __name__ == "__main__":
    sys.exit(main())
