"""REST API (``/api/...``) and control endpoints (``/_simulator/...``)."""

import json
import struct
import time
import zlib
from urllib.parse import parse_qs, unquote, urlsplit

from . import history
from .core import USER_ID, parse_iso
from .services import (
    CATALOG,
    HomeAssistantError,
    InvalidFormat,
    ServiceNotFound,
    ServiceValidationError,
    UnknownError,
)
from .ws_api import call_service


class Response:
    def __init__(self, status, body, content_type="application/json"):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.after = None  # callable run after the response went out

    def encode(self):
        if self.content_type == "application/json" and not isinstance(
            self.body, str | bytes
        ):
            data = json.dumps(
                self.body, ensure_ascii=False, separators=(",", ":")
            ).encode()
        elif isinstance(self.body, str):
            data = self.body.encode()
        else:
            data = self.body
        return data


def _json(status, body):
    return Response(status, body)


def _message(status, text):
    return Response(status, {"message": text})


async def handle(sim, method, target, headers, body):
    """Route one HTTP request; returns a :class:`Response`."""
    parts = urlsplit(target)
    path = unquote(parts.path)
    query = parse_qs(parts.query, keep_blank_values=True)
    auth = headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.startswith("Bearer ") else None
    if sim.farm is not None and path.startswith("/_simulator/farm/"):
        if bearer != sim.farm.admin_token:
            sim.counters["rest_unauthorized"] += 1
            return Response(401, "401: Unauthorized", "text/plain")
        return _farm_control(
            sim.farm, method, path[len("/_simulator/farm/") :], query, body
        )
    if not (bearer is not None and sim.token_ok(bearer)):
        sim.counters["rest_unauthorized"] += 1
        return Response(401, "401: Unauthorized", "text/plain")
    if path.startswith("/_simulator/"):
        return await _control(sim, method, path[len("/_simulator/") :], body)
    home = sim.home
    if path in ("/api/", "/api"):
        return _json(200, {"message": "API running."})
    if path == "/api/config":
        return _get_only(method) or _json(200, home.config)
    if path == "/api/core/state":
        return _json(
            200,
            {
                "state": "RUNNING",
                "recorder_state": {
                    "migration_in_progress": False,
                    "migration_is_live": False,
                },
            },
        )
    if path == "/api/states":
        return _get_only(method) or Response(
            200, "[" + ",".join(st.json() for st in home.states.values()) + "]"
        )
    if path.startswith("/api/states/"):
        if method != "GET":
            return _message(405, "Method Not Allowed")
        st = home.states.get(path[len("/api/states/") :])
        if st is None:
            return _message(404, "Entity not found.")
        return Response(200, st.json())
    if path == "/api/services":
        return _get_only(method) or _json(
            200, [{"domain": d, "services": s} for d, s in home.services.items()]
        )
    if path.startswith("/api/services/"):
        return _rest_service(sim, method, path, query, body)
    if path.startswith("/api/history/period"):
        return _rest_history(sim, path, query)
    if path.startswith("/api/camera_proxy/"):
        return _get_only(method) or _camera_proxy(
            home, path[len("/api/camera_proxy/") :]
        )
    return Response(404, "404: Not Found", "text/plain")


def _get_only(method):
    if method != "GET":
        return Response(405, "405: Method Not Allowed", "text/plain")
    return None


def _rest_service(sim, method, path, query, body):
    if method != "POST":
        return Response(405, "405: Method Not Allowed", "text/plain")
    try:
        domain, service = path[len("/api/services/") :].split("/", 1)
    except ValueError:
        return Response(404, "404: Not Found", "text/plain")
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return _message(400, "Data should be valid JSON.")
    if not isinstance(data, dict):
        return _message(400, "Data should be valid JSON.")
    want_response = "return_response" in query
    home = sim.home
    if domain not in CATALOG:
        return Response(400, "400: Bad Request", "text/plain")
    context = home.context(user_id=USER_ID)
    try:
        changed, response = call_service(
            home, domain, service, data, None, context, want_response
        )
    except ServiceNotFound:
        return Response(400, "400: Bad Request", "text/plain")
    except ServiceValidationError as exc:
        if exc.translation_key == "service_does_not_support_response":
            return _message(
                400,
                "Service does not support responses. Remove return_response from "
                "request.",
            )
        if exc.translation_key == "service_lacks_response_request":
            return _message(
                400,
                "Service call requires responses but caller did not ask for "
                "responses. Add ?return_response to query parameters.",
            )
        return _server_error()
    except InvalidFormat:
        return Response(400, "400: Bad Request", "text/plain")
    except (HomeAssistantError, UnknownError):
        return _server_error()
    states = "[" + ",".join(st.json() for st in changed) + "]"
    if want_response:
        return Response(
            200,
            '{"changed_states":'
            + states
            + ',"service_response":'
            + json.dumps(response, separators=(",", ":"))
            + "}",
        )
    return Response(200, states)


def _server_error():
    """aiohttp's answer when a handler raised."""
    return Response(
        500, "500 Internal Server Error\n\nServer got itself in trouble", "text/plain"
    )


def _camera_proxy(home, entity_id):
    """``GET /api/camera_proxy/<id>``: a small generated PNG (HA: 404 if unknown)."""
    if not entity_id.startswith("camera.") or entity_id not in home.states:
        return _message(404, "Entity not found.")
    return Response(200, camera_png(entity_id, int(time.time())), "image/png")


def camera_png(entity_id, seed, width=160, height=90):
    """A gradient whose colours depend on the camera and ``seed`` (a time)."""
    base = zlib.crc32(entity_id.encode()) & 0xFFFFFF
    red, green, blue = base >> 16, (base >> 8) & 0xFF, (base + seed) & 0xFF
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows += bytes(
                (
                    (red + x) & 0xFF,
                    (green + y * 2) & 0xFF,
                    (blue + (x + y) // 2) & 0xFF,
                )
            )

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


def _flag(query, key):
    return key in query and query[key][0] not in ("0", "false")


def _rest_history(sim, path, query):
    rest = path[len("/api/history/period") :].lstrip("/")
    if rest:
        start = parse_iso(rest)
        if start is None:
            return _message(400, "Invalid datetime")
    else:
        start = time.time() - 86400
    end = start + 86400
    if query.get("end_time"):
        end = parse_iso(query["end_time"][0])
        if end is None:
            return _message(400, "Invalid end_time")
    ids = query.get("filter_entity_id", [""])[0]
    if not ids:
        return _message(400, "filter_entity_id is missing")
    entity_ids = [e.strip().lower() for e in ids.split(",") if e.strip()]
    if any("." not in e for e in entity_ids):
        return _message(400, "Invalid filter_entity_id")
    if start > time.time():
        return _json(200, [])
    minimal = "minimal_response" in query
    no_attrs = "no_attributes" in query
    significant = query.get("significant_changes_only", ["1"])[0] not in ("0", "false")
    rows = history.query(
        sim.home,
        entity_ids,
        start,
        end,
        "skip_initial_state" not in query,
        significant,
        minimal,
        no_attrs,
    )
    return _json(200, history.rest(sim.home, rows, minimal, no_attrs))


async def _control(sim, method, name, body):
    """``/_simulator/<knob>``: the fault and load knobs over HTTP."""
    try:
        args = json.loads(body) if body else {}
    except ValueError:
        return _message(400, "Data should be valid JSON.")
    if name == "stats":
        return _json(200, sim.stats())
    if method != "POST":
        return Response(405, "405: Method Not Allowed", "text/plain")
    if name == "set_state":
        st = sim.set_state(args["entity_id"], args["state"], args.get("attributes"))
        return Response(200, st.json())
    if name == "load":
        sim.load(
            args.get("events_per_second", 1000),
            args.get("entities", 100),
            args.get("duration", 5.0),
            bool(args.get("existing", False)),
        )
        return _json(200, {"started": True})
    if name == "burst":
        await sim.burst(args.get("n", 1000), args.get("entities", 100))
        return _json(200, {"sent": args.get("n", 1000)})
    if name == "delay_replies":
        sim.delay_replies(float(args.get("seconds", 0)))
        return _json(200, {"delay": sim.reply_delay})
    if name in ("drop_connections", "send_malformed", "revoke_token"):
        resp = _json(200, {"done": name})
        resp.after = getattr(sim, name)
        return resp
    if name == "set_token":
        resp = _json(200, {"done": name})
        resp.after = lambda: sim.set_token(args["token"])
        return resp
    if name == "restart":
        resp = _json(200, {"restarting": True})
        resp.after = lambda: sim.restart(float(args.get("downtime_seconds", 1.0)))
        return resp
    return Response(404, "404: Not Found", "text/plain")


def _farm_control(farm, method, name, query, body):
    """``/_simulator/farm/<knob>``: every home of a farm at once."""
    try:
        args = json.loads(body) if body else {}
    except ValueError:
        return _message(400, "Data should be valid JSON.")
    if name == "stats":
        return _json(200, farm.stats())
    if name == "states":
        try:
            return _json(200, farm.states(query.get("home", [None])[0]))
        except (IndexError, ValueError):
            return _message(404, "No such home.")
    if method != "POST":
        return Response(405, "405: Method Not Allowed", "text/plain")
    if name == "load":
        homes = args.get("homes")
        if homes is not None and not (
            isinstance(homes, list)
            and all(type(i) is int and 0 <= i < len(farm.homes) for i in homes)
        ):
            return _message(400, "homes must be a list of home indexes.")
        sensors = args.get("sensors")
        if sensors is not None and not (type(sensors) is int and sensors > 0):
            return _message(400, "sensors must be a positive number.")
        farm.load(
            args.get("events_per_second", 10), args.get("duration", 10), homes, sensors
        )
        count = len(farm.homes if homes is None else homes)
        return _json(200, {"started": True, "homes": count})
    if name == "drop_connections":
        resp = _json(200, {"done": name})
        resp.after = farm.drop_connections
        return resp
    return Response(404, "404: Not Found", "text/plain")
