"""Module hooks.

``pre_init_hook`` makes sure a recent ``websockets`` is importable,
``post_init_hook`` gives the administrator the HA Manager group,
``uninstall_hook`` stops this database's HA connections in this process and
removes our system parameters, and ``post_load`` starts the per-process
connection supervisor.
"""

import importlib
import logging
import subprocess
import sys

from odoo import _
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

WEBSOCKETS_MIN_VERSION = (12, 0)
WEBSOCKETS_REQUIREMENT = "websockets>=12"
PARAM_PREFIX = "odoo_ha_addon."


def _websockets_version():
    """Return the importable ``websockets`` version tuple, or None."""
    try:
        module = importlib.import_module("websockets")
    except ImportError:
        return None
    parts = []
    for part in getattr(module, "__version__", "0").split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _pip_command():
    return [sys.executable, "-m", "pip", "install", WEBSOCKETS_REQUIREMENT]


def ensure_websockets(installer=subprocess.run):
    """Import ``websockets`` >= 12, installing it into this interpreter if needed.

    Odoo refuses the install earlier when ``websockets`` is entirely absent
    (``external_dependencies``); this covers an installed but too old release.
    """
    version = _websockets_version()
    if version and version >= WEBSOCKETS_MIN_VERSION:
        return version
    command = _pip_command()
    _logger.info(
        "websockets %s found, %s needed: running %s",
        version,
        WEBSOCKETS_REQUIREMENT,
        " ".join(command),
    )
    result = installer(command, capture_output=True, text=True, check=False)
    importlib.invalidate_caches()
    sys.modules.pop("websockets", None)
    version = _websockets_version()
    if result.returncode != 0 or not version or version < WEBSOCKETS_MIN_VERSION:
        raise UserError(
            _(
                "odoo_ha_addon needs the Python package %(requirement)s in the "
                "interpreter that runs Odoo, and installing it failed. Run this "
                "command, then install the module again:\n%(command)s",
                requirement=WEBSOCKETS_REQUIREMENT,
                command=" ".join(command),
            )
        )
    return version


def pre_init_hook(env):
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


def post_load():
    """Start the per-process HA connection supervisor.

    Runs once per process at module import. The supervisor decides whether
    this process serves (not in tests, shells, ``--stop-after-init`` runs or
    the gevent process) and connects without waiting for any cron.
    """
    from .models.common import websocket_thread_manager

    websocket_thread_manager.start_supervisor()
