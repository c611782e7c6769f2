"""Instance administration: the clear wizard, the refusal to delete an instance
holding data, the URL fingerprint, the sync buttons, and the automation,
script and scene buttons of entities (through the controls' service path)."""

import re
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError

from odoo.addons.odoo_ha_addon.models.ha_instance_identity import url_fingerprint
from odoo.addons.odoo_ha_addon.models.ha_instance_tools import MIRRORED_DATA

from .test_mirror_edits import HaSimulatorCase


class TestInstanceAdmin(HaSimulatorCase):
    def held(self, instance=None):
        return (instance or self.sim_instance)._ha_mirrored_counts()

    def fill_odoo_only_data(self):
        """Groups, tags and history: what Odoo alone holds for the instance."""
        instance = self.sim_instance
        entities = self.Entity.search([("ha_instance_id", "=", instance.id)], limit=3)
        self.assertTrue(entities)
        vals = {"ha_instance_id": instance.id}
        group_tag = self.env["ha.entity.group.tag"].create({"name": "GT", **vals})
        self._create_group(
            "Admin group", entities, instance=instance, tag_ids=[(6, 0, group_tag.ids)]
        )
        self.env["ha.entity.tag"].create(
            {"name": "ET", "entity_ids": [(6, 0, entities.ids)], **vals}
        )
        device = self.env["ha.device"].search(
            [("ha_instance_id", "=", instance.id)], limit=1
        )
        self.env["ha.device.tag"].create(
            {"name": "DT", "device_ids": [(6, 0, device.ids)], **vals}
        )
        entities[0].with_context(ha_no_backfill=True).enable_record = True
        self.Sync._ha_store_history(
            instance,
            {
                entities[0].entity_id: [
                    {"s": "1", "lu": 1_700_000_000.0},
                    {"s": "2", "lu": 1_700_000_060.0},
                ]
            },
        )

    def test_clear_wizard_keeps_instance_and_ha(self):
        self.fill_odoo_only_data()
        wizard = self.env["ha.instance.clear.wizard"].create(
            {"instance_id": self.sim_instance.id}
        )
        held = self.held()
        for key in ("entity", "history", "area", "device", "label", "group"):
            self.assertGreater(held.get(key, 0), 0, key)
        for key in ("group_tag", "entity_tag", "device_tag"):
            self.assertEqual(held[key], 1, key)
        for key, _model in MIRRORED_DATA:
            self.assertEqual(wizard[f"{key}_count"], held.get(key, 0), key)
        self.assertEqual(wizard.total_count, sum(held.values()))

        ha_areas, ha_labels = self.home("areas"), self.home("labels")
        ha_before = self.sim.stats()
        result = wizard.action_confirm_clear()

        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(self.held(), {})
        for _key, model in MIRRORED_DATA:
            self.assertFalse(
                self.env[model]
                .sudo()
                .with_context(active_test=False)
                .search_count([("ha_instance_id", "=", self.sim_instance.id)]),
                model,
            )
        self.assertTrue(self.sim_instance.exists())
        self.assertEqual(self.sim_instance.api_url, self.sim.url)
        self.assertFalse(self.sim_instance.last_sync_date)
        # Home Assistant heard nothing: same registries, no message received.
        ha_after = self.sim.stats()
        self.assertEqual(ha_after["messages_received"], ha_before["messages_received"])
        self.assertEqual(ha_after["service_calls"], ha_before["service_calls"])
        self.assertEqual(self.home("areas"), ha_areas)
        self.assertEqual(self.home("labels"), ha_labels)

    def test_clear_is_for_managers(self):
        user = self._create_ha_user("clear_user")
        with self.assertRaises(AccessError):
            self.sim_instance.with_user(user).action_clear_data()
        with self.assertRaises(AccessError):
            self.sim_instance.with_user(user)._ha_clear_mirrored_data()
        self.assertTrue(self.held())

    def test_unlink_asks_to_clear_first(self):
        with self.assertRaisesRegex(UserError, "Clear it first"):
            self.sim_instance.unlink()
        self.assertTrue(self.sim_instance.exists())
        self.sim_instance._ha_clear_mirrored_data()
        self.sim_instance.unlink()
        self.assertFalse(self.sim_instance.exists())

    def test_sync_buttons(self):
        result = self.sim_instance.action_sync_registry()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(
            self.env["ha.area"].search_count(
                [("ha_instance_id", "=", self.sim_instance.id)]
            ),
            len(self.home("areas")),
        )
        result = self.sim_instance.action_sync_entities()
        self.assertEqual(result["params"]["type"], "success")
        self.assertRegex(result["params"]["message"], "websocket")
        # No entity records its history: nothing to fetch, said so.
        self.Entity.search([("ha_instance_id", "=", self.sim_instance.id)]).write(
            {"enable_record": False}
        )
        result = self.sim_instance.action_sync_history()
        self.assertEqual(result["params"]["type"], "warning")
        action = self.sim_instance.action_view_entities()
        self.assertEqual(
            action["domain"], [("ha_instance_id", "=", self.sim_instance.id)]
        )
        user = self._create_ha_user("sync_user")
        with self.assertRaises(AccessError):
            self.sim_instance.with_user(user).action_sync_registry()
        # Nothing answers at the other instance's URL: said, not a traceback.
        with self.assertRaisesRegex(UserError, "Home Assistant"):
            self.instance.action_sync_entities()

    def test_restart_server_action_on_list_and_form(self):
        action = self.env.ref("odoo_ha_addon.ha_instance_action_restart")
        self.assertEqual(action.binding_model_id.model, "ha.instance")
        self.assertEqual(action.binding_view_types, "list,form")
        self.assertIn(self.env.ref("odoo_ha_addon.group_ha_manager"), action.groups_id)
        notified = []
        instance_class = type(self.env["ha.instance"])
        with patch.object(
            instance_class,
            "_notify_supervisors",
            lambda records, what, ids=None: notified.append((what, records.ids)),
        ):
            on_instance = action.with_context(
                active_model="ha.instance", active_ids=self.sim_instance.ids
            )
            manager = self._create_ha_user("restart_manager", manager=True)
            result = on_instance.with_user(manager).run()
            self.assertEqual(notified, [("restart", self.sim_instance.ids)])
            self.assertEqual(result["tag"], "display_notification")
            user = self._create_ha_user("restart_user")
            with self.assertRaises(AccessError):
                on_instance.with_user(user).run()
            self.assertEqual(len(notified), 1)

    def test_device_related_automations_as_ha_names_them(self):
        device = self.env["ha.device"].search(
            [("ha_instance_id", "=", self.sim_instance.id)], limit=1
        )
        sent = []

        def ha_call(remote, instance, payload, timeout=None):
            sent.append(payload)
            return {"automation": ["automation.night_mode"], "entity": ["x.y"]}

        with patch.object(type(self.env["ha.remote.call"]), "_ha_call", ha_call):
            action = device.action_view_related_automations()
        self.assertEqual(
            sent,
            [
                {
                    "type": "search/related",
                    "item_type": "device",
                    "item_id": device.device_id,
                }
            ],
        )
        self.assertEqual(action["res_model"], "ha.entity")
        found = self.env["ha.entity"].search(action["domain"])
        self.assertEqual(found.mapped("entity_id"), ["automation.night_mode"])

    def test_create_modal_is_for_managers(self):
        action = self.env["ha.instance"].action_open_create_modal()
        self.assertEqual(action["target"], "new")
        self.assertEqual(
            action["views"][0][0],
            self.env.ref("odoo_ha_addon.ha_instance_view_form_modal").id,
        )
        user = self._create_ha_user("modal_user")
        with self.assertRaises(AccessError):
            self.env["ha.instance"].with_user(user).action_open_create_modal()


class TestInstanceIdentity(HaSimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls._start_simulator()  # another Home Assistant

    def set_uuid(self, sim, uuid):
        def apply():
            sim.simulator.home.config["uuid"] = uuid

        sim.call(apply)
        self.addCleanup(sim.call, lambda: sim.simulator.home.config.pop("uuid", None))

    def test_fingerprint_ignores_scheme_case_and_slash(self):
        self.assertEqual(
            url_fingerprint("http://HA.local:8123/"),
            url_fingerprint("https://ha.local:8123"),
        )
        self.assertNotEqual(
            url_fingerprint("http://ha.local:8123"),
            url_fingerprint("http://ha.local:8124"),
        )
        self.assertEqual(self.sim_instance.last_api_url, self.sim.url)
        self.assertEqual(
            self.sim_instance.ha_instance_uuid, url_fingerprint(self.sim.url)
        )

    def test_warning_after_pointing_at_another_ha(self):
        instance = self.sim_instance
        self.assertFalse(instance.ha_identity_warning)
        self.assertEqual(instance.action_test_connection()["params"]["type"], "success")
        instance.api_url = self.other.url
        self.assertTrue(instance.ha_identity_warning)
        self.assertEqual(instance.last_api_url, self.sim.url)
        result = instance.action_test_connection()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertTrue(result["params"]["sticky"])
        self.assertRegex(result["params"]["message"], "Clear instance data")
        # The form shows the warning while the field says so.
        arch = instance.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("o_odoo_ha_addon_identity_warning", arch)
        self.assertIn('invisible="not ha_identity_warning"', arch)
        # Cleared, the new URL is where the data comes from: no warning.
        instance._ha_clear_mirrored_data()
        self.assertFalse(instance.ha_identity_warning)
        self.assertEqual(instance.last_api_url, self.other.url)

    def test_ha_uuid_tells_same_and_other_home(self):
        instance = self.sim_instance
        self.set_uuid(self.sim, "uuid-of-home-one")
        self.set_uuid(self.other, "uuid-of-home-two")
        instance.action_test_connection()
        self.assertEqual(instance.ha_instance_uuid, "uuid-of-home-one")
        # The same Home Assistant under another name: confirmed, no warning.
        instance.api_url = self.sim.url.replace("127.0.0.1", "localhost")
        self.assertTrue(instance.ha_identity_warning)
        result = instance.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.assertFalse(instance.ha_identity_warning)
        # Another Home Assistant: warned, the identity kept.
        instance.api_url = self.other.url
        result = instance.action_test_connection()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertEqual(instance.ha_instance_uuid, "uuid-of-home-one")

    def test_url_edit_without_data_restamps(self):
        instance = self._create_instance(name="Empty", api_url=self.sim.url)
        instance.api_url = self.other.url
        self.assertFalse(instance.ha_identity_warning)
        self.assertEqual(instance.last_api_url, self.other.url)


class TestEntityServiceButtons(HaSimulatorCase):
    def calls(self):
        return self.sim.stats()["service_calls"]

    def last_call(self, before):
        calls = self.calls()[before:]
        self.assertEqual(len(calls), 1, calls)
        call = calls[0]
        return call["domain"], call["service"], call["target"] or {}

    def test_buttons_call_the_right_services(self):
        cases = (
            ("automation.night_mode", "action_toggle_automation", "toggle"),
            ("automation.night_mode", "action_trigger_automation", "trigger"),
            ("script.all_off", "action_run_script", "turn_on"),
            ("script.all_off", "action_toggle_script", "toggle"),
            ("scene.evening", "action_activate_scene", "turn_on"),
        )
        for entity_id, method, service in cases:
            with self.subTest(method=method):
                entity = self.entity(entity_id)
                self.assertTrue(entity, entity_id)
                before = len(self.calls())
                result = getattr(entity, method)()
                self.assertEqual(result["params"]["type"], "success")
                domain, called, target = self.last_call(before)
                self.assertEqual((domain, called), (entity.domain, service))
                self.assertEqual(target.get("entity_id"), [entity_id])

    def test_wrong_domain_is_refused(self):
        with self.assertRaisesRegex(UserError, "is not a scene entity"):
            self.entity("script.all_off").action_activate_scene()

    def test_refused_to_a_user_who_may_not_see_it(self):
        scene = self.entity("scene.evening")
        outsider = self._create_ha_user("scene_outsider")
        member = self._create_ha_user("scene_member")
        self._create_group("Scenes", scene, users=[member], instance=self.sim_instance)
        before = len(self.calls())
        with self.assertRaises(UserError):  # AccessError is one too
            scene.with_user(outsider).action_activate_scene()
        self.assertEqual(len(self.calls()), before)
        scene.with_user(member).action_activate_scene()
        self.assertEqual(self.last_call(before)[:2], ("scene", "turn_on"))


class TestEntityAttributes(HaSimulatorCase):
    def test_pretty_json_editable_by_managers_only(self):
        entity = self.entity("scene.evening")
        entity.attributes = {"b": 1, "a": "é"}
        self.assertEqual(entity.attributes_str, '{\n  "a": "é",\n  "b": 1\n}')
        entity.attributes_str = '{"icon": "mdi:x"}'
        self.assertEqual(entity.attributes, {"icon": "mdi:x"})
        with self.assertRaisesRegex(UserError, "JSON object"):
            entity.attributes_str = "[1]"
        user = self._create_ha_user("attr_user")
        self._create_group("Attr", entity, users=[user], instance=self.sim_instance)
        with self.assertRaises(AccessError):
            entity.with_user(user).attributes_str = "{}"

    def test_attributes_read_only_in_a_users_form(self):
        def editor(user):
            arch = (
                self.env["ha.entity"]
                .with_user(user)
                .get_views([(False, "form")])["views"]["form"]["arch"]
            )
            (node,) = re.findall(r"<field name=\"attributes_str\"[^>]*>", arch)
            return node

        user = self._create_ha_user("attr_reader")
        manager = self._create_ha_user("attr_manager", manager=True)
        # readonly="1" from the view, or "True" from the user's form override
        self.assertRegex(editor(user), r'readonly="(1|True)"')
        self.assertNotIn("readonly", editor(manager))
