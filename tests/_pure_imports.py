"""Load the addon's pure packages by path, for the client tests run outside Odoo.

Under Odoo (pytest-odoo, odoo-bin) the tests import ``odoo.addons.odoo_ha_addon``
and never use this module; under plain pytest or ``python tests/test_*.py`` it
loads ``models/common`` and ``tools/ha_simulator`` as stand-alone packages, so
their relative imports keep working.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_by_path(name, path, subs=()):
    """Import the package at ``path`` under ``name`` (once); its ``subs`` modules."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return [importlib.import_module(f"{name}.{sub}") for sub in subs]


def load_common(*subs):
    """The ``models/common`` modules ``subs``."""
    return load_by_path("odoo_ha_addon_common", ROOT / "models" / "common", subs)


def load_simulator_thread():
    """``tools.ha_simulator.SimulatorThread`` (by path when ``tools`` is not
    importable from the working directory)."""
    try:
        from tools.ha_simulator import SimulatorThread
    except ImportError:
        name = "odoo_ha_addon_ha_simulator"
        load_by_path(name, ROOT / "tools" / "ha_simulator")
        SimulatorThread = sys.modules[name].SimulatorThread
    return SimulatorThread
