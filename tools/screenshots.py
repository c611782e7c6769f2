"""Screenshots of the running product, and a live check of the kanban.

Start the product first (``./dev run``), then, with the addon's venv::

    ~/.cache/odoo_ha_addon/venv/bin/python tools/screenshots.py \\
        --odoo http://127.0.0.1:8190 --db ha7_shots \\
        --sim http://127.0.0.1:8191 --sim-token "$(cat .../run/<id>/sim-token)"

It logs in through ``/web/session/authenticate``, drives headless Chromium over
the DevTools protocol (``websocket-client``), saves
``static/description/screenshots/<page>.png`` (see PAGES; ``rule`` makes the
README's freezer rule first, ``control_log`` toggles three demo lights)
and,
with ``--sim``, checks that a toggle on a kanban card reaches the simulator and
that the card follows a state pushed by the simulator without a reload.
Everything stays on 127.0.0.1.

``--lang zh_TW --out static/description/screenshots/zh_TW`` takes them in
another language: the user's language is set to it first (the language must be
installed, e.g. by starting Odoo once with ``--load-language=zh_TW``).
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket  # websocket-client, in the addon's venv

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "description" / "screenshots"
WIDTH, HEIGHT = 1400, 900

PAGES = {
    "dashboard": ("/odoo/ha-dashboard", ".o_odoo_ha_addon_dashboard .card"),
    "kanban": ("/odoo/ha-entities", ".o_odoo_ha_addon_entity_controller"),
    "history": ("/odoo/ha-history", ".o_odoo_ha_addon_hahistory_renderer"),
    "settings": (
        "/odoo/action-odoo_ha_addon.ha_settings_action",
        "[name='odoo_ha_addon'], .app_settings_block, .o_setting_container",
    ),
    "ha_info": ("/odoo/ha-dashboard", ".o_odoo_ha_addon_show_info"),
    "glances": ("/odoo/ha-dashboard", ".o_odoo_ha_addon_show_info"),
    # {rule} is the id of the rule seed_rule makes
    "rule": (
        "/odoo/action-base_automation.base_automation_act/{rule}?debug=1",
        ".o_form_view",
    ),
    "control_log": (
        "/odoo/action-odoo_ha_addon.ha_control_log_action",
        ".o_list_view .o_data_row",
    ),
}
# Pages reached by clicks from the one loaded: (click, then wait for) pairs.
CLICKS = {
    "ha_info": [(".o_odoo_ha_addon_show_info", ".o_odoo_ha_addon_glances_device")],
    "glances": [
        (".o_odoo_ha_addon_show_info", ".o_odoo_ha_addon_glances_device"),
        (".o_odoo_ha_addon_open_glances", ".o_odoo_ha_addon_glances_group"),
    ],
}


def http_json(url, payload=None, headers=None, cookie=None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    if cookie:
        request.add_header("Cookie", cookie)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers, json.loads(response.read() or b"null")


def login(odoo, db, user, password):
    headers, body = http_json(
        f"{odoo}/web/session/authenticate",
        {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"db": db, "login": user, "password": password},
        },
    )
    if body.get("error") or not body.get("result", {}).get("uid"):
        sys.exit(f"login failed: {body.get('error')}")
    for header in headers.get_all("Set-Cookie") or []:
        if header.startswith("session_id="):
            return header.split(";", 1)[0].split("=", 1)[1]
    sys.exit("login gave no session cookie")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One headless Chromium page driven over the DevTools protocol."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="ha-shots-")
        self.port = free_port()
        chrome = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chrome:
            sys.exit("chromium not found")
        self.proc = subprocess.Popen(
            [
                chrome,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "--remote-debugging-address=127.0.0.1",
                f"--remote-debugging-port={self.port}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 20
        while True:
            try:
                _, targets = http_json(f"http://127.0.0.1:{self.port}/json/list")
                page = next(t for t in targets if t["type"] == "page")
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self._id = 0
        self.console = []
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.console.append(
                    details.get("exception", {}).get("description") or details["text"]
                )
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if result.get("exceptionDetails"):
            raise RuntimeError(result["exceptionDetails"].get("text"))
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.25)
        return False

    def goto(self, url, selector, settle=1.5):
        self.send("Page.navigate", url=url)
        found = self.wait_for(
            f"!!document.querySelector({json.dumps(selector)})"
            " && !document.querySelector('.o_blockUI')"
        )
        time.sleep(settle)  # charts animate, fonts load
        return found

    def click(self, selector, settle=2.0):
        clicked = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " if (el) el.click(); return !!el; })()"
        )
        time.sleep(settle)
        return clicked

    def notifications(self):
        return self.evaluate(
            "[...document.querySelectorAll('.o_notification')]"
            ".map((n) => n.textContent.trim())"
        )

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


# Entities whose history is recorded for the history screenshot (7 days: the
# sensors come from HA's long-term statistics, the others from the mirror).
HISTORY_ENTITIES = (
    "sensor.living_room_temperature",
    "sensor.bedroom_temperature",
    "sensor.bathroom_humidity",
    "light.bathroom_mirror",
    "binary_sensor.hallway_motion",
)


def call_kw(odoo, session, model, method, args, kwargs=None):
    _, body = http_json(
        f"{odoo}/web/dataset/call_kw/{model}/{method}",
        {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        },
        cookie=f"session_id={session}",
    )
    if body.get("error"):
        raise RuntimeError(f"{model}.{method}: {body['error']['data']['message']}")
    return body["result"]


def use_language(odoo, session, login_name, lang):
    """Make ``lang`` (an installed language) the language of ``login_name``."""
    if not call_kw(odoo, session, "res.lang", "search", [[("code", "=", lang)]]):
        sys.exit(
            f"{lang} is not installed: start Odoo once with --load-language={lang}"
        )
    users = call_kw(
        odoo, session, "res.users", "search", [[("login", "=", login_name)]]
    )
    call_kw(odoo, session, "res.users", "write", [users, {"lang": lang}])


def seed_history(odoo, session, sim, token):
    """Record a few entities and push some states so the history has rows."""
    records = call_kw(
        odoo,
        session,
        "ha.entity",
        "search_read",
        [[["entity_id", "in", list(HISTORY_ENTITIES)]]],
        {"fields": ["entity_id", "entity_state"]},
    )
    call_kw(
        odoo,
        session,
        "ha.entity",
        "write",
        [[r["id"] for r in records], {"enable_record": True}],
    )
    for step in range(4):
        for record in records:
            entity_id, state = record["entity_id"], record["entity_state"]
            if entity_id.startswith(("light.", "binary_sensor.")):
                value = "on" if step % 2 == 0 else "off"
            else:
                try:
                    value = str(round(float(state) + (step - 1.5) * 0.4, 1))
                except ValueError:
                    continue
            current = sim_request(sim, token, f"/api/states/{entity_id}")
            sim_request(
                sim,
                token,
                "/_simulator/set_state",
                {
                    "entity_id": entity_id,
                    "state": value,
                    "attributes": current.get("attributes"),
                },
            )
        time.sleep(0.6)
    return [r["entity_id"] for r in records]


# Lights of the simulator's and of real Home Assistant's demo home.
CONTROLLED = ["light.bed_light", "light.kitchen_lights", "light.living_room_lamp"]
RULE_NAME = "Freezer above -15 °C: maintenance request"


def seed_rule(odoo, session):
    """The README's freezer rule (made once): the id of its form."""
    found = call_kw(
        odoo, session, "base.automation", "search", [[("name", "=", RULE_NAME)]]
    )
    if found:
        return found[0]
    model = call_kw(
        odoo, session, "ir.model", "search", [[("model", "=", "ha.entity")]]
    )[0]
    field = call_kw(
        odoo,
        session,
        "ir.model.fields",
        "search",
        [[("model", "=", "ha.entity"), ("name", "=", "entity_state")]],
    )
    return call_kw(
        odoo,
        session,
        "base.automation",
        "create",
        [
            {
                "name": RULE_NAME,
                "model_id": model,
                "trigger": "on_write",
                "trigger_field_ids": [(6, 0, field)],
                "filter_pre_domain": "[('entity_id', '=', "
                "'sensor.freezer_temperature'), ('state_value', '<=', -15)]",
                "filter_domain": "[('state_value', '>', -15), ('entity_state', "
                "'not in', ['unavailable', 'unknown'])]",
                "action_server_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Open a maintenance request",
                            "model_id": model,
                            "state": "code",
                            "code": "record.message_post(body='Freezer at %s °C'"
                            " % record.entity_state)",
                        },
                    )
                ],
            }
        ],
    )


def seed_controls(odoo, session, entity_ids):
    """Toggle ``entity_ids`` twice through Odoo, so the control log has rows."""
    records = call_kw(
        odoo, session, "ha.entity", "search", [[("entity_id", "in", entity_ids)]]
    )
    for _round in range(2):
        call_kw(odoo, session, "ha.entity", "ha_call_service", [records, "toggle"])
        time.sleep(2)
    return len(records)


def sim_request(sim, token, path, payload=None):
    return http_json(
        f"{sim}{path}", payload, headers={"Authorization": f"Bearer {token}"}
    )[1]


def card_state(browser, entity_id):
    selector = json.dumps(
        f".o_odoo_ha_addon_entity_controller[data-entity-id='{entity_id}']"
    )
    return browser.evaluate(
        f"(() => {{ const el = document.querySelector({selector});"
        " if (!el) return null;"
        " const box = el.querySelector('.o_odoo_ha_addon_toggle');"
        " return {state: el.querySelector('.o_odoo_ha_addon_state').textContent.trim(),"
        " checked: box ? box.checked : null}; })()"
    )


def check_live(browser, odoo, sim, token):
    """Toggle a light on its card, then push a state from the simulator."""
    report = {}
    browser.goto(
        f"{odoo}/odoo/ha-entities", ".o_odoo_ha_addon_entity_controller", settle=1
    )
    light = browser.evaluate(
        "(() => { const el = [...document.querySelectorAll("
        "'.o_odoo_ha_addon_entity_controller[data-family=light]')]"
        ".find((e) => e.querySelector('.o_odoo_ha_addon_toggle:not([disabled])'));"
        " return el && el.dataset.entityId; })()"
    )
    if not light:
        report["error"] = "no light card with a toggle on the first kanban page"
        return report
    report["entity"] = light
    before = card_state(browser, light)
    calls_before = len(sim_request(sim, token, "/_simulator/stats")["service_calls"])
    browser.evaluate(
        'document.querySelector(".o_odoo_ha_addon_entity_controller'
        f"[data-entity-id='{light}'] .o_odoo_ha_addon_toggle\").click()"
    )
    deadline = time.time() + 15
    calls = []
    while time.time() < deadline and not calls:
        calls = sim_request(sim, token, "/_simulator/stats")["service_calls"][
            calls_before:
        ]
        time.sleep(0.25)
    report["toggle"] = {"card_before": before, "service_calls": calls}
    time.sleep(1.5)
    report["toggle"]["card_after"] = card_state(browser, light)
    # A change made in "Home Assistant": the card must follow the bus push.
    current = sim_request(sim, token, f"/api/states/{light}")["state"]
    wanted = "off" if current == "on" else "on"
    sim_request(
        sim, token, "/_simulator/set_state", {"entity_id": light, "state": wanted}
    )
    started = time.time()
    toggle = json.dumps(
        f".o_odoo_ha_addon_entity_controller[data-entity-id='{light}']"
        " .o_odoo_ha_addon_toggle"
    )
    followed = browser.wait_for(
        f"(() => {{ const el = document.querySelector({toggle});"
        f" return el && el.checked === {json.dumps(wanted == 'on')}; }})()",
        timeout=20,
    )
    report["push"] = {
        "set_state": wanted,
        "card_followed": bool(followed),
        "seconds": round(time.time() - started, 2),
        "card": card_state(browser, light),
        "reloaded": browser.evaluate(
            "performance.getEntriesByType('navigation').length"
        )
        != 1,
    }
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default=os.environ.get("ODOO_HA_DB", "odoo_ha"))
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--sim", help="simulator URL, for the live check")
    parser.add_argument("--sim-token", help="simulator token, for the live check")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--only", nargs="*", choices=sorted(PAGES))
    parser.add_argument("--lang", help="the user's language for the pages, e.g. zh_TW")
    args = parser.parse_args()
    for url in filter(None, (args.odoo, args.sim)):
        if not url.startswith(("http://127.0.0.1", "http://localhost")):
            sys.exit(f"{url}: only 127.0.0.1 is allowed")

    session = login(args.odoo, args.db, args.login, args.password)
    if args.lang:
        use_language(args.odoo, session, args.login, args.lang)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    result = {"screenshots": {}}
    try:
        host = args.odoo.split("//", 1)[1].split(":")[0]
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=session,
            domain=host,
            path="/",
            httpOnly=True,
        )
        if args.sim and args.sim_token:
            result["history_entities"] = seed_history(
                args.odoo, session, args.sim, args.sim_token
            )
        names = args.only or list(PAGES)
        ids = {}
        if "rule" in names:
            ids["rule"] = seed_rule(args.odoo, session)
        if "control_log" in names:
            result["controls"] = seed_controls(args.odoo, session, CONTROLLED)
        for name in names:
            path, selector = PAGES[name]
            path = path.format(**ids)
            found = browser.goto(args.odoo + path, selector)
            for click, wait in CLICKS.get(name, ()):
                browser.click(click, settle=0.5)
                found = browser.wait_for(
                    f"!!document.querySelector({json.dumps(wait)})", timeout=20
                )
                time.sleep(1)
            if name == "kanban":
                # a camera snapshot, fetched by the server from HA
                browser.click(
                    ".o_odoo_ha_addon_entity_controller[data-family=camera]"
                    " [data-action=snapshot]",
                    settle=0.5,
                )
                result["camera_snapshot"] = browser.wait_for(
                    "(() => { const img = document.querySelector("
                    "'img.o_odoo_ha_addon_snapshot');"
                    " return img && img.complete && img.naturalWidth"
                    " ? img.src.slice(0, 22) : false; })()",
                    timeout=10,
                )
            if name == "history":
                # 7 days: numeric sensors from long-term statistics
                browser.click(".o_odoo_ha_addon_ranges [data-range='7d']", settle=3)
                found = browser.evaluate("!!document.querySelector('canvas')")
            notes = browser.notifications()
            if notes:
                result.setdefault("notifications", {})[name] = notes
            # Odoo's bus "page is out of date" warning (outdated_page_watcher) can
            # show after a full navigation in a fresh profile; it is not part of
            # the page: close it before the screenshot (it is reported above).
            # Its title is looked up in the page's language.
            browser.evaluate(
                "(() => { const {_t} = odoo.loader.modules.get("
                "'@web/core/l10n/translation');"
                " const title = String(_t('The page is out of date'));"
                " document.querySelectorAll('.o_notification').forEach((n) => {"
                " if (n.textContent.includes(title))"
                " n.querySelector('.o_notification_close')?.click(); }); })()"
            )
            time.sleep(0.5)
            target = out / f"{name}.png"
            browser.screenshot(target)
            result["screenshots"][name] = {"file": str(target), "ready": bool(found)}
        if args.sim and args.sim_token:
            result["live"] = check_live(browser, args.odoo, args.sim, args.sim_token)
        result["js_errors"] = browser.console
    finally:
        browser.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
