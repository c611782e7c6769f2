"""Many users for the mirror benches: HA Managers, some of them online.

``BenchUsers`` keeps ``count`` internal users (logins ``bench_user_NNN``) in
the HA Manager group, created once per database and archived between runs,
so a run can measure the same database with and without them. ``BusClient``
is one of them online: a raw websocket to Odoo's ``/websocket`` that
subscribes as the web client's worker does (no channel of its own: the server
decides) and counts the Home Assistant pushes it receives.
"""

import json
import multiprocessing
import os
import re
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import websocket

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import ODOO_PATH, query  # noqa: E402
from bench_request_path import Session  # noqa: E402

LOGIN = "bench_user_{:03d}"
# The push time of a state message (its changes carry no "timestamp" key).
STAMP = re.compile(r'"timestamp": ?"([^"]+)"')
PASSWORD = "bench-user-password"


def worker_version():
    """The bus worker version Odoo expects (a client without it is refused)."""
    source = (ODOO_PATH / "odoo/addons/bus/websocket.py").read_text()
    return re.search(r'_VERSION = "([^"]+)"', source).group(1)


class BenchUsers:
    """``count`` HA Managers on ``db``, made active and archived on demand."""

    def __init__(self, db, port, count):
        self.db, self.port, self.count = db, port, count
        self.admin = Session(port).authenticate(db)
        self.ids = self._ensure()

    def _ensure(self):
        logins = [LOGIN.format(i) for i in range(self.count)]
        existing = dict(
            query(
                self.db,
                "SELECT login, id FROM res_users WHERE login = ANY(%s)",
                (logins,),
            )
        )
        groups = [
            query(
                self.db,
                "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
                xmlid.split("."),
            )[0][0]
            for xmlid in ("base.group_user", "odoo_ha_addon.group_ha_manager")
        ]
        missing = [login for login in logins if login not in existing]
        if missing:
            created = self.admin.call(
                "res.users",
                "create",
                [
                    {
                        "name": login.replace("_", " ").title(),
                        "login": login,
                        "groups_id": [(6, 0, groups)],
                        "active": False,
                    }
                    for login in missing
                ],
            )
            existing.update(zip(missing, created, strict=True))
        return [existing[login] for login in logins]

    def activate(self, active=True):
        self.admin.call(
            "res.users",
            "write",
            self.ids,
            {"active": active},
            context={"active_test": False},
        )

    def login(self, index, port=None):
        """A session cookie of user ``index`` from the server on ``port`` (by
        default the admin's), its password set on first use."""
        session = Session(port or self.port)
        login = LOGIN.format(index)
        try:
            session.authenticate(self.db, login, PASSWORD)
        except RuntimeError:
            self.admin.call(
                "res.users", "write", [self.ids[index]], {"password": PASSWORD}
            )
            session.authenticate(self.db, login, PASSWORD)
        return session.cookie


class BusClient(threading.Thread):
    """An online user: a websocket subscribed as Odoo's web client does."""

    def __init__(self, port, cookie):
        super().__init__(daemon=True)
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/websocket?version={worker_version()}",
            cookie=cookie,
            timeout=1,
            # These clients stand for browsers on other machines: validating
            # megabytes of UTF-8 in Python would load this one instead.
            skip_utf8_validation=True,
        )
        self.ws.send(
            json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}})
        )
        self.stopping = False
        self.messages = 0  # ha_entity_state_changed
        self.changes = 0
        self.delays = []  # s from the server's push timestamp to reception
        self.bytes = 0

    def run(self):
        while not self.stopping:
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError):
                return
            now = time.time()
            self.bytes += len(raw)
            # Counted, not decoded (a decoder would cost this machine more
            # than the server's own work): the payloads' keys are fixed.
            found = raw.count('"ha_entity_state_changed"')
            if not found:
                continue
            self.messages += found
            self.changes += raw.count('"last_updated"')
            for stamp in STAMP.findall(raw):
                stamp = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                self.delays.append(now - stamp.timestamp())

    def reset(self):
        self.messages = self.changes = self.bytes = 0
        self.delays = []

    def stop(self):
        self.stopping = True
        self.join(3)
        self.ws.close()


class NicedClients:
    """``BusClient`` s in a child process at the lowest CPU priority.

    They stand for browsers on other machines: on this one they must not
    take the CPU from the Odoo processes they measure (in the bench's own
    process they also held its Python lock against the commit listener).
    """

    def __init__(self, port, cookies):
        self.conn, child = multiprocessing.Pipe()
        context = multiprocessing.get_context("fork")
        self.proc = context.Process(
            target=_serve_clients, args=(child, port, cookies), daemon=True
        )
        self.proc.start()
        if not self.conn.poll(60) or self.conn.recv() != "ready":
            raise SystemExit("FAILED: the online clients did not connect")

    def _ask(self, what):
        self.conn.send(what)
        return self.conn.recv()

    def reset(self):
        self._ask("reset")

    def figures(self):
        """One namespace per client: messages, changes, bytes, delays."""
        return [SimpleNamespace(**client) for client in self._ask("figures")]

    def stop(self):
        if self.proc.is_alive():
            self._ask("stop")
        self.proc.join(5)


def _serve_clients(conn, port, cookies):
    os.nice(19)
    clients = [BusClient(port, cookie) for cookie in cookies]
    for client in clients:
        client.start()
    conn.send("ready")
    while True:
        what = conn.recv()
        if what == "reset":
            for client in clients:
                client.reset()
            conn.send(True)
        elif what == "figures":
            conn.send(
                [
                    {
                        "messages": c.messages,
                        "changes": c.changes,
                        "bytes": c.bytes,
                        "delays": list(c.delays),
                    }
                    for c in clients
                ]
            )
        elif what == "stop":
            for client in clients:
                client.stop()
            conn.send(True)
            return
