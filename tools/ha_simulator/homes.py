"""Many simulated homes in one process: a farm for multi-instance benches.

Every home is a full :class:`~.server.Simulator` (its own token, entities,
registries, connections, counters and knobs) with a synthetic home.  Two
layouts:

* ``ports``: home ``i`` listens on ``port + i`` (any free port each when
  ``port`` is 0), at the root like a real Home Assistant;
* ``paths``: one listener on ``port``; home ``i`` lives under ``/home/<i>``
  (``http://host:port/home/7/api/websocket``).

Farm-wide control endpoints answer on every home's listener (``ports``) or
on the shared one (``paths``), with the farm's admin token rather than a
home's:

=======================================  =====================================
``GET  /_simulator/farm/stats``          totals and per-home connections
``GET  /_simulator/farm/states``         {home index: {entity_id: state}};
                                         ``?home=i`` for one home
``POST /_simulator/farm/load``           {events_per_second, duration,
                                         homes?, sensors?}: every (listed)
                                         home's own sensors (its first
                                         ``sensors``) change at that rate
                                         each, all driven by one task
``POST /_simulator/farm/drop_connections``  abrupt close, every home
=======================================  =====================================

An idle farm does nothing: no timers, only sockets waiting.
"""

import asyncio
import resource
import secrets
import time

from .server import HttpFront, Simulator

HOME_PREFIX = "/home/"
FARM_TICK = 0.02  # seconds between two turns of the farm's load driver


class HomeFarm:
    """``count`` synthetic homes served from this event loop."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        count=2,
        entities=50,
        devices=None,
        areas=None,
        seed=0,
        layout="ports",
        token=None,
        admin_token=None,
    ):
        if layout not in ("ports", "paths"):
            raise ValueError(f"layout must be 'ports' or 'paths', not {layout!r}")
        if count < 1:
            raise ValueError("a farm needs at least one home")
        self.host = host
        self.port = port
        self.layout = layout
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.front = None
        self.homes = []
        self._load_task = None
        self.loads_done = 0
        self.load_ended = None  # epoch seconds the last load's events were out
        for idx in range(count):
            home_token = f"{token}-{idx}" if token else secrets.token_urlsafe(24)
            if layout == "ports":
                sim = Simulator(
                    host,
                    port + idx if port else 0,
                    home_token,
                    entities=entities,
                    devices=devices or max(1, entities // 5),
                    areas=areas or min(10, entities),
                    seed=seed + idx,
                )
            else:
                sim = Simulator(
                    host,
                    port,
                    home_token,
                    entities=entities,
                    devices=devices or max(1, entities // 5),
                    areas=areas or min(10, entities),
                    seed=seed + idx,
                    listen=False,
                    base_path=f"{HOME_PREFIX}{idx}",
                )
            sim.farm = self
            sim.home.config["location_name"] = f"Simulated Home {idx}"
            self.homes.append(sim)

    # ---------------------------------------------------------- lifecycle
    async def start(self):
        if self.layout == "paths":
            self.front = HttpFront(self.host, self.port, self._route)
            await self.front.start()
            self.port = self.front.port
            for sim in self.homes:
                sim.port = self.port
        try:
            for sim in self.homes:
                await sim.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self):
        if self._load_task is not None:
            self._load_task.cancel()
        for sim in self.homes:
            await sim.stop()
        if self.front is not None:
            self.front.close()

    def _route(self, target):
        """``/home/<i>/rest`` -> (home i, ``/rest``); farm control -> home 0."""
        if target.startswith("/_simulator/farm/"):
            return self.homes[0], target
        if not target.startswith(HOME_PREFIX):
            return None
        head, sep, rest = target[len(HOME_PREFIX) :].partition("/")
        if not head.isdigit() or int(head) >= len(self.homes):
            return None
        return self.homes[int(head)], sep + rest if sep else "/"

    # --------------------------------------------------------- description
    def describe(self):
        """What a bench needs to configure one HA instance per home (JSON)."""
        return {
            "layout": self.layout,
            "host": self.host,
            "admin_url": self.homes[0].url if self.layout == "ports" else self.url,
            "admin_token": self.admin_token,
            "homes": [
                {
                    "index": idx,
                    "name": sim.home.config["location_name"],
                    "url": sim.url,
                    "ws_url": sim.url.replace("http", "ws", 1) + "/api/websocket",
                    "token": next(iter(sim.tokens)),
                    "entities": len(sim.home.states),
                }
                for idx, sim in enumerate(self.homes)
            ],
        }

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------- control
    def stats(self):
        per_home = [
            sum(1 for c in sim.connections if c.authenticated) for sim in self.homes
        ]
        totals = {"auth_ok": 0, "auth_invalid": 0, "events_generated": 0}
        for sim in self.homes:
            for key in totals:
                totals[key] += sim.counters[key]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        rss_kb = None
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        rss_kb = int(line.split()[1])
        except OSError:
            pass
        return {
            "homes": len(self.homes),
            "connections": sum(per_home),
            "connections_per_home": per_home,
            "entities": sum(len(sim.home.states) for sim in self.homes),
            "load_running": self._load_task is not None and not self._load_task.done(),
            "loads_done": self.loads_done,
            "load_ended": self.load_ended,
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "rss_kb": rss_kb,
            "max_rss_kb": usage.ru_maxrss,
            **totals,
        }

    def states(self, index=None):
        homes = (
            range(len(self.homes)) if index is None else [int(index)]
        )  # IndexError on a bad index
        return {
            str(idx): {eid: st.state for eid, st in self.homes[idx].home.states.items()}
            for idx in homes
        }

    def drop_connections(self):
        for sim in self.homes:
            sim.drop_connections()

    def load(self, events_per_second=10.0, duration=10.0, homes=None, sensors=None):
        """Every home's own sensors change ``events_per_second`` times a second.

        ``sensors``: only the first that many sensors of each home change.

        One task drives every home (a task per home would cost hundreds of
        wake-ups per tick); a load still running is cancelled first.
        Returns the task, whose result is the number of events per home.
        """
        if self._load_task is not None and not self._load_task.done():
            self._load_task.cancel()
        picked = self.homes if homes is None else [self.homes[i] for i in homes]
        self._load_task = asyncio.get_running_loop().create_task(
            self._drive(picked, float(events_per_second), float(duration), sensors)
        )
        return self._load_task

    async def _drive(self, homes, rate, duration, limit=None):
        sensors = [sim.existing_sensors()[:limit] for sim in homes]
        total = int(rate * duration)
        begin = time.monotonic()
        sent = 0
        while sent < total:
            elapsed = time.monotonic() - begin
            due = total if elapsed >= duration else min(total, int(rate * elapsed))
            if due > sent:
                for sim, ids in zip(homes, sensors, strict=True):
                    if sim.running.is_set():
                        sim.emit_existing(ids, due - sent)
                sent = due
            if sent < total:
                await asyncio.sleep(FARM_TICK)
        self.loads_done += 1
        self.load_ended = time.time()
        return sent
