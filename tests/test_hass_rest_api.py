"""Tests of the pure REST client against a scripted HTTP peer on 127.0.0.1."""

import json
import logging
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

try:
    from odoo.addons.odoo_ha_addon.models.common import ha_errors, hass_rest_api

    from .common_pure import PureCase
except ImportError:  # plain pytest, outside Odoo: load models/common by path
    from unittest import TestCase as PureCase

    sys.path.append(str(Path(__file__).resolve().parent))
    from _pure_imports import load_common

    ha_errors, hass_rest_api = load_common("ha_errors", "hass_rest_api")

TOKEN = "tok-SECRET-rest-77a1"


class _Handler(BaseHTTPRequestHandler):
    """Answers from ``server.routes``: path -> (status, body, content type)."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def _serve(self):
        server = self.server
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server.seen.append(
            {
                "method": self.command,
                "path": path,
                "query": parse_qs(parts.query, keep_blank_values=True),
                "auth": self.headers.get("Authorization"),
                "body": json.loads(body) if body else None,
            }
        )
        if server.delay:
            time.sleep(server.delay)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            status, payload, ctype = 401, "401: Unauthorized", "text/plain"
        else:
            status, payload, ctype = server.routes.get(
                path, (404, {"message": "Not found"}, "application/json")
            )
        data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        data = data.encode() if isinstance(data, str) else data
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the client hung up on purpose (timeout test)


class FakeRestHA:
    def __enter__(self):
        self.server = _QuietServer(("127.0.0.1", 0), _Handler)
        self.server.routes = {}
        self.server.seen = []
        self.server.delay = 0
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()
        return self.server

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()


JSON = "application/json"


class TestHassRestApi(PureCase):
    def setUp(self):
        super().setUp()
        self._fake = FakeRestHA()
        self.server = self._fake.__enter__()
        self.addCleanup(self._fake.__exit__, None, None, None)
        self.api = hass_rest_api.HassRestApi(self._fake.url, TOKEN, timeout=2)
        self.addCleanup(self.api.close)

    def route(self, path, status, body, ctype=JSON):
        self.server.routes[path] = (status, body, ctype)

    def test_ping_and_reads(self):
        self.route("/api/", 200, {"message": "API running."})
        self.route("/api/config", 200, {"version": "2025.4.4", "state": "RUNNING"})
        self.route("/api/states", 200, [{"entity_id": "light.a", "state": "on"}])
        self.route("/api/states/light.a", 200, {"entity_id": "light.a"})
        self.route("/api/services", 200, [{"domain": "light", "services": {}}])
        self.assertEqual(self.api.ping(), "API running.")
        self.assertEqual(self.api.get_config()["version"], "2025.4.4")
        self.assertEqual(len(self.api.get_states()), 1)
        self.assertEqual(self.api.get_state("light.a")["entity_id"], "light.a")
        self.assertEqual(self.api.get_services()[0]["domain"], "light")
        self.assertTrue(all(s["auth"] == f"Bearer {TOKEN}" for s in self.server.seen))

    def test_camera_proxy(self):
        png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
        self.route("/api/camera_proxy/camera.door", 200, png, "image/png")
        self.assertEqual(self.api.camera_proxy("camera.door"), ("image/png", png))
        self.assertEqual(self.server.seen[-1]["auth"], f"Bearer {TOKEN}")
        with self.assertRaises(ha_errors.HaProtocolError):
            self.api.camera_proxy("camera.door", max_bytes=10)
        self.route("/api/camera_proxy/camera.json", 200, {"message": "x"})
        with self.assertRaises(ha_errors.HaProtocolError):
            self.api.camera_proxy("camera.json")
        with self.assertRaises(ha_errors.HaNotFoundError):
            self.api.camera_proxy("camera.unknown")
        seen = len(self.server.seen)
        for bad in ("light.a", "camera.../x", "camera/a", None):
            with self.assertRaises(ha_errors.HaBadRequestError):
                self.api.camera_proxy(bad)
        self.assertEqual(len(self.server.seen), seen)  # nothing was sent

    def test_call_service_and_history_parameters(self):
        self.route("/api/services/light/turn_on", 200, [])
        self.api.call_service("light", "turn_on", {"entity_id": "light.a"})
        self.api.call_service("light", "turn_on", return_response=True)
        first, second = self.server.seen
        self.assertEqual(first["body"], {"entity_id": "light.a"})
        self.assertNotIn("return_response", first["query"])
        self.assertIn("return_response", second["query"])
        start = "2025-03-01T00:00:00+01:00"
        self.route(f"/api/history/period/{start}", 200, [[{"entity_id": "light.a"}]])
        self.api.get_history(
            start,
            ["light.a", "sensor.b"],
            end_time="2025-03-02T00:00:00+00:00",
            minimal_response=True,
            no_attributes=True,
            significant_changes_only=False,
            include_start_time_state=False,
        )
        seen = self.server.seen[-1]
        self.assertEqual(seen["path"], f"/api/history/period/{start}")
        query = seen["query"]
        self.assertEqual(query["filter_entity_id"], ["light.a,sensor.b"])
        self.assertEqual(query["end_time"], ["2025-03-02T00:00:00+00:00"])
        self.assertEqual(query["significant_changes_only"], ["0"])
        for flag in ("minimal_response", "no_attributes", "skip_initial_state"):
            self.assertIn(flag, query)

    def test_error_types(self):
        self.route("/api/states/light.gone", 404, {"message": "Entity not found."})
        self.route("/api/services/x/bad", 400, {"message": "Service not found."})
        self.route(
            "/api/services/x/boom", 500, "500 Internal Server Error", "text/plain"
        )
        self.route("/api/services/x/down", 503, "", "text/plain")
        self.route("/api/services/x/ban", 403, "403: Forbidden", "text/plain")
        self.route("/api/", 200, "<html>router</html>", "text/html")
        self.route("/api/config", 200, ["not", "a", "dict"])
        with self.assertRaises(ha_errors.HaNotFoundError) as caught:
            self.api.get_state("light.gone")
        self.assertIn("Entity not found.", str(caught.exception))
        with self.assertRaises(ha_errors.HaBadRequestError):
            self.api.call_service("x", "bad")
        with self.assertRaises(ha_errors.HaCommandError) as caught:
            self.api.call_service("x", "boom")
        self.assertEqual(caught.exception.code, "http_500")
        with self.assertRaises(ha_errors.HaUnreachableError):
            self.api.call_service("x", "down")
        with self.assertRaises(ha_errors.HaAuthError):
            self.api.call_service("x", "ban")
        with self.assertRaises(ha_errors.HaProtocolError):
            self.api.ping()
        with self.assertRaises(ha_errors.HaProtocolError):
            self.api.get_config()
        with self.assertRaises(ha_errors.HaBadRequestError):
            self.api.get_state("../../api/config")
        self.assertEqual(len(self.server.seen), 7)  # the bad id never left

    def test_bad_token_message(self):
        bad = hass_rest_api.HassRestApi(self._fake.url, "wrong-token-9", timeout=2)
        with self.assertRaises(ha_errors.HaAuthError) as caught:
            bad.ping()
        message = str(caught.exception)
        self.assertIn(self._fake.url, message)
        self.assertIn("HTTP 401", message)
        self.assertIn("long-lived token", message)
        self.assertNotIn("wrong-token-9", message)

    def test_unreachable(self):
        api = hass_rest_api.HassRestApi("http://127.0.0.1:9", TOKEN, timeout=2)
        with self.assertRaises(ha_errors.HaUnreachableError) as caught:
            api.ping()
        self.assertNotIn(TOKEN, str(caught.exception))

    def test_timeout_enforced(self):
        self.route("/api/", 200, {"message": "API running."})
        self.server.delay = 1.5
        started = time.monotonic()
        with self.assertRaises(ha_errors.HaTimeoutError):
            self.api.ping(timeout=0.2)
        self.assertLess(time.monotonic() - started, 1.2)

    def test_timeout_is_mandatory(self):
        for bad in (None, 0, -1, "5", (1, 2, 3)):
            with self.assertRaises(ValueError):
                hass_rest_api.HassRestApi(self._fake.url, TOKEN, timeout=bad)

        class RecordingSession:
            calls = []

            def request(self, method, url, **kwargs):
                self.calls.append(kwargs)
                raise ha_errors.HaError("stop")

        api = hass_rest_api.HassRestApi(
            self._fake.url, TOKEN, timeout=3, session=RecordingSession()
        )
        for call in (
            api.ping,
            api.get_config,
            api.get_states,
            lambda: api.get_state("light.a"),
            api.get_services,
            lambda: api.call_service("light", "toggle"),
            lambda: api.get_history("2025-01-01T00:00:00+00:00", ["light.a"]),
        ):
            with self.assertRaises(ha_errors.HaError):
                call()
        self.assertEqual(len(RecordingSession.calls), 7)
        self.assertTrue(all(kw["timeout"] == 3 for kw in RecordingSession.calls))
        with self.assertRaises(ValueError):
            api.request("GET", "/api/", timeout=-1)

    def test_token_not_in_logs_or_errors(self):
        self.route("/api/", 200, {"message": "API running."})
        self.route("/api/states/light.x", 404, {"message": "Entity not found."})
        with self.assertLogs(logging.getLogger(), logging.DEBUG) as logs:
            self.api.ping()
            errors = []
            for call in (
                lambda: self.api.get_state("light.x"),
                lambda: self.api.call_service("nope", "nope"),
                lambda: hass_rest_api.HassRestApi(
                    "http://127.0.0.1:9", TOKEN, timeout=1
                ).ping(),
            ):
                try:
                    call()
                except ha_errors.HaError as err:
                    errors.append(err)
        self.assertEqual(len(errors), 3)
        for err in errors:
            self.assertNotIn(TOKEN, str(err))
            self.assertNotIn(TOKEN, repr(err.__cause__))
        for record in logs.records:
            self.assertNotIn(TOKEN, record.getMessage())
        self.assertNotIn(TOKEN, repr(self.api))


if __name__ == "__main__":
    unittest.main()
