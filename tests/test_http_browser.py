"""Browser tests: the Hoot unit tests of this addon and the tours.

They run under odoo-bin (./dev test) in headless Chromium.
"""

from odoo.tests import HttpCase, tagged


def hoot_hash(name):
    """Hoot's id of a suite or test name (same fold as the runner)."""
    value = 0
    for char in name:
        value = ((value << 5) - value + ord(char)) & 0xFFFFFFFF
    return f"{value:08x}"


def hoot_error_checker(message):
    return "[HOOT]" not in message


@tagged("post_install", "-at_install", "ha_browser")
class TestHoot(HttpCase):
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
    def test_tour_home_assistant_menu(self):
        self.start_tour("/odoo", "odoo_ha_addon_menu_tour", login="admin")
