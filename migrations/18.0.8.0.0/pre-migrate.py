"""From the original addon: clear what would stop our data files from loading."""

import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.odoo_ha_addon.migrations import original

_logger = logging.getLogger("odoo.addons.odoo_ha_addon.migrations")


def migrate(cr, version):
    if not version or not original.is_original(cr):
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    declared = original.declared_xmlids()
    original.take_over_renamed_records(cr, declared)
    removed = original.remove_stale_ui(env, declared)
    original.drop_request_queue_rows(cr)
    original.clear_original_wizards(cr)
    params = original.remove_stale_params(cr)
    original.set_aside_via_device(cr)
    history, spread = original.prepare_history(cr)
    _logger.info(
        "Upgrading from the original addon %s: removed %s and %d parameters; "
        "%d history rows adapted, %d same-time rows spread",
        version,
        ", ".join(f"{n} {model}" for model, n in removed.items()),
        params,
        history,
        spread,
    )
