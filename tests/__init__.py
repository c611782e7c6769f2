# Odoo's runner only collects the modules imported here: every test module is,
# so that `odoo-bin --test-tags /odoo_ha_addon` runs what pytest-odoo runs
# (./dev test compares the two). test_http_* are run by odoo-bin only.
from . import (
    test_connection_lock,
    test_event_dispatcher,
    test_ha_contract,
    test_ha_simulator,
    test_hass_rest_api,
    test_hass_websocket_service,
    test_hooks,
    test_http_api,
    test_http_browser,
    test_http_fuzz,
    test_http_settings,
    test_install,
    test_mirror_bus,
    test_mirror_edits,
    test_mirror_events,
    test_mirror_history,
    test_mirror_security,
    test_mirror_sync,
    test_request_queue,
)
