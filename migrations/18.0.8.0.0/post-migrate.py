"""From the original addon: finish what needs our schema in place."""

import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.odoo_ha_addon.migrations import original

_logger = logging.getLogger("odoo.addons.odoo_ha_addon.migrations")


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    linked = original.link_via_devices(cr)
    dropped = original.drop_stale_counts(env) + original.drop_wizard_tables(env)
    fingerprints = original.fill_fingerprints(cr)
    shares = original.fill_share_instances(cr)
    if linked or dropped or fingerprints or shares:
        _logger.info(
            "Upgrade from %s: %d via-device links, dropped %s, "
            "%d fingerprints, %d share instances",
            version,
            linked,
            dropped,
            fingerprints,
            shares,
        )
