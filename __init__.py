# websockets first: the models import it. Odoo would refuse the install before
# a pre_init_hook could run (see hooks.py), so the check runs here.
from .hooks import ensure_websockets

ensure_websockets()

from . import controllers, models, wizard  # noqa: E402
from .hooks import (  # noqa: E402
    post_init_hook,
    post_load,
    pre_init_hook,
    uninstall_hook,
)
