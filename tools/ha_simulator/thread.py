"""Run a simulator (or a farm of homes) on its own event-loop thread (tests)."""

import asyncio
import threading

from .homes import HomeFarm
from .server import Simulator


class SimulatorThread:
    """Thread-safe handle on a simulator running in a daemon thread.

    ``with SimulatorThread(token="t", demo=True, port=0) as sim:`` starts it
    and exposes ``url``, ``ws_url``, ``token``, ``port`` plus the knobs.
    """

    _factory = Simulator

    def __init__(
        self,
        token="token",
        demo=True,
        port=0,
        host="127.0.0.1",
        entities=None,
        devices=None,
        areas=None,
        seed=0,
    ):
        self.token = token
        self.host = host
        self._kwargs = dict(
            host=host,
            port=port,
            token=token,
            demo=demo,
            entities=entities,
            devices=devices,
            areas=areas,
            seed=seed,
        )
        self.loop = None
        self.simulator = None
        self._thread = None
        self._ready = threading.Event()
        self._error = None

    # ---------------------------------------------------------- lifecycle
    def start(self, timeout=60.0):
        self._thread = threading.Thread(
            target=self._run, name="ha-simulator", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("HA simulator did not start in time")
        if self._error is not None:
            raise self._error
        return self

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.simulator = self._factory(**self._kwargs)
            self.loop.run_until_complete(self.simulator.start())
        except Exception as exc:  # noqa: BLE001 - re-raised in start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.simulator.stop())
        self.loop.close()

    def stop(self):
        if self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ helpers
    @property
    def port(self):
        return self.simulator.port

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self):
        return f"ws://{self.host}:{self.port}/api/websocket"

    def call(self, fn, *args, timeout=60.0):
        """Run ``fn(*args)`` (sync or async) on the simulator loop; return result."""

        async def runner():
            result = fn(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        future = asyncio.run_coroutine_threadsafe(runner(), self.loop)
        return future.result(timeout)

    # -------------------------------------------------------------- knobs
    def stats(self):
        return self.call(self.simulator.stats)

    def set_state(self, entity_id, state, attributes=None):
        """Write a state (emits state_changed); returns the state dict."""
        return self.call(
            lambda: self.simulator.set_state(entity_id, state, attributes).as_dict()
        )

    def get_state(self, entity_id):
        return self.call(self.simulator.get_state, entity_id)

    def drop_connections(self):
        self.call(self.simulator.drop_connections)

    def delay_replies(self, seconds):
        self.call(self.simulator.delay_replies, seconds)

    def send_malformed(self):
        self.call(self.simulator.send_malformed)

    def revoke_token(self):
        self.call(self.simulator.revoke_token)

    def set_token(self, token):
        self.token = token
        self.call(self.simulator.set_token, token)

    def restart(self, downtime=1.0, wait=False):
        """Close sockets and the listener; it listens again after ``downtime``.

        Returns once the downtime has begun, or when back up if ``wait``.
        """
        self.call(self.simulator.restart, downtime)
        if wait:
            self.wait_running(downtime + 30)

    def wait_running(self, timeout=30.0):
        async def waiter():
            await asyncio.wait_for(self.simulator.running.wait(), timeout)

        self.call(waiter, timeout=timeout + 1)

    def load(self, events_per_second=1000, entities=100, duration=5.0, wait=False):
        """Sustained state_changed stream; with ``wait`` returns the event count."""
        task = self.call(self.simulator.load, events_per_second, entities, duration)
        if wait:

            async def waiter():
                return await task

            return self.call(waiter, timeout=duration + 60)
        return None

    def burst(self, n=1000, entities=100):
        """Emit ``n`` state changes as fast as possible; returns ``n``."""
        return self.call(self.simulator.burst, n, entities)


class FarmThread(SimulatorThread):
    """A :class:`~.homes.HomeFarm` on its own event-loop thread.

    ``with FarmThread(count=2, entities=20) as farm:`` then ``farm.homes``
    (the JSON description's list), ``farm.farm`` (the HomeFarm, to be used
    through :meth:`call`), ``farm.stats()``, ``farm.load(rate, duration)``.
    The per-home knobs are those of ``farm.home(i)``, through :meth:`call`.
    """

    _factory = HomeFarm

    def __init__(self, count=2, entities=20, port=0, layout="ports", **kwargs):
        self.host = kwargs.get("host", "127.0.0.1")
        self.token = kwargs.get("token")
        self._kwargs = dict(
            kwargs, port=port, count=count, entities=entities, layout=layout
        )
        self.loop = None
        self.simulator = None
        self._thread = None
        self._ready = threading.Event()
        self._error = None

    @property
    def farm(self):
        return self.simulator

    @property
    def port(self):
        return self.simulator.port

    @property
    def url(self):
        return self.simulator.url

    @property
    def ws_url(self):
        raise AttributeError("a farm has one URL per home: see .homes")

    @property
    def homes(self):
        return self.call(lambda: self.simulator.describe()["homes"])

    def home(self, index):
        """The :class:`~.server.Simulator` of home ``index`` (use via call)."""
        return self.simulator.homes[index]

    def stats(self):
        return self.call(self.simulator.stats)

    def states(self, index=None):
        return self.call(self.simulator.states, index)

    def set_state(self, index, entity_id, state, attributes=None):
        """Write a state in home ``index``; returns the state dict."""
        sim = self.simulator.homes[index]
        return self.call(lambda: sim.set_state(entity_id, state, attributes).as_dict())

    def load(
        self, events_per_second=10, duration=1.0, wait=False, homes=None, sensors=None
    ):
        """Every home's own sensors change; with ``wait`` returns events/home."""
        task = self.call(
            self.simulator.load, events_per_second, duration, homes, sensors
        )
        if wait:

            async def waiter():
                return await task

            return self.call(waiter, timeout=duration + 60)
        return None

    def drop_connections(self):
        self.call(self.simulator.drop_connections)
