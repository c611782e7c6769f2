"""The simulator's asyncio server: HTTP/1.1 parsing, WS upgrade, fault knobs."""

import asyncio
import logging
import time
from collections import Counter

from websockets.server import ServerProtocol

from .connection import Connection
from .demo_home import build_demo
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


class Simulator:
    """A simulated Home Assistant on one port; all methods run on its loop."""

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
    ):
        self.host = host
        self.port = port
        self.tokens = {token}
        if entities:
            self.home = build_synthetic(
                entities, devices or max(1, entities // 5), areas or 10, seed
            )
        else:
            self.home = build_demo(seed)
        self.connections = set()
        self.counters = Counter()
        self.reply_delay = 0.0
        self.server = None
        self.running = asyncio.Event()
        self._tasks = set()

    # ---------------------------------------------------------- lifecycle
    async def start(self):
        self.server = await asyncio.start_server(
            self._on_client, self.host, self.port, limit=2**20, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]
        self.home.config["internal_url"] = f"http://{self.host}:{self.port}"
        self.running.set()

    async def stop(self):
        self.running.clear()
        if self.server is not None:
            self.server.close()
        for conn in list(self.connections):
            conn.close(1001)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.sleep(0)

    def token_ok(self, token):
        return token in self.tokens

    # --------------------------------------------------------------- HTTP
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
                    await self._respond(writer, 400, b"400: Bad Request", "text/plain")
                    return
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                if (
                    headers.get("upgrade", "").lower() == "websocket"
                    and target.split("?")[0] == "/api/websocket"
                ):
                    await self._websocket(head, reader, writer)
                    return
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                resp = await handle_rest(self, method, target, headers, body)
                data = resp.encode()
                await self._respond(writer, resp.status, data, resp.content_type)
                if resp.after is not None:
                    result = resp.after()
                    if asyncio.iscoroutine(result):
                        self._spawn(result)
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            return  # server shutdown; ending quietly keeps asyncio from logging
        finally:
            if not writer.is_closing():
                writer.close()

    async def _respond(self, writer, status, data, content_type):
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

    async def _websocket(self, head, reader, writer):
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
        await Connection(self, protocol, reader, writer).run()

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
        self.running.clear()
        self.server.close()
        for conn in list(self.connections):
            conn.close(1001)
        await self.server.wait_closed()
        self._spawn(self._come_back(downtime))

    async def _come_back(self, downtime):
        await asyncio.sleep(downtime)
        await self.start()

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

    async def _backpressure(self):
        while any(len(c.pending) > BACKPRESSURE_HIGH for c in self.connections):
            await asyncio.sleep(0.001)

    async def _load(self, rate, entities, duration):
        ids, attrs = self._load_entities(entities)
        loop = asyncio.get_running_loop()
        begin = loop.time()
        sent = 0
        while True:
            elapsed = loop.time() - begin
            if elapsed >= duration:
                break
            if rate and rate > 0:
                due = min(int(rate * elapsed), int(rate * duration))
                if due > sent:
                    self._emit(ids, attrs, sent, due - sent)
                    sent = due
                await asyncio.sleep(0.002)
            else:
                # One batch per loop turn: the writer then sends it as one
                # coalesced frame.
                self._emit(ids, attrs, sent, LOAD_BATCH)
                sent += LOAD_BATCH
                await asyncio.sleep(0)
                await self._backpressure()
        return sent

    def load(self, events_per_second=1000, entities=100, duration=5.0):
        """Start a background stream of state_changed events; returns a task.

        ``events_per_second`` <= 0 means as fast as the clients absorb.
        """
        return self._spawn(self._load(events_per_second, entities, duration))

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
