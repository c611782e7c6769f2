"""Browser tests: the Hoot unit tests of this addon and the tours.

They run under odoo-bin (./dev test) in headless Chromium.
"""

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import polib

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.odoo_ha_addon.tools.ha_simulator import SimulatorThread

from .common_http import execute_on_simulator

I18N = Path(__file__).resolve().parent.parent / "i18n"
# A term with a placeholder never shows as is: it is left out of the check.
PLACEHOLDER = re.compile(r"%|\{")


def translated_terms(lang="zh_TW"):
    """``{english: translation}`` of the addon's entries whose translation in
    ``lang`` differs from the English source (what a page in ``lang`` must
    never show in English)."""
    po = polib.pofile(str(I18N / f"{lang}.po"))
    return {
        entry.msgid.strip(): entry.msgstr.strip()
        for entry in po
        if entry.msgstr.strip()
        and entry.msgstr.strip() != entry.msgid.strip()
        and not PLACEHOLDER.search(entry.msgid)
    }


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
        # Every menu entry, with a record behind the forms the tour opens.
        # Nothing listens on port 9: the instance stays disconnected.
        env = self.env(context=dict(self.env.context, from_ha_sync=True))
        instance = env["ha.instance"].create(
            {"name": "Tour home", "api_url": "http://127.0.0.1:9", "api_token": "t"}
        )
        on_instance = {"ha_instance_id": instance.id}
        area = env["ha.area"].create({"name": "Tour room", **on_instance})
        env["ha.label"].create({"name": "Tour label", **on_instance})
        env["ha.device"].create(
            {"device_id": "tour_player", "name": "Tour player", **on_instance}
        )
        scene = env["ha.entity"].create(
            {
                "entity_id": "scene.tour_evening",
                "domain": "scene",
                "name": "Tour scene",
                "entity_state": "2025-01-01T18:00:00+00:00",
                "attributes": {"friendly_name": "Tour scene", "icon": "mdi:palette"},
                "area_id": area.id,
                **on_instance,
            }
        )
        now = fields.Datetime.now()
        env["ha.entity.history"].create(
            {
                "entity_id": scene.id,
                "domain": "scene",
                "entity_state": "2025-01-01T18:00:00+00:00",
                "last_changed": now,
                "last_updated": now,
                **on_instance,
            }
        )
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

    def synced_demo_home(self, name, url=None, token=None):
        """A demo home synced as the leader would (its commands answered by
        the simulator, or by the Home Assistant at ``url``); returns the
        instance."""
        if not url:
            sim = SimulatorThread(token="demo", demo=True, port=0).start()
            self.addCleanup(sim.stop)
            url, token = sim.url, "demo"
        queue_class = type(self.env["ha.ws.request.queue"])
        self.startPatcher(patch.object(queue_class, "_execute", execute_on_simulator))
        remote_class = type(self.env["ha.remote.call"])
        self.startPatcher(
            patch.object(remote_class, "_ha_reachable", lambda self, instance: True)
        )
        instance = self.env["ha.instance"].create(
            {"name": name, "api_url": url, "api_token": token, "sequence": 0}
        )
        self.assertEqual(instance._ha_fetch_full_sync(), "websocket")
        return instance

    def test_tour_glances_dashboard_follows_the_bus(self):
        instance = self.synced_demo_home("Home")
        cpu = self.env["ha.entity"].search(
            [
                ("ha_instance_id", "=", instance.id),
                ("entity_id", "=", "sensor.home_server_cpu_usage"),
            ]
        )
        self.assertEqual(cpu.entity_state, "12.5")
        # The push HA's next CPU reading makes, queued for the browser; the
        # mirror row is set back so the page loads the old value and only the
        # push can show the new one.
        state = {
            "entity_id": cpu.entity_id,
            "state": "87.5",
            "attributes": cpu.attributes,
            "last_changed": "2099-01-01T00:00:00+00:00",
            "last_updated": "2099-01-01T00:00:00+00:00",
        }
        sync = self.env["ha.sync"]
        sync._ha_apply_state_events(
            instance, [{"entity_id": cpu.entity_id, "new_state": state}]
        )
        self.assertEqual(cpu.entity_state, "87.5")
        cpu.entity_state = "12.5"
        self.env.cr.precommit.run()
        self.env.flush_all()
        self.start_tour("/odoo", "odoo_ha_addon_glances_tour", login="admin")

    def test_click_every_menu(self):
        """Odoo's click bot opens every menu entry of the app, and every view
        of each, on the synced demo home: no error in the console.

        ODOO_HA_SMOKE_HA_URL and ODOO_HA_SMOKE_HA_TOKEN point it at a real
        Home Assistant instead of the simulator."""
        self.synced_demo_home(
            "Home",
            os.environ.get("ODOO_HA_SMOKE_HA_URL"),
            os.environ.get("ODOO_HA_SMOKE_HA_TOKEN"),
        )
        self.browser_js(
            "/odoo",
            "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader')"
            ".startClickEverywhere('odoo_ha_addon.menu_ha_root');",
            "odoo.isReady === true",
            login="admin",
            timeout=600,
            success_signal="clickbot test succeeded",
        )

    def test_tour_zh_tw_shows_no_english_term_of_ours(self):
        # The demo home synced, the admin working in Traditional Chinese.
        instance = self.synced_demo_home("我的家")
        entities = self.env["ha.entity"].search([("ha_instance_id", "=", instance.id)])
        self.assertGreater(len(entities), 10)
        now = fields.Datetime.now()
        sensor = entities.filtered(lambda e: e.domain == "sensor")[:1]
        light = entities.filtered(lambda e: e.domain == "light")[:1]
        self.env["ha.entity.history"].create(
            [
                {
                    "entity_id": entity.id,
                    "ha_instance_id": instance.id,
                    "domain": entity.domain,
                    "entity_state": state,
                    "last_changed": now - timedelta(minutes=minutes),
                    "last_updated": now - timedelta(minutes=minutes),
                }
                for entity, states in (
                    (sensor, ("20.5", "21", "21.5")),
                    (light, ("on", "off", "on")),
                )
                for minutes, state in zip((90, 50, 10), states, strict=True)
            ]
        )
        self.env["res.lang"]._activate_lang("zh_TW")
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        installed._update_translations("zh_TW")
        self.env.ref("base.user_admin").lang = "zh_TW"
        terms = translated_terms()
        self.assertGreater(len(terms), 300)
        # HA's own strings may read like one of our terms (zone.home is "Home").
        devices = self.env["ha.device"].search([("ha_instance_id", "=", instance.id)])
        areas = self.env["ha.area"].search([("ha_instance_id", "=", instance.id)])
        ha_texts = {
            *entities.mapped("name"),
            *entities.mapped("entity_state"),
            *devices.mapped("name"),
            *devices.mapped("manufacturer"),
            *devices.mapped("model"),
            *areas.mapped("name"),
        }
        self.env["ir.config_parameter"].sudo().set_param(
            "odoo_ha_addon.tour_terms",
            json.dumps(
                {"terms": terms, "ha": sorted(filter(None, ha_texts))},
                ensure_ascii=False,
            ),
        )
        self.start_tour("/odoo", "odoo_ha_addon_zh_tw_tour", login="admin")
