"""The simulator's asyncio server: HTTP/1.1 parsing, WS upgrade, fault knobs."""

import asyncio
import logging
import time
from collections import Counter

from websockets.server import ServerProtocol

from .connection import Connection
from .demo_home import build_demo, is_number
from .rest_api import handle as handle_rest
from .synthetic import build_synthetic

_logger = logging.getLogger(__name__)
REASONS = {
    101: "Switching Protocols",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}
BACKPRESSURE_HIGH = 1024  # load/burst pause while a client queue is above this
LOAD_BATCH = 256  # load/burst events written between two loop turns


class HttpFront:
    """One listening socket: HTTP/1.1 requests and WebSocket upgrades.

    ``route(target)`` names the simulator serving a request target and the
    target as that simulator sees it: ``(sim, target)``, or ``None`` (404).
    A single home routes everything to itself; a farm of homes on one port
    routes ``/home/<i>/...`` to home ``i`` (see :mod:`.homes`).
    """

    def __init__(self, host, port, route):
        self.host = host
        self.port = port
        self.route = route
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(
            self._on_client, self.host, self.port, limit=2**20, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]

    def close(self):
        if self.server is not None:
            self.server.close()

    async def wait_closed(self):
        if self.server is not None:
            await self.server.wait_closed()

    async def _on_client(self, reader, writer):
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, _version = lines[0].split(" ", 2)
                except ValueError:
                    await _respond(writer, 400, b"400: Bad Request", "text/plain")
                    return
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                routed = self.route(target)
                if routed is None:
                    if length:
                        await reader.readexactly(length)
                    await _respond(writer, 404, b"404: Not Found", "text/plain")
                    continue
                sim, target = routed
                if not sim.running.is_set():
                    return  # a home that is "down" (restart knob): no answer
                if (
                    headers.get("upgrade", "").lower() == "websocket"
                    and target.split("?")[0] == "/api/websocket"
                ):
                    await self._websocket(sim, head, reader, writer)
                    return
                body = await reader.readexactly(length) if length else b""
                resp = await handle_rest(sim, method, target, headers, body)
                data = resp.encode()
                await _respond(writer, resp.status, data, resp.content_type)
                if resp.after is not None:
                    result = resp.after()
                    if asyncio.iscoroutine(result):
                        sim._spawn(result)
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            return  # server shutdown; ending quietly keeps asyncio from logging
        finally:
            if not writer.is_closing():
                writer.close()

    @staticmethod
    async def _websocket(sim, head, reader, writer):
        protocol = ServerProtocol(max_size=4 * 2**20)
        protocol.receive_data(head)
        events = protocol.events_received()
        if not events:
            writer.close()
            return
        response = protocol.accept(events[0])
        protocol.send_response(response)
        writer.write(b"".join(protocol.data_to_send()))
        if response.status_code != 101:
            await writer.drain()
            writer.close()
            return
        await Connection(sim, protocol, reader, writer).run()


async def _respond(writer, status, data, content_type):
    if content_type.startswith("application/json"):
        content_type = "application/json"
    elif not content_type.startswith("image/"):
        content_type += "; charset=utf-8"
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(data)}\r\n"
        "Server: Python/3.13 aiohttp/3.11.16\r\n\r\n"
    )
    writer.write(head.encode() + data)
    await writer.drain()


class Simulator:
    """A simulated Home Assistant; all methods run on its loop.

    With ``listen`` (the default) it owns a listening socket on ``port``;
    without, a :class:`~.homes.HomeFarm` routes requests under ``base_path``
    of a shared port to it.
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        token="token",
        demo=True,
        entities=None,
        devices=None,
        areas=None,
        seed=0,
        listen=True,
        base_path="",
    ):
        self.host = host
        self.port = port
        self.tokens = {token}
        self.listen = listen
        self.base_path = base_path
        self.farm = None  # the HomeFarm this home belongs to, if any
        if entities:
            self.home = build_synthetic(
                entities, devices or max(1, entities // 5), areas or 10, seed
            )
        else:
            self.home = build_demo(seed)
        self.home.on_core_service = self._core_service
        self.connections = set()
        self.counters = Counter()
        self.reply_delay = 0.0
        self.front = None
        self.running = asyncio.Event()
        self.load_seq = 0  # values written by load on existing sensors
        self._tasks = set()

    # ---------------------------------------------------------- lifecycle
    @property
    def url(self):
        return f"http://{self.host}:{self.port}{self.base_path}"

    async def start(self):
        if self.listen:
            self.front = HttpFront(self.host, self.port, lambda t: (self, t))
            await self.front.start()
            self.port = self.front.port
        self.home.config["internal_url"] = self.url
        self.running.set()

    async def stop(self):
        self.running.clear()
        if self.front is not None:
            self.front.close()
        for conn in list(self.connections):
            conn.close(1001)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.sleep(0)

    def token_ok(self, token):
        return token in self.tokens

    def _spawn(self, coro):
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -------------------------------------------------------------- knobs
    def stats(self):
        return {
            "connections": sum(1 for c in self.connections if c.authenticated),
            "auth_ok": self.counters["auth_ok"],
            "auth_invalid": self.counters["auth_invalid"],
            "messages_received": self.counters["messages_received"],
            "rest_unauthorized": self.counters["rest_unauthorized"],
            "service_calls": list(self.home.service_calls),
            "events_generated": self.counters["events_generated"],
            "entities": len(self.home.states),
        }

    def set_state(self, entity_id, state, attributes=None):
        st = self.home.states.get(entity_id)
        if attributes is None and st is not None:
            attributes = st.attributes
        return self.home.set_state(entity_id, state, dict(attributes or {}))

    def get_state(self, entity_id):
        st = self.home.states.get(entity_id)
        return st.as_dict() if st else None

    def drop_connections(self):
        for conn in list(self.connections):
            conn.abort()

    def delay_replies(self, seconds):
        self.reply_delay = max(0.0, float(seconds))

    def send_malformed(self):
        for conn in list(self.connections):
            conn.send_raw_frame("this is not json {")

    def revoke_token(self):
        """Invalidate every token; open sockets are closed."""
        self.tokens = set()
        for conn in list(self.connections):
            conn.close()

    def set_token(self, token):
        """Replace the accepted token; sockets using the old one are closed."""
        self.tokens = {token}
        for conn in list(self.connections):
            conn.close()

    async def restart(self, downtime=1.0):
        """Like an HA restart: close sockets and listener, come back later."""
        await self.shutdown()
        self._spawn(self._come_back(downtime))

    async def shutdown(self):
        """Like ``homeassistant.stop``: close sockets and listener for good.

        A home of a farm sharing one port stops answering instead.
        """
        self.running.clear()
        if self.front is not None:
            self.front.close()
        for conn in list(self.connections):
            conn.close(1001)
        if self.front is not None:
            await self.front.wait_closed()

    async def _come_back(self, downtime):
        await asyncio.sleep(downtime)
        await self.start()

    def _core_service(self, service):
        """``homeassistant.restart`` / ``stop`` act once the reply is out."""
        if service == "restart":
            asyncio.get_running_loop().call_later(
                0.05, lambda: self._spawn(self.restart(1.0))
            )
        elif service == "stop":
            asyncio.get_running_loop().call_later(
                0.05, lambda: self._spawn(self.shutdown())
            )

    def _load_entities(self, count):
        ids = [f"sensor.load_{idx:05d}" for idx in range(max(1, int(count)))]
        attrs = None
        for eid in ids:
            if eid not in self.home.states:
                attrs = {
                    "state_class": "measurement",
                    "unit_of_measurement": "W",
                    "device_class": "power",
                    "friendly_name": eid.split(".")[1].replace("_", " ").title(),
                }
                self.home.set_state(eid, "0", attrs)
        return ids, [self.home.states[e].attributes for e in ids]

    def _emit(self, ids, attrs, index, count=1):
        """Write ``count`` load states in a row (``index``, ``index + 1`` …)."""
        set_state = self.home.set_state
        n = len(ids)
        for idx in range(index, index + count):
            slot = idx % n
            set_state(ids[slot], str(idx), attrs[slot])
        self.counters["events_generated"] += count

    def existing_sensors(self):
        """The home's own numeric sensors, for a load that adds no entity."""
        return [
            eid
            for eid, st in self.home.states.items()
            if eid.startswith("sensor.")
            and not eid.startswith("sensor.load_")
            and is_number(st.state)
        ] or self._load_entities(1)[0]

    def emit_existing(self, ids, count):
        """Write ``count`` new values round-robin over the sensors ``ids``.

        Values have two decimals and follow a per-home sequence, so every
        write changes the state (a synthetic sensor's own value has one
        decimal) and fires ``state_changed``.
        """
        set_state = self.home.set_state
        states = self.home.states
        n = len(ids)
        seq = self.load_seq
        for idx in range(seq, seq + count):
            eid = ids[idx % n]
            st = states.get(eid)
            attrs = st.attributes if st is not None else {}
            set_state(eid, f"{(idx % 10000) / 100:.2f}", attrs)
        self.load_seq = seq + count
        self.counters["events_generated"] += count

    async def _backpressure(self):
        while any(len(c.pending) > BACKPRESSURE_HIGH for c in self.connections):
            await asyncio.sleep(0.001)

    async def _load(self, rate, entities, duration, existing=False):
        if existing:
            sensors = self.existing_sensors()

            def emit(_index, count):
                self.emit_existing(sensors, count)

        else:
            ids, attrs = self._load_entities(entities)

            def emit(index, count):
                self._emit(ids, attrs, index, count)

        loop = asyncio.get_running_loop()
        begin = loop.time()
        sent = 0
        total = int(rate * duration) if rate and rate > 0 else None
        while True:
            elapsed = loop.time() - begin
            if elapsed >= duration:
                break
            if total is not None:
                due = min(int(rate * elapsed), total)
                if due > sent:
                    emit(sent, due - sent)
                    sent = due
                # sleep until the next event is due (at most 50 ms, at
                # least 2 ms): a slow rate costs few wake-ups
                wait = (sent + 1) / rate - (loop.time() - begin)
                await asyncio.sleep(min(0.05, max(0.002, wait)))
            else:
                # One batch per loop turn: the writer then sends it as one
                # coalesced frame.
                emit(sent, LOAD_BATCH)
                sent += LOAD_BATCH
                await asyncio.sleep(0)
                await self._backpressure()
        if total is not None and total > sent:
            emit(sent, total - sent)
            sent = total
        return sent

    def load(self, events_per_second=1000, entities=100, duration=5.0, existing=False):
        """Start a background stream of state_changed events; returns a task.

        ``events_per_second`` <= 0 means as fast as the clients absorb. With
        ``existing`` the home's own sensors change (no ``sensor.load_*``).
        """
        return self._spawn(self._load(events_per_second, entities, duration, existing))

    async def burst(self, n=1000, entities=100):
        """Emit ``n`` state changes right away (yielding every 256 events)."""
        ids, attrs = self._load_entities(entities)
        start = int(time.time() * 1000)
        n = int(n)
        for idx in range(0, n, LOAD_BATCH):
            self._emit(ids, attrs, start + idx, min(LOAD_BATCH, n - idx))
            if idx + LOAD_BATCH < n:
                await asyncio.sleep(0)
                await self._backpressure()
        return n
