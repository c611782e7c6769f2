"""Install, start and stop a real, offline Home Assistant for contract tests.

Everything lives under ``${ODOO_HA_CACHE:-~/.cache/odoo_ha_addon}/real-ha/``::

    venv/            homeassistant==2025.4.4, Python 3.13 (requirements.lock.txt)
    bin/ffmpeg       link to the ffmpeg binary of the imageio-ffmpeg wheel
    config/          HA config dir (configuration.yaml rewritten on every start)
    token.txt        long-lived access token (mode 600)
    ha.pid, ha.log   PID and console output of the running server

Home Assistant only listens on 127.0.0.1 (port ``REAL_HA_PORT``, default 18123)
and runs with ``--skip-pip``; only ``install`` needs PyPI.  The interpreter is
``REAL_HA_PYTHON`` or ``python3.13`` (with ``PYENV_VERSION=3.13.0`` for pyenv).
Only stdlib, ``requests`` and ``websockets`` are used here, never ``odoo``.
"""

import asyncio
import hashlib
import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from websockets.asyncio.client import connect

HA_VERSION = "2025.4.4"
LOCK_FILE = Path(__file__).with_name("requirements.lock.txt")
CLIENT_ID_TMPL = "http://127.0.0.1:{port}/"
USERNAME = "odoo"

FLOORS = [
    ("Ground Floor", 0, "mdi:home-floor-0"),
    ("First Floor", 1, "mdi:home-floor-1"),
]
AREAS = [
    ("Living Room", "Ground Floor"),
    ("Kitchen", "Ground Floor"),
    ("Hallway", "Ground Floor"),
    ("Office", "First Floor"),
    ("Bedroom", "First Floor"),
    ("Garden", None),
]
LABELS = [("Odoo", "mdi:odoo", "purple"), ("Energy", "mdi:flash", "amber")]
# entity_id -> (area name or None, label names)
ENTITY_PROVISION = {
    "input_boolean.guest_mode": ("Living Room", ["Odoo"]),
    "input_number.target_temperature": ("Living Room", []),
    "input_select.house_mode": ("Hallway", ["Odoo"]),
    "counter.door_openings": ("Hallway", []),
    "light.kitchen_lights": (None, ["Energy"]),
    "sensor.total_energy_kwh": (None, ["Energy"]),
}

# Long-term statistics imported on every start (recorder/import_statistics):
# hourly mean/min/max rows for the 7 days up to the last full hour.
STATISTIC_ID = "sensor.outside_temperature"
STATISTIC_UNIT = "°C"
STATISTIC_DAYS = 7
# HA compiles the hour that just ended shortly after the top of the hour (its
# 5-minute compile at hh:00 plus a few seconds).  Importing that hour before
# HA has compiled it would make HA's own insert collide with ours, so during
# this grace period the import stops one hour earlier.
STATISTIC_COMPILE_GRACE = 120.0
STATISTIC_WAIT = 30.0  # seconds for the recorder to commit the import

CONFIG_YAML = """\
# Written by tools/real_ha/manager.py on every start; edits are lost.
# Offline test peer: no default_config (it loads network discovery/cloud).
homeassistant:
  name: Odoo Test Home
  latitude: 50.85
  longitude: 4.35
  elevation: 13
  unit_system: metric
  currency: EUR
  country: BE
  language: en
  time_zone: UTC
  internal_url: "http://127.0.0.1:{port}"

http:
  server_host: 127.0.0.1
  server_port: {port}

logger:
  default: warning

api:
websocket_api:
config:
onboarding:
history:
logbook:
recorder:
  commit_interval: 1
  purge_keep_days: 10

demo:

input_boolean:
  guest_mode:
    name: Guest mode
  notify:
    name: Notify
    initial: false
input_number:
  target_temperature:
    name: Target temperature
    min: 5
    max: 30
    step: 0.5
    unit_of_measurement: "°C"
    mode: box
input_select:
  house_mode:
    name: House mode
    options: ["Home", "Away", "Night"]
input_text:
  odoo_note:
    name: Odoo note
    max: 255
input_button:
  bell:
    name: Ring bell
input_datetime:
  alarm_time:
    name: Alarm time
    has_date: false
    has_time: true
counter:
  door_openings:
    name: Door openings
timer:
  laundry:
    name: Laundry
    duration: "00:45:00"
script:
  odoo_ping:
    alias: Odoo ping
    sequence:
      - action: input_boolean.toggle
        target: {{entity_id: input_boolean.notify}}
scene:
  - name: Evening
    entities:
      light.ceiling_lights: "on"
automation:
  - id: count_door
    alias: Count door openings
    triggers:
      - trigger: state
        entity_id: input_boolean.notify
    actions:
      - action: counter.increment
        target: {{entity_id: counter.door_openings}}
"""


class RealHAError(RuntimeError):
    """A step of the real Home Assistant tooling failed."""


class RealHA:
    """Paths and lifecycle of one real Home Assistant state directory."""

    def __init__(self, root=None, port=None, python=None):
        cache = os.environ.get("ODOO_HA_CACHE") or str(
            Path.home() / ".cache" / "odoo_ha_addon"
        )
        self.root = Path(root or Path(cache) / "real-ha")
        self.port = int(port or os.environ.get("REAL_HA_PORT", "18123"))
        self.python = python or os.environ.get("REAL_HA_PYTHON") or "python3.13"
        self.venv = self.root / "venv"
        self.config = self.root / "config"
        self.token_file = self.root / "token.txt"
        self.pid_file = self.root / "ha.pid"
        self.log_file = self.root / "ha.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.trust_env = False  # never go through a proxy for 127.0.0.1

    # ------------------------------------------------------------ install
    def _python_env(self):
        env = dict(os.environ)
        env.setdefault("PYENV_VERSION", "3.13.0")
        return env

    def install(self):
        """Create the venv with the pinned packages; a no-op when up to date."""
        self.root.mkdir(parents=True, exist_ok=True)
        marker = self.venv / ".installed"
        want = hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()
        hass = self.venv / "bin" / "hass"
        if hass.exists() and marker.exists() and marker.read_text() == want:
            self._link_ffmpeg()
            return False
        started = time.monotonic()
        if not (self.venv / "bin" / "python").exists():
            try:
                version = subprocess.run(
                    [self.python, "-c", "import sys;print(sys.version_info[:2])"],
                    env=self._python_env(),
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
            except (OSError, subprocess.CalledProcessError) as exc:
                raise RealHAError(
                    f"{self.python} does not run; install Python 3.13 or set "
                    "REAL_HA_PYTHON"
                ) from exc
            if version != "(3, 13)":
                raise RealHAError(f"{self.python} is {version}, need 3.13")
            subprocess.run(
                [self.python, "-m", "venv", str(self.venv)],
                env=self._python_env(),
                check=True,
            )
        log = self.root / "install-pip.log"
        with log.open("w") as fh:
            res = subprocess.run(
                [
                    str(self.venv / "bin" / "pip"),
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-r",
                    str(LOCK_FILE),
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        if res.returncode:
            raise RealHAError(f"pip install failed, see {log}")
        marker.write_text(want)
        self._link_ffmpeg()
        print(
            f"installed Home Assistant {HA_VERSION} in "
            f"{time.monotonic() - started:.1f}s"
        )
        return True

    def _link_ffmpeg(self):
        """Put the ffmpeg binary of the imageio-ffmpeg wheel on HA's PATH."""
        bindir = self.root / "bin"
        bindir.mkdir(exist_ok=True)
        link = bindir / "ffmpeg"
        if link.exists():
            return
        res = subprocess.run(
            [
                str(self.venv / "bin" / "python"),
                "-c",
                "import imageio_ffmpeg;print(imageio_ffmpeg.get_ffmpeg_exe())",
            ],
            capture_output=True,
            text=True,
        )
        if res.returncode == 0 and res.stdout.strip():
            link.symlink_to(res.stdout.strip())

    # ------------------------------------------------------------- process
    def pid(self):
        """PID of our running HA, or None (stale pid files are removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            self.pid_file.unlink(missing_ok=True)
            return None
        if str(self.config).encode() not in cmdline:
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def _write_config(self):
        storage = self.config / ".storage"
        storage.mkdir(parents=True, exist_ok=True)
        (self.config / "configuration.yaml").write_text(
            CONFIG_YAML.format(port=self.port)
        )
        for name in ("automations.yaml", "scripts.yaml", "scenes.yaml"):
            (self.config / name).touch()
        onboarding = storage / "onboarding"
        if not onboarding.exists() and not (storage / "auth").exists():
            # Marking core_config done keeps HA from starting the onboarding
            # integrations that would reach the internet.
            onboarding.write_text(
                json.dumps(
                    {
                        "version": 4,
                        "minor_version": 1,
                        "key": "onboarding",
                        "data": {"done": ["core_config"]},
                    }
                )
            )

    def start(self, timeout=300.0):
        """Start HA (if needed), onboard, provision; return (pid, timings).

        Provisioning (registries and statistics) runs on every call, also when
        HA is already running: it is idempotent and resets a known state.
        """
        timings = {}
        started = time.monotonic()
        pid = self.pid()
        if pid:
            asyncio.run(self._provision())
            timings = {
                "already_running": True,
                "provisioned": round(time.monotonic() - started, 2),
            }
            return pid, timings
        if not (self.venv / "bin" / "hass").exists():
            raise RealHAError("not installed: run `python -m tools.real_ha install`")
        self._write_config()
        env = dict(os.environ)
        env["PATH"] = f"{self.root / 'bin'}:{env.get('PATH', '')}"
        env["NO_PROXY"] = "127.0.0.1,localhost"
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                [
                    str(self.venv / "bin" / "python"),
                    str(self.venv / "bin" / "hass"),
                    "--config",
                    str(self.config),
                    "--skip-pip",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        deadline = started + timeout
        self._wait(lambda: self._get("/manifest.json", auth=False), deadline, proc)
        timings["http"] = round(time.monotonic() - started, 2)
        if not self._token_valid():
            self._onboard()
        self._wait(
            lambda: self._get("/api/config").json().get("state") == "RUNNING",
            deadline,
            proc,
        )
        timings["running"] = round(time.monotonic() - started, 2)
        asyncio.run(self._provision())
        timings["provisioned"] = round(time.monotonic() - started, 2)
        return proc.pid, timings

    def _wait(self, probe, deadline, proc):
        while True:
            if proc.poll() is not None:
                raise RealHAError(f"Home Assistant exited, see {self.log_file}")
            try:
                if probe():
                    return
            except (requests.RequestException, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RealHAError("Home Assistant did not become ready in time")
            time.sleep(0.2)

    def _get(self, path, auth=True):
        headers = {}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        resp = self.http.get(self.url + path, headers=headers, timeout=5)
        return resp if resp.status_code == 200 else None

    def stop(self, timeout=60.0):
        """SIGTERM the recorded PID, SIGKILL after ``timeout``; True if stopped."""
        pid = self.pid()
        if not pid:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            if _reap(pid):
                break
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists() and not _reap(pid):
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self):
        pid = self.pid()
        info = {"pid": pid, "url": self.url, "root": str(self.root)}
        if pid and self.token_file.exists():
            try:
                resp = self._get("/api/config")
                info["state"] = resp.json()["state"] if resp else None
            except requests.RequestException:
                info["state"] = None
        return info

    # ------------------------------------------------------ token + setup
    def token(self):
        try:
            return self.token_file.read_text().strip()
        except OSError:
            return ""

    def _token_valid(self):
        if not self.token():
            return False
        return self._get("/api/") is not None

    def _onboard(self):
        client_id = CLIENT_ID_TMPL.format(port=self.port)
        status = self.http.get(self.url + "/api/onboarding", timeout=10)
        if status.status_code == 200 and any(
            s["step"] == "user" and s["done"] for s in status.json()
        ):
            raise RealHAError(
                "onboarding already done but no valid token; delete "
                f"{self.config} to start afresh"
            )
        password = secrets.token_urlsafe(18)
        resp = self.http.post(
            self.url + "/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Odoo Test",
                "username": USERNAME,
                "password": password,
                "language": "en",
            },
            timeout=30,
        )
        resp.raise_for_status()
        _write_private(self.root / "admin_password.txt", password)
        resp = self.http.post(
            self.url + "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": resp.json()["auth_code"],
                "client_id": client_id,
            },
            timeout=30,
        )
        resp.raise_for_status()
        access = resp.json()["access_token"]
        headers = {"Authorization": f"Bearer {access}"}
        self.http.post(
            self.url + "/api/onboarding/analytics", headers=headers, timeout=30
        )
        self.http.post(
            self.url + "/api/onboarding/integration",
            headers=headers,
            json={
                "client_id": client_id,
                "redirect_uri": client_id + "?auth_callback=1",
            },
            timeout=30,
        )
        token = asyncio.run(
            self._ws_calls(
                access,
                [
                    {
                        "type": "auth/long_lived_access_token",
                        "client_name": "odoo_ha_addon contract tests",
                        "lifespan": 3650,
                    }
                ],
            )
        )[0]
        _write_private(self.token_file, token)

    async def _ws_calls(self, token, messages):
        ws_url = self.url.replace("http", "ws", 1) + "/api/websocket"
        results = []
        async with connect(ws_url, max_size=None) as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "auth", "access_token": token}))
            reply = json.loads(await ws.recv())
            if reply["type"] != "auth_ok":
                raise RealHAError(f"websocket auth failed: {reply}")
            for msg_id, msg in enumerate(messages, 1):
                await ws.send(json.dumps({**msg, "id": msg_id}))
                while True:
                    reply = json.loads(await ws.recv())
                    if reply.get("id") == msg_id and reply["type"] == "result":
                        break
                if not reply["success"]:
                    raise RealHAError(f"{msg['type']} failed: {reply['error']}")
                results.append(reply["result"])
        return results

    async def _provision(self):
        """Idempotently create floors, areas, labels, assign a few entities
        and import the long-term statistics."""
        call = _WSCaller(self.url, self.token())
        async with call:
            floors = {
                f["name"]: f["floor_id"] for f in await call("floor_registry/list")
            }
            for name, level, icon in FLOORS:
                if name not in floors:
                    floor = await call(
                        "floor_registry/create", name=name, level=level, icon=icon
                    )
                    floors[name] = floor["floor_id"]
            areas = {a["name"]: a for a in await call("area_registry/list")}
            for name, floor in AREAS:
                floor_id = floors.get(floor)
                if name not in areas:
                    extra = {"floor_id": floor_id} if floor_id else {}
                    areas[name] = await call("area_registry/create", name=name, **extra)
                elif areas[name]["floor_id"] != floor_id:
                    await call(
                        "area_registry/update",
                        area_id=areas[name]["area_id"],
                        floor_id=floor_id,
                    )
            labels = {
                lb["name"]: lb["label_id"] for lb in await call("label_registry/list")
            }
            for name, icon, color in LABELS:
                if name not in labels:
                    label = await call(
                        "label_registry/create", name=name, icon=icon, color=color
                    )
                    labels[name] = label["label_id"]
            entries = {e["entity_id"] for e in await call("entity_registry/list")}
            for entity_id, (area, label_names) in ENTITY_PROVISION.items():
                if entity_id not in entries:
                    continue
                await call(
                    "entity_registry/update",
                    entity_id=entity_id,
                    area_id=areas[area]["area_id"] if area else None,
                    labels=sorted(labels[n] for n in label_names),
                )
            devices = await call("device_registry/list")
            area_ids = [areas[name]["area_id"] for name, _floor in AREAS]
            demo_devices = sorted(
                (
                    d
                    for d in devices
                    if d["identifiers"] and d["identifiers"][0][0] == "demo"
                ),
                key=lambda d: d["id"],
            )
            for idx, device in enumerate(demo_devices[:12]):
                want = area_ids[idx % len(area_ids)]
                if device["area_id"] != want:
                    await call(
                        "device_registry/update", device_id=device["id"], area_id=want
                    )
            await self._import_statistics(call)

    async def _import_statistics(self, call):
        """Import hourly statistics for ``STATISTIC_ID``, then wait for them.

        The recorder upserts imported rows by (statistic, start), so importing
        the same hours again on every start is idempotent.  The command only
        queues a recorder job, hence the poll until every row is readable.
        """
        stats = statistic_rows(time.time())
        await call.raw(
            "recorder/import_statistics",
            metadata={
                "has_mean": True,
                "has_sum": False,
                "name": None,
                "source": "recorder",
                "statistic_id": STATISTIC_ID,
                "unit_of_measurement": STATISTIC_UNIT,
            },
            stats=stats,
        )
        want = {_epoch_ms(row["start"]): row["mean"] for row in stats}
        first, last = min(want), max(want)
        deadline = time.monotonic() + STATISTIC_WAIT
        while True:
            result = await call.raw(
                "recorder/statistics_during_period",
                start_time=stats[0]["start"],
                end_time=datetime.fromtimestamp(last / 1000 + 3600, UTC).isoformat(),
                statistic_ids=[STATISTIC_ID],
                period="hour",
                types=["mean"],
            )
            got = {
                row["start"]: row["mean"]
                for row in result.get(STATISTIC_ID, [])
                if first <= row["start"] <= last
            }
            if got.keys() == want.keys() and all(
                got[key] is not None and abs(got[key] - want[key]) < 1e-6
                for key in want
            ):
                return
            if time.monotonic() > deadline:
                raise RealHAError(
                    f"imported statistics for {STATISTIC_ID} not readable after "
                    f"{STATISTIC_WAIT:.0f}s ({len(got)}/{len(want)} hours)"
                )
            await asyncio.sleep(0.2)


def statistic_rows(now):
    """Hourly rows (mean/min/max, °C) for the 7 days up to the last full hour.

    ``start`` is an ISO string at the top of an hour, as the command requires.
    The values are a deterministic daily sine of the hour, so every start
    writes the same numbers for the same hour.
    """
    last_full = int(now // 3600 * 3600)
    if now - last_full < STATISTIC_COMPILE_GRACE:
        last_full -= 3600
    rows = []
    for hours_back in range(STATISTIC_DAYS * 24, 0, -1):
        start = last_full - hours_back * 3600
        hour_of_day = (start // 3600) % 24
        mean = 11.0 + 6.0 * math.sin(2 * math.pi * (hour_of_day - 9) / 24)
        rows.append(
            {
                "start": datetime.fromtimestamp(start, UTC).isoformat(),
                "mean": round(mean, 2),
                "min": round(mean - 0.8, 2),
                "max": round(mean + 0.9, 2),
            }
        )
    return rows


def _epoch_ms(text):
    return int(datetime.fromisoformat(text).timestamp() * 1000)


class _WSCaller:
    """Minimal sequential WS helper for provisioning (admin token)."""

    def __init__(self, url, token):
        self.ws_url = url.replace("http", "ws", 1) + "/api/websocket"
        self.token = token
        self.next_id = 0
        self._cm = None
        self.ws = None

    async def __aenter__(self):
        self._cm = connect(self.ws_url, max_size=None)
        self.ws = await self._cm.__aenter__()
        await self.ws.recv()
        await self.ws.send(json.dumps({"type": "auth", "access_token": self.token}))
        if json.loads(await self.ws.recv())["type"] != "auth_ok":
            raise RealHAError("websocket auth failed during provisioning")
        return self

    async def __aexit__(self, *exc):
        await self._cm.__aexit__(*exc)

    async def __call__(self, command, **data):
        return await self.raw(f"config/{command}", **data)

    async def raw(self, msg_type, **data):
        """Send one command of type ``msg_type``; return its result."""
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "type": msg_type, **data}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == self.next_id and reply["type"] == "result":
                break
        if not reply["success"]:
            raise RealHAError(f"{msg_type} failed: {reply['error']}")
        return reply["result"]


def _reap(pid):
    """Collect ``pid`` if it is our child; True once it has exited."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def _write_private(path, text):
    path = Path(path)
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)
    path.write_text(text + "\n")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m tools.real_ha {install,start,stop,status,token,reset}"
    if len(argv) != 1:
        print(usage, file=sys.stderr)
        return 2
    ha = RealHA()
    cmd = argv[0]
    try:
        if cmd == "install":
            t0 = time.monotonic()
            ha.install()
            print(f"install ok in {time.monotonic() - t0:.1f}s ({ha.venv})")
        elif cmd == "start":
            pid, timings = ha.start()
            print(f"Home Assistant {HA_VERSION} up on {ha.url} PID {pid} {timings}")
            print(f"Token file: {ha.token_file}")
        elif cmd == "stop":
            print("stopped" if ha.stop() else "not running")
        elif cmd == "status":
            print(json.dumps(ha.status()))
            return 0 if ha.pid() else 1
        elif cmd == "token":
            token = ha.token()
            if not token:
                print("no token yet: run start first", file=sys.stderr)
                return 1
            print(token)
        elif cmd == "reset":
            if ha.pid():
                raise RealHAError("stop Home Assistant first")
            shutil.rmtree(ha.config, ignore_errors=True)
            ha.token_file.unlink(missing_ok=True)
            print(f"removed {ha.config}")
        else:
            print(usage, file=sys.stderr)
            return 2
    except RealHAError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0
