"""Browser tests: the Hoot unit tests of this addon and the tours.

They run under odoo-bin (./dev test) in headless Chromium.
"""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.odoo_ha_addon.tools.ha_simulator import SimulatorThread

from .common_http import execute_on_simulator


def hoot_hash(name):
    """Hoot's id of a suite or test name (same fold as the runner)."""
    value = 0
    for char in name:
        value = ((value << 5) - value + ord(char)) & 0xFFFFFFFF
    return f"{value:08x}"


def hoot_error_checker(message):
    return "[HOOT]" not in message


def warm_manifests():
    """Parse every manifest once, before the browser sends parallel requests.

    The first static request builds Odoo's table of module statics; two of
    them at once parse manifests in two threads, which can trip CPython
    3.11's "AST constructor recursion depth mismatch" (a known race).
    """
    import odoo
    from odoo.modules import module

    for name in module.get_modules():
        module.get_manifest(name)
    return odoo.http.root.statics


@tagged("post_install", "-at_install", "ha_browser")
class TestHoot(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        warm_manifests()

    def test_hoot_unit_tests(self):
        suite = hoot_hash("@odoo_ha_addon")
        self.browser_js(
            f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000"
            f"&suite={suite}",
            "",
            "",
            login="admin",
            timeout=600,
            success_signal="[HOOT] test suite succeeded",
            error_checker=hoot_error_checker,
        )


@tagged("post_install", "-at_install", "ha_browser")
class TestTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        warm_manifests()

    def test_tour_home_assistant_menu(self):
        self.start_tour("/odoo", "odoo_ha_addon_menu_tour", login="admin")

    def test_tour_dashboard_kanban_toggle_history(self):
        # The toggle really reaches the HA simulator (no supervisor in tests:
        # _execute talks to it directly); the card follows optimistically.
        sim = SimulatorThread(token="tour", demo=True, port=0).start()
        self.addCleanup(sim.stop)
        queue_class = type(self.env["ha.ws.request.queue"])
        self.startPatcher(patch.object(queue_class, "_execute", execute_on_simulator))
        instance = self.env["ha.instance"].create(
            {"name": "Home", "api_url": sim.url, "api_token": "tour", "sequence": 0}
        )
        lamp = self.env["ha.entity"].create(
            {
                "entity_id": "light.tour_lamp",
                "domain": "light",
                "name": "Tour lamp",
                "entity_state": "off",
                "ha_instance_id": instance.id,
                "enable_record": True,
                "attributes": {"friendly_name": "Tour lamp"},
            }
        )
        now = fields.Datetime.now()
        self.env["ha.entity.history"].create(
            [
                {
                    "entity_id": lamp.id,
                    "ha_instance_id": instance.id,
                    "domain": "light",
                    "entity_state": state,
                    "last_changed": now - timedelta(minutes=minutes),
                    "last_updated": now - timedelta(minutes=minutes),
                }
                for minutes, state in ((90, "on"), (60, "off"), (30, "on"), (10, "off"))
            ]
        )
        self.start_tour("/odoo", "odoo_ha_addon_dashboard_tour", login="admin")
        calls = [c for c in sim.stats()["service_calls"] if "tour_lamp" in str(c)]
        self.assertTrue(calls, "the toggle did not reach the HA simulator")

    def test_tour_status_push_turns_the_badge(self):
        # What the event dispatcher calls once connected. No process holds the
        # instance's lock here, so the page loads "disconnected": only the
        # push can make the badge read "Connected".
        instance = self.env["ha.instance"].create(
            {"name": "Home", "api_url": "http://127.0.0.1:9", "api_token": "t"}
        )
        instance._ha_set_ws_status("connected", "", "2025.4.4")
        self.env.cr.precommit.run()  # the bus rows, for the browser to read
        self.env.flush_all()
        self.start_tour("/odoo", "odoo_ha_addon_status_tour", login="admin")
