"""Tests of the pure WebSocket client against tiny scripted peers.

The peers below (``FakeHA``) run on 127.0.0.1:0 and script one fault each
precisely (no pong, malformed frames, oversized frames, dropped connections,
wrong token); the contract suite (``test_ha_contract.py``) covers the
protocol-faithful simulator and real Home Assistant.
"""

import asyncio
import json
import logging
import random
import sys
import time
import unittest
from pathlib import Path

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

try:
    from odoo.addons.odoo_ha_addon.models.common import (
        ha_entity_diff,
        ha_errors,
    )
    from odoo.addons.odoo_ha_addon.models.common import (
        hass_websocket_service as hws,
    )
    from odoo.addons.odoo_ha_addon.tools.ha_simulator import SimulatorThread

    from .common_pure import PureAsyncCase, PureCase
except ImportError:  # plain pytest, outside Odoo: load the pure packages by path
    from unittest import IsolatedAsyncioTestCase as PureAsyncCase
    from unittest import TestCase as PureCase

    sys.path.append(str(Path(__file__).resolve().parent))
    from _pure_imports import load_common, load_simulator_thread

    ha_entity_diff, ha_errors, hws = load_common(
        "ha_entity_diff", "ha_errors", "hass_websocket_service"
    )
    SimulatorThread = load_simulator_thread()

TOKEN = "tok-SECRET-4f1c9e"


class _NoDebug(logging.LoggerAdapter):
    """The fake peer must not log frames (they hold the token) at DEBUG."""

    def isEnabledFor(self, level):
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


class FakeHA:
    """A scriptable Home Assistant peer speaking just enough protocol."""

    def __init__(self, token=TOKEN):
        self.token = token
        self.auth_attempts = 0
        self.connections = 0
        self.received = []  # (connection number, message)
        self.answer_ping = True
        self.silent = set()  # command types never answered
        self.replies = {}  # type -> result, or callable(ws, msg) coroutine
        self.live = set()
        self.close_codes = []

    async def __aenter__(self):
        self.server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            logger=_NoDebug(logging.getLogger("fake_ha"), {}),
        )
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/api/websocket"
        return self

    async def __aexit__(self, *exc_info):
        self.server.close()
        await self.server.wait_closed()

    def of_type(self, kind, connection=None):
        return [
            msg
            for conn, msg in self.received
            if msg.get("type") == kind and connection in (None, conn)
        ]

    async def drop_all(self):
        for ws in list(self.live):
            ws.transport.abort()

    async def _handler(self, ws):
        self.connections += 1
        number = self.connections
        await ws.send(json.dumps({"type": "auth_required", "ha_version": "2025.4.4"}))
        auth = json.loads(await ws.recv())
        self.auth_attempts += 1
        if auth.get("access_token") != self.token:
            await ws.send(json.dumps({"type": "auth_invalid", "message": "Invalid"}))
            await ws.close()
            return
        await ws.send(json.dumps({"type": "auth_ok", "ha_version": "2025.4.4"}))
        self.live.add(ws)
        try:
            async for raw in ws:
                msg = json.loads(raw)
                self.received.append((number, msg))
                await self._answer(ws, msg)
        except ConnectionClosed:
            return  # the client went away: the scripted peer is done
        finally:
            self.live.discard(ws)
            self.close_codes.append(ws.close_code)

    async def _answer(self, ws, msg):
        kind = msg["type"]
        if kind in self.silent:
            return
        if kind == "ping":
            if self.answer_ping:
                await ws.send(json.dumps({"id": msg["id"], "type": "pong"}))
            return
        reply = self.replies.get(kind)
        if callable(reply):
            await reply(ws, msg)
            return
        await ws.send(
            json.dumps(
                {"id": msg["id"], "type": "result", "success": True, "result": reply}
            )
        )


async def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def fast_backoff():
    return hws.Backoff(initial=0.01, maximum=0.05, jitter=0.5)


class TestBackoff(PureCase):
    def test_delays_grow_are_capped_and_jittered(self):
        backoff = hws.Backoff(initial=1.0, maximum=30.0, factor=2.0, jitter=0.25)
        rand = random.Random(1234).random
        delays = [backoff.delay(attempt, rand) for attempt in range(12)]
        bases = [min(30.0, 2.0**attempt) for attempt in range(12)]
        for delay, base in zip(delays, bases, strict=True):
            self.assertLessEqual(delay, base)
            self.assertGreaterEqual(delay, base * 0.75)
        for earlier, later, base in zip(delays, delays[1:], bases[1:], strict=False):
            if base < 30.0:
                self.assertGreater(later, earlier)
        self.assertTrue(all(delay <= 30.0 for delay in delays))
        self.assertNotEqual(delays, bases, "no jitter applied")
        self.assertGreater(len({round(d, 6) for d in delays[6:]}), 1)


class TestEntityDiff(PureCase):
    def setUp(self):
        super().setUp()
        self.seen = []
        self.mirror = ha_entity_diff.EntityStateMirror(
            lambda eid, state: self.seen.append((eid, state))
        )

    def test_snapshot_diffs_and_removals(self):
        self.mirror.feed(
            {
                "a": {
                    "light.a": {
                        "s": "on",
                        "a": {"b": 1, "x": 2},
                        "c": "ctx1",
                        "lc": 10.0,
                    },
                    "sensor.t": {
                        "s": "21",
                        "a": {"unit": "C"},
                        "c": {"id": "ctx2", "parent_id": None, "user_id": "u"},
                        "lc": 5.0,
                        "lu": 7.5,
                    },
                }
            }
        )
        light = dict(self.seen)["light.a"]
        self.assertEqual(light["state"], "on")
        self.assertEqual(light["last_updated"], light["last_changed"])
        self.assertEqual(
            light["context"], {"id": "ctx1", "parent_id": None, "user_id": None}
        )
        sensor = dict(self.seen)["sensor.t"]
        self.assertEqual(sensor["last_changed"], "1970-01-01T00:00:05+00:00")
        self.assertEqual(sensor["last_updated"], "1970-01-01T00:00:07.500000+00:00")
        self.seen.clear()
        # state + lc (moves lu too) + context id string + attribute merge/removal
        self.mirror.feed(
            {
                "c": {
                    "light.a": {
                        "+": {"s": "off", "lc": 20.0, "c": "ctx3", "a": {"b": 0}},
                        "-": {"a": ["x"]},
                    }
                }
            }
        )
        ((eid, light),) = self.seen
        self.assertEqual(eid, "light.a")
        self.assertEqual(light["state"], "off")
        self.assertEqual(light["attributes"], {"b": 0})
        self.assertEqual(light["last_changed"], light["last_updated"])
        self.assertEqual(light["context"]["id"], "ctx3")
        self.seen.clear()
        # lu only; partial context dict merges and keeps the id
        self.mirror.feed({"c": {"sensor.t": {"+": {"lu": 9.0, "c": {"user_id": "v"}}}}})
        sensor = self.seen[0][1]
        self.assertEqual(sensor["last_changed"], "1970-01-01T00:00:05+00:00")
        self.assertEqual(sensor["last_updated"], "1970-01-01T00:00:09+00:00")
        self.assertEqual(
            sensor["context"], {"id": "ctx2", "parent_id": None, "user_id": "v"}
        )
        self.seen.clear()
        self.mirror.feed(
            {"a": {"switch.new": {"s": "on", "a": {}, "c": "c", "lc": 1.0}}}
        )
        self.mirror.feed({"r": ["sensor.t"]})
        self.assertEqual([e for e, _s in self.seen], ["switch.new", "sensor.t"])
        self.assertIsNone(self.seen[-1][1])
        self.assertEqual(set(self.mirror.records), {"light.a", "switch.new"})
        # a fresh snapshot after a reconnect reports what vanished meanwhile
        self.seen.clear()
        self.mirror.expect_snapshot()
        self.mirror.feed(
            {"a": {"light.a": {"s": "on", "a": {}, "c": "c9", "lc": 30.0}}}
        )
        self.assertIn(("switch.new", None), self.seen)
        self.assertEqual(set(self.mirror.records), {"light.a"})

    def test_delivered_states_are_not_mutated_later(self):
        self.mirror.feed(
            {"a": {"light.a": {"s": "on", "a": {"b": 1}, "c": "c", "lc": 1.0}}}
        )
        first = self.seen[0][1]
        self.mirror.feed({"c": {"light.a": {"+": {"a": {"b": 2}}}}})
        self.assertEqual(first["attributes"], {"b": 1})
        self.assertEqual(self.seen[1][1]["attributes"], {"b": 2})


class TestWebSocketClient(PureAsyncCase):
    def client(self, url, **kwargs):
        kwargs.setdefault("backoff", fast_backoff())
        kwargs.setdefault("ping_interval", None)
        return hws.HassWebSocketClient(url, kwargs.pop("token", TOKEN), **kwargs)

    async def test_auth_and_supported_features_first(self):
        async with FakeHA() as fake:
            client = self.client(fake.url)
            await client.connect()
            self.assertEqual(client.ha_version, "2025.4.4")
            first = fake.received[0][1]
            self.assertEqual(first["type"], "supported_features")
            self.assertEqual(first["features"], {"coalesce_messages": 1})
            self.assertEqual(client.status.state, hws.STATUS_CONNECTED)
            await client.close()
            await wait_until(lambda: fake.close_codes)
            self.assertEqual(fake.close_codes, [1000])
            self.assertEqual(client.status.state, hws.STATUS_DISCONNECTED)

    async def test_a_stop_asked_by_its_owner_closes_quietly(self):
        # A leader stopping (a handover, a recycled worker) is no connection
        # lost: one "closed" status, no warning, a clean close frame.
        async with FakeHA() as fake:
            statuses, stop = [], asyncio.Event()
            client = self.client(fake.url, on_status=statuses.append)
            client.on_connect = lambda _client: stop.set()
            with self.assertNoLogs(hws._logger.name, "WARNING"):
                await asyncio.wait_for(client.run_forever(stop), 5)
            await wait_until(lambda: fake.close_codes)
            self.assertEqual(fake.close_codes, [1000])
            self.assertEqual(
                (statuses[-1].state, statuses[-1].message),
                (hws.STATUS_DISCONNECTED, "closed"),
            )

    async def test_reconnect_backoff_with_fake_sleep(self):
        sock_port = await _closed_port()
        url = f"ws://127.0.0.1:{sock_port}/api/websocket"
        delays, states = [], []
        stop = asyncio.Event()

        async def fake_sleep(delay):
            delays.append(delay)
            if len(delays) == 7:
                stop.set()
            await asyncio.sleep(0)

        backoff = hws.Backoff(initial=1.0, maximum=8.0, jitter=0.3)
        client = self.client(
            url,
            backoff=backoff,
            sleep=fake_sleep,
            random=random.Random(99).random,
            on_status=lambda st: states.append(st.state),
        )
        started = time.monotonic()
        await asyncio.wait_for(client.run_forever(stop), 5)
        self.assertLess(time.monotonic() - started, 3, "real sleeping happened")
        rand = random.Random(99).random
        self.assertEqual(delays, [backoff.delay(n, rand) for n in range(7)])
        self.assertTrue(
            all(a < b for a, b in zip(delays[:3], delays[1:4], strict=True))
        )
        self.assertTrue(all(d <= 8.0 for d in delays))
        self.assertIn(hws.STATUS_CONNECTING, states)
        self.assertEqual(states[-1], hws.STATUS_DISCONNECTED)

    async def test_auth_invalid_stops_after_one_attempt(self):
        slept, statuses = [], []

        async def fake_sleep(delay):
            slept.append(delay)

        async with FakeHA(token="the-right-one") as fake:
            client = self.client(fake.url, sleep=fake_sleep, on_status=statuses.append)
            with self.assertRaises(ha_errors.HaAuthError) as caught:
                await asyncio.wait_for(client.run_forever(), 5)
            await asyncio.sleep(0.1)
            self.assertEqual(fake.auth_attempts, 1)
            self.assertEqual(slept, [])
            self.assertNotIn(TOKEN, str(caught.exception))
            self.assertEqual(statuses[-1].state, hws.STATUS_ERROR)
            self.assertEqual(statuses[-1].code, "invalid_token")

    async def test_pending_calls_fail_at_once_on_disconnect(self):
        async with FakeHA() as fake:

            async def drop(ws, msg):
                await asyncio.sleep(0.05)
                ws.transport.abort()

            fake.replies["get_states"] = drop
            client = self.client(fake.url, call_timeout=30)
            await client.connect()
            started = time.monotonic()
            with self.assertRaises(ha_errors.HaUnreachableError):
                await client.get_states()
            self.assertLess(time.monotonic() - started, 2)
            with self.assertRaises(ha_errors.HaUnreachableError):
                await client.get_config()  # not connected: fails fast
            await client.close()

    async def test_call_timeout_keeps_connection(self):
        async with FakeHA() as fake:
            fake.silent.add("get_services")
            client = self.client(fake.url)
            await client.connect()
            with self.assertRaises(ha_errors.HaTimeoutError):
                await client.get_services(timeout=0.1)
            self.assertTrue(client.connected)
            self.assertEqual(await client.get_config(), None)
            await client.close()

    async def test_error_results_are_typed(self):
        async def fail_with(code):
            async def reply(ws, msg):
                error = {"code": code, "message": "nope"}
                await ws.send(
                    json.dumps(
                        {
                            "id": msg["id"],
                            "type": "result",
                            "success": False,
                            "error": error,
                        }
                    )
                )

            return reply

        cases = {
            "not_found": ha_errors.HaNotFoundError,
            "invalid_format": ha_errors.HaBadRequestError,
            "service_validation_error": ha_errors.HaBadRequestError,
            "unknown_command": ha_errors.HaCommandError,
            "home_assistant_error": ha_errors.HaCommandError,
        }
        async with FakeHA() as fake:
            client = self.client(fake.url)
            await client.connect()
            for code, error_class in cases.items():
                fake.replies["x/test"] = await fail_with(code)
                with self.assertRaises(error_class) as caught:
                    await client.call({"type": "x/test"})
                self.assertEqual(caught.exception.code, code)
            await client.close()

    async def test_malformed_frames_are_skipped(self):
        async def junk_then_answer(ws, msg):
            await ws.send(b"\x00\x01PAYLOAD-B")
            await ws.send("not json {")
            await ws.send("42")
            await ws.send('[1, "x"]')
            await ws.send('{"type": "result"}')
            await ws.send(
                json.dumps(
                    {
                        "id": msg["id"],
                        "type": "result",
                        "success": True,
                        "result": {"ok": 1},
                    }
                )
            )

        async with FakeHA() as fake:
            fake.replies["get_config"] = junk_then_answer
            client = self.client(fake.url)
            await client.connect()
            with self.assertLogs(hws.__name__, logging.WARNING) as logs:
                self.assertEqual(await client.get_config(), {"ok": 1})
            self.assertGreaterEqual(len(logs.records), 4)
            text = "\n".join(r.getMessage() for r in logs.records)
            self.assertNotIn("not json", text)
            self.assertNotIn("PAYLOAD", text)
            self.assertTrue(client.connected)
            await client.close()

    async def test_coalesced_array_frames(self):
        async with FakeHA() as fake:
            events = []

            async def array_reply(ws, msg):
                sub_id = fake.of_type("subscribe_events")[-1]["id"]
                batch = [
                    {"id": sub_id, "type": "event", "event": {"n": n}} for n in range(3)
                ]
                batch.append(
                    {"id": msg["id"], "type": "result", "success": True, "result": 7}
                )
                await ws.send(json.dumps(batch))

            fake.replies["get_config"] = array_reply
            client = self.client(fake.url)
            await client.connect()
            await client.subscribe_events("state_changed", events.append)
            self.assertEqual(await client.get_config(), 7)
            self.assertEqual(events, [{"n": 0}, {"n": 1}, {"n": 2}])
            await client.close()

    async def test_oversized_frame_reconnects(self):
        async def huge(ws, msg):
            await ws.send(
                json.dumps(
                    {
                        "id": msg["id"],
                        "type": "result",
                        "success": True,
                        "result": "x" * 20000,
                    }
                )
            )

        async with FakeHA() as fake:
            fake.replies["get_states"] = huge
            client = self.client(fake.url, max_size=4096)
            runner = asyncio.ensure_future(client.run_forever())
            await wait_until(lambda: client.connected)
            with self.assertRaises(ha_errors.HaUnreachableError):
                await client.get_states()
            await wait_until(lambda: client.connections == 2 and client.connected)
            await client.close()
            await asyncio.wait_for(runner, 5)

    async def test_subscriptions_restored_after_reconnect(self):
        async with FakeHA() as fake:
            events, states, seen_at_connect = [], [], []

            def on_connect(client):
                seen_at_connect.append(
                    len(fake.of_type("subscribe_events", client.connections))
                )

            client = self.client(fake.url, on_connect=on_connect)
            runner = asyncio.ensure_future(client.run_forever())
            await wait_until(lambda: seen_at_connect == [0])
            await client.subscribe_events("state_changed", events.append)
            await client.subscribe_entities(
                lambda eid, st: states.append((eid, st)), ["light.a"]
            )
            old_ids = [m["id"] for _conn, m in fake.received]
            await fake.drop_all()
            await wait_until(lambda: len(fake.of_type("subscribe_entities", 2)) == 1)
            await wait_until(lambda: client.connected and len(seen_at_connect) == 2)
            self.assertEqual(seen_at_connect, [0, 1])
            for conn in (1, 2):
                self.assertEqual(len(fake.of_type("subscribe_entities", conn)), 1)
            new_sub = fake.of_type("subscribe_events", 2)[0]
            self.assertEqual(new_sub["event_type"], "state_changed")
            self.assertGreater(new_sub["id"], max(old_ids))
            self.assertEqual(
                fake.of_type("subscribe_entities", 2)[0]["entity_ids"], ["light.a"]
            )
            ws = next(iter(fake.live))
            await ws.send(
                json.dumps({"id": new_sub["id"], "type": "event", "event": {"k": 1}})
            )
            await wait_until(lambda: events == [{"k": 1}])
            await client.close()
            await asyncio.wait_for(runner, 5)

    async def test_subscribing_during_setup_sends_once(self):
        async with FakeHA() as fake:
            client = self.client(fake.url)
            connecting = asyncio.ensure_future(client.connect())
            await wait_until(lambda: client.connected)  # authenticated, in setup
            await client.subscribe_events("state_changed", lambda ev: None)
            await connecting
            self.assertEqual(len(fake.of_type("subscribe_events")), 1)
            await client.close()

    async def test_ids_strictly_increase_under_concurrency(self):
        async with FakeHA() as fake:
            client = self.client(fake.url)
            await client.connect()
            calls = [
                client.ping() if n % 3 else client.get_config() for n in range(300)
            ]
            await asyncio.gather(*calls)
            ids = [msg["id"] for _conn, msg in fake.received]
            self.assertEqual(len(ids), 301)
            self.assertTrue(all(a < b for a, b in zip(ids, ids[1:], strict=False)))
            await client.close()

    async def test_ping_timeout_reconnects(self):
        async with FakeHA() as fake:
            fake.answer_ping = False
            client = self.client(fake.url, ping_interval=0.05, pong_timeout=0.1)
            runner = asyncio.ensure_future(client.run_forever())
            await wait_until(lambda: fake.connections >= 2, timeout=5)
            await client.close()
            await asyncio.wait_for(runner, 5)
            self.assertGreaterEqual(len(fake.of_type("ping", 1)), 1)

    async def test_token_never_logged(self):
        root = logging.getLogger()
        with self.assertLogs(root, logging.DEBUG) as logs:
            async with FakeHA() as fake:
                fake.answer_ping = False
                client = self.client(fake.url, ping_interval=0.05, pong_timeout=0.05)
                runner = asyncio.ensure_future(client.run_forever())
                await wait_until(lambda: fake.connections >= 2)
                await client.close()
                await asyncio.wait_for(runner, 5)
            async with FakeHA(token="other") as fake:
                with self.assertRaises(ha_errors.HaAuthError):
                    await self.client(fake.url).run_forever()
            logging.getLogger("probe").debug("probe")
        for record in logs.records:
            self.assertNotIn(TOKEN, record.getMessage())
            self.assertNotIn(TOKEN, repr(record.args))


class TestAgainstSimulator(PureAsyncCase):
    """Fault knobs of the protocol-faithful simulator."""

    def setUp(self):
        super().setUp()
        self._sim_cm = SimulatorThread(token=TOKEN, demo=True, port=0)
        self.sim = self._sim_cm.__enter__()
        self.addCleanup(self._sim_cm.__exit__, None, None, None)

    def client(self, **kwargs):
        kwargs.setdefault("backoff", fast_backoff())
        kwargs.setdefault("ping_interval", None)
        return hws.HassWebSocketClient(self.sim.ws_url, TOKEN, **kwargs)

    async def test_restart_reconnects_and_restores_subscriptions(self):
        states, connects = [], []
        client = self.client(on_connect=lambda c: connects.append(c.connections))
        runner = asyncio.ensure_future(client.run_forever())
        await wait_until(lambda: client.connected)
        await client.subscribe_entities(
            lambda eid, st: states.append((eid, st and st["state"])),
            ["input_boolean.guest_mode"],
        )
        await wait_until(lambda: states)
        await asyncio.to_thread(self.sim.restart, 0.3)
        await wait_until(lambda: connects == [1, 2] and client.connected)
        await asyncio.to_thread(self.sim.set_state, "input_boolean.guest_mode", "on")
        await wait_until(lambda: ("input_boolean.guest_mode", "on") in states)
        await client.close()
        await asyncio.wait_for(runner, 5)

    async def test_dropped_connection_fails_pending_then_reconnects(self):
        client = self.client(call_timeout=30)
        runner = asyncio.ensure_future(client.run_forever())
        await wait_until(lambda: client.connected)
        await asyncio.to_thread(self.sim.delay_replies, 5)
        call = asyncio.ensure_future(client.get_states())
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await asyncio.to_thread(self.sim.drop_connections)
        with self.assertRaises(ha_errors.HaUnreachableError):
            await call
        self.assertLess(time.monotonic() - started, 2)
        await asyncio.to_thread(self.sim.delay_replies, 0)
        await wait_until(lambda: client.connections == 2 and client.connected)
        self.assertTrue(await client.get_states())
        await client.close()
        await asyncio.wait_for(runner, 5)

    async def test_malformed_frame_is_survived(self):
        client = self.client()
        await client.connect()
        with self.assertLogs(hws.__name__, logging.WARNING):
            await asyncio.to_thread(self.sim.send_malformed)
            await asyncio.sleep(0.2)
        self.assertTrue(client.connected)
        self.assertEqual((await client.get_config())["state"], "RUNNING")
        await client.close()

    async def test_revoked_token_stops_without_retrying(self):
        client = self.client()
        runner = asyncio.ensure_future(client.run_forever())
        await wait_until(lambda: client.connected)
        await asyncio.to_thread(self.sim.revoke_token)
        with self.assertRaises(ha_errors.HaAuthError):
            await asyncio.wait_for(runner, 5)
        stats = await asyncio.to_thread(self.sim.stats)
        self.assertEqual(stats["auth_invalid"], 1)
        self.assertEqual(client.status.code, "invalid_token")


async def _closed_port():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


if __name__ == "__main__":
    unittest.main()
