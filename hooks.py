"""Module hooks.

``ensure_websockets`` (run by the package ``__init__`` before the models are
imported, and again by ``pre_init_hook``) makes sure a recent enough
``websockets`` is importable, ``post_init_hook`` gives the administrator the
HA Manager group, ``uninstall_hook`` stops this database's HA connections in
this process and removes what the ORM does not know about (system parameters,
the history rollup), and ``post_load`` starts the per-process connection
supervisor.

Why ``websockets`` is not an ``external_dependencies`` entry and not first
installed by ``pre_init_hook``: Odoo checks ``external_dependencies`` when a
module is marked for install, before any of its code runs, and it imports the
module's package (hence the models, which import ``websockets``) before it
calls ``pre_init_hook``. Either way a missing ``websockets`` would stop the
install before such a hook could install it; the package import is the first
code of ours that runs.
"""

import contextlib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile

_logger = logging.getLogger(__name__)

# 14.2: the oldest release with everything the client uses (the new asyncio
# client, its close_code) and with which the whole test suite passes.
WEBSOCKETS_MIN_VERSION = (14, 2)
WEBSOCKETS_REQUIREMENT = "websockets>=14.2"
AUTO_INSTALL_ENV = "ODOO_HA_AUTO_INSTALL"
AUTO_INSTALL_SECTION = "home_assistant"  # [home_assistant] auto_install = False
AUTO_INSTALL_OPTION = "auto_install"
PIP_TIMEOUT = 600  # seconds
PARAM_PREFIX = "odoo_ha_addon."

# Made by ha.entity.history's init() in SQL, so unknown to Odoo's uninstall:
# the per-minute history rollup, its functions and (through CASCADE) the
# triggers on ha_entity_history that call them.
DROP_RAW_SQL_OBJECTS = """
DROP TABLE IF EXISTS ha_entity_history_minute;
DROP FUNCTION IF EXISTS ha_entity_history_minute_add(),
                        ha_entity_history_minute_remove() CASCADE;
"""


class WebsocketsUnavailable(ImportError):
    """``websockets`` is missing or too old and was not (or could not be)
    installed; the message says what to run."""


def parse_version(text):
    """``"14.2.1"`` -> ``(14, 2, 1)``; the leading digits of each part."""
    parts = []
    for part in str(text).split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def installed_websockets():
    """The installed ``websockets`` distribution's version string, or None."""
    try:
        return importlib.metadata.version("websockets")
    except importlib.metadata.PackageNotFoundError:
        return None


def pip_command(python=None):
    """The command that installs ``websockets`` into this interpreter."""
    return [
        python or sys.executable,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        WEBSOCKETS_REQUIREMENT,
    ]


def auto_install_enabled(environ=None, options=None):
    """Whether the automatic install is on: the environment variable wins
    over the ``[home_assistant] auto_install`` option of odoo.conf; on by
    default."""
    environ = os.environ if environ is None else environ
    if options is None:
        from odoo.tools import config

        options = config.misc.get(AUTO_INSTALL_SECTION, {})
    value, origin = environ.get(AUTO_INSTALL_ENV), AUTO_INSTALL_ENV
    if value is None:
        value = options.get(AUTO_INSTALL_OPTION)
        origin = f"[{AUTO_INSTALL_SECTION}] {AUTO_INSTALL_OPTION}"
    if value is None:
        return True
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise WebsocketsUnavailable(f"{origin} must be 0 or 1 (true/false), not {value!r}")


def pip_blocker(python=None, prefix=None, base_prefix=None, stdlib=None):
    """Why pip cannot install into this interpreter, or None when it can."""
    python = sys.executable if python is None else python
    if not python:
        return "the path of the Python interpreter running Odoo is unknown"
    if importlib.util.find_spec("pip") is None:
        return "pip is not installed for the Python interpreter running Odoo"
    in_venv = (sys.prefix if prefix is None else prefix) != (
        sys.base_prefix if base_prefix is None else base_prefix
    )
    stdlib = sysconfig.get_path("stdlib") if stdlib is None else stdlib
    if not in_venv and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED")):
        return (
            "the Python interpreter running Odoo is managed by the system "
            "(PEP 668: externally managed), so pip may not install into it"
        )
    return None


def websockets_plan(version, enabled, blocker):
    """What to do about ``websockets`` at ``version`` (None: not installed):
    ``"ok"``, ``"install"``, ``"off"`` (switched off) or ``"cannot"``."""
    if version is not None and parse_version(version) >= WEBSOCKETS_MIN_VERSION:
        return "ok"
    if not enabled:
        return "off"
    if blocker:
        return "cannot"
    return "install"


@contextlib.contextmanager
def _install_lock():
    """One install at a time on this machine (prefork workers import the
    addon side by side)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    path = os.path.join(tempfile.gettempdir(), "odoo_ha_addon-pip.lock")
    with open(path, "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _forget_imported_websockets():
    """Drop an older ``websockets`` already imported, so ours is the new one."""
    for name in list(sys.modules):
        if name == "websockets" or name.startswith("websockets."):
            del sys.modules[name]
    importlib.invalidate_caches()


def ensure_websockets(
    run=subprocess.run,
    version_of=installed_websockets,
    environ=None,
    options=None,
    blocker_of=pip_blocker,
):
    """Return the version of ``websockets`` once it satisfies
    ``WEBSOCKETS_REQUIREMENT``, installing it into this interpreter
    (``sys.executable -m pip``) when it is missing or too old and the
    automatic install is on; raise :class:`WebsocketsUnavailable`, with the
    command to run, when it is off or cannot be done."""
    version = version_of()
    if websockets_plan(version, True, None) == "ok":
        return version
    enabled = auto_install_enabled(environ, options)
    blocker = blocker_of() if enabled else None
    plan = websockets_plan(version, enabled, blocker)
    command = shlex.join(pip_command())
    found = f"websockets {version} is" if version else "websockets is not"
    what = f"odoo_ha_addon needs {WEBSOCKETS_REQUIREMENT} and {found} installed"
    if plan == "off":
        raise WebsocketsUnavailable(
            f"{what}; the automatic install is off ({AUTO_INSTALL_ENV} or "
            f"[{AUTO_INSTALL_SECTION}] {AUTO_INSTALL_OPTION}). Run:\n{command}"
        )
    if plan == "cannot":
        raise WebsocketsUnavailable(
            f"{what} and it cannot be installed automatically: {blocker}. "
            f"Install it for that interpreter, e.g.:\n{command}"
        )
    with _install_lock():
        # Another process may have installed it while this one waited.
        before = version_of()
        if websockets_plan(before, True, None) == "ok":
            return before
        failure = _run_pip(run)
        importlib.invalidate_caches()
        after = version_of()
        if not failure and websockets_plan(after, True, None) != "ok":
            failure = f"websockets is at {after} after the install"
        if failure:
            raise WebsocketsUnavailable(
                f"{what}; installing it failed ({failure}). Run:\n{command}"
            )
    _forget_imported_websockets()
    _logger.warning(
        "Installed websockets %s into %s (%s needed, %s found) with: %s",
        after,
        sys.executable,
        WEBSOCKETS_REQUIREMENT,
        before or "none",
        command,
    )
    return after


def _run_pip(run):
    """Run pip; return why it failed, or None."""
    try:
        result = run(
            pip_command(),
            capture_output=True,
            text=True,
            check=False,
            timeout=PIP_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError) as err:
        return str(err)
    if result.returncode:
        output = (result.stderr or result.stdout or "").strip()
        return f"exit code {result.returncode}: {output[-800:]}"
    return None


def pre_init_hook(env):
    """The manifest's install-time check of ``websockets``.

    The package import already ran :func:`ensure_websockets` (the only point
    early enough to install it); this confirms it before the first table is
    created, so an install never half-succeeds without the client library.
    """
    ensure_websockets()


def post_init_hook(env):
    admin = env.ref("base.user_admin", raise_if_not_found=False)
    manager = env.ref("odoo_ha_addon.group_ha_manager")
    if admin:
        admin.write({"groups_id": [(4, manager.id)]})


def uninstall_hook(env):
    from .models.common import websocket_thread_manager

    websocket_thread_manager.stop_database(env.cr.dbname)
    env.cr.execute(
        "DELETE FROM ir_config_parameter WHERE key LIKE %s",
        (PARAM_PREFIX.replace("_", r"\_") + "%",),
    )
    env.cr.execute(DROP_RAW_SQL_OBJECTS)


def post_load():
    """Start the per-process HA connection supervisor.

    Runs once per process at module import. The supervisor decides whether
    this process serves (not in tests, shells, ``--stop-after-init`` runs or
    the gevent process) and connects without waiting for any cron.
    """
    from .models.common import websocket_thread_manager

    websocket_thread_manager.start_supervisor()
