"""Load the addon's pure packages by path, for bench scripts run outside Odoo.

``import models`` would run ``models/__init__.py``, which imports odoo; instead
``models/common`` (and ``tools/ha_simulator``) are loaded as stand-alone
packages with ``importlib``, so their relative imports keep working.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["ROOT", "load_common", "load_package"]


def load_package(name, path):
    """Import the package at ``path`` under ``name`` (once) and return it."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(path) / "__init__.py", submodule_search_locations=[str(path)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


def load_common(*submodules, name="odoo_ha_addon_common"):
    """``models/common`` as package ``name``; return the given submodules."""
    load_package(name, ROOT / "models" / "common")
    return [importlib.import_module(f"{name}.{sub}") for sub in submodules]


def load_simulator(name="odoo_ha_addon_ha_simulator"):
    """``tools/ha_simulator`` as package ``name``."""
    return load_package(name, ROOT / "tools" / "ha_simulator")
