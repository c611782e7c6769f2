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
    dropped = original.drop_stale_counts(env)
    identities = original.fill_identities(cr)
    shares = original.fill_share_instances(cr)
    if linked or dropped or identities or shares:
        _logger.info(
            "Upgrade from %s: %d via-device links, dropped %s, "
            "%d instance identities, %d share instances",
            version,
            linked,
            dropped,
            identities,
            shares,
        )
