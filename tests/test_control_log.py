from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tools import format_datetime

from odoo.addons.odoo_ha_addon.models.ha_api import HaApiError

from .common import HACommon, ha_state, naive, state_changed


class TestControlLog(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Sync._ha_sync_states(
            cls.instance, [ha_state("switch.server_room_ac", "on")], notify=False
        )
        cls.ac = cls.Entity.search([("entity_id", "=", "switch.server_room_ac")])
        cls.alice = cls._create_ha_user("alice_controls")
        cls.alice.tz = "Asia/Taipei"
        cls._create_group("Server room", cls.ac, users=[cls.alice])
        cls.Log = cls.env["ha.control.log"]

    def setUp(self):
        super().setUp()
        self.calls = []
        queue_class = type(self.env["ha.ws.request.queue"])
        patcher = patch.object(queue_class, "_execute", self._execute)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _execute(self, queue, instance, payload, timeout=10.0):
        self.calls.append(payload)
        return {"context": {"id": f"ctx-{len(self.calls)}", "user_id": "odoo"}}

    def turn_off(self, user=None, **kw):
        api = self.env["ha.api"].with_user(user or self.alice)
        return api.call_service(
            self.instance.id,
            "switch",
            "turn_off",
            {"entity_id": "switch.server_room_ac"},
            **kw,
        )

    def messages(self):
        return self.env["mail.message"].search(
            [("model", "=", "ha.entity"), ("res_id", "=", self.ac.id)]
        )

    def test_confirmed_by_the_state_change_of_the_call(self):
        self.turn_off()
        log = self.Log.search([("entity_id", "=", self.ac.id)])
        self.assertEqual(len(log), 1)
        self.assertRecordValues(
            log,
            [
                {
                    "user_id": self.alice.id,
                    "origin": "backend",
                    "service": "switch.turn_off",
                    "context_id": "ctx-1",
                    "state": "pending",
                }
            ],
        )
        self.assertFalse(self.messages())
        # An unrelated change of the entity confirms nothing ...
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("switch.server_room_ac", "on", 5)]
        )
        self.assertEqual(log.state, "pending")
        # ... the one HA tags with the call's context does.
        event = state_changed("switch.server_room_ac", "off", 7)
        event["new_state"]["context"] = {"id": "ctx-1", "user_id": "odoo"}
        self.Sync._ha_apply_state_events(self.instance, [event])
        log.invalidate_recordset()
        self.assertRecordValues(
            log,
            [
                {
                    "state": "confirmed",
                    "confirmed_at": naive(7),
                    "confirmed_state": "off",
                }
            ],
        )
        message = self.messages()
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.alice.partner_id)
        for text in ("switch.turn_off", "alice_controls", "Backend", "Confirmed"):
            self.assertIn(text, str(message.body))
        # HA's time, in alice's zone, named; no empty data shown as "{}"
        local = format_datetime(
            self.env, naive(7), tz="Asia/Taipei", dt_format="medium"
        )
        self.assertIn(f"{local} (Asia/Taipei)", str(message.body))
        self.assertNotIn("{}", str(message.body))

    def test_state_written_before_the_log_still_confirms(self):
        # The mirror may commit HA's change before the caller commits its log.
        event = state_changed("switch.server_room_ac", "off", 7)
        event["new_state"]["context"] = {"id": "ctx-1"}
        self.Sync._ha_apply_state_events(self.instance, [event])
        self.turn_off(origin="portal")
        self.env["ha.control.log"]._cron_settle_and_purge()
        log = self.Log.search([("entity_id", "=", self.ac.id)])
        self.assertRecordValues(
            log, [{"state": "confirmed", "origin": "portal", "confirmed_at": naive(7)}]
        )

    def test_next_change_does_not_hide_an_earlier_one(self):
        # Seen with real HA: two quick controls, each state written before
        # its log is committed; the second change must not leave the first
        # control "not confirmed".
        def change(state, ctx, second):
            event = state_changed("switch.server_room_ac", state, second)
            event["new_state"]["context"] = {"id": ctx}
            self.Sync._ha_apply_state_events(self.instance, [event])

        change("off", "ctx-1", 7)
        self.turn_off()  # logged as ctx-1, after its change was written
        change("on", "ctx-2", 9)
        self.turn_off()  # ctx-2
        first, second = self.Log.search([("entity_id", "=", self.ac.id)], order="id")
        self.assertRecordValues(
            first, [{"state": "confirmed", "confirmed_state": "off"}]
        )
        self.env["ha.control.log"]._cron_settle_and_purge()
        self.assertRecordValues(
            second, [{"state": "confirmed", "confirmed_state": "on"}]
        )

    def test_no_confirmation_in_time(self):
        self.turn_off(origin="api")
        log = self.Log.search([("entity_id", "=", self.ac.id)])
        self.env["ha.control.log"]._cron_settle_and_purge()
        self.assertEqual(log.state, "pending")  # still within the delay
        log.requested_at = fields.Datetime.now() - timedelta(minutes=5)
        self.env["ha.control.log"]._cron_settle_and_purge()
        self.assertEqual(log.state, "unconfirmed")
        self.assertIn("No confirmation", str(self.messages().body))
        self.assertIn("API", str(self.messages().body))

    def test_origin_is_checked_and_users_see_their_entities_only(self):
        with self.assertRaises(HaApiError):
            self.turn_off(origin="elsewhere")
        self.turn_off()
        bob = self._create_ha_user("bob_controls")
        self.assertEqual(self.Log.with_user(bob).search_count([]), 0)
        self.assertEqual(self.Log.with_user(self.alice).search_count([]), 1)

    def test_kept_as_long_as_history(self):
        self.turn_off()
        log = self.Log.search([("entity_id", "=", self.ac.id)])
        self.env["ir.config_parameter"].sudo().set_param(
            "odoo_ha_addon.history_retention_days", "2"
        )
        log.requested_at = fields.Datetime.now() - timedelta(days=1)
        self.assertEqual(self.Log._cron_settle_and_purge(), 0)
        log.requested_at = fields.Datetime.now() - timedelta(days=3)
        self.assertEqual(self.Log._cron_settle_and_purge(), 1)
        self.assertFalse(log.exists())


class TestChatter(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Sync._ha_sync_states(cls.instance, cls._states(3), notify=False)
        cls.s1 = cls.Entity.search([("entity_id", "=", "sensor.s1")])
        cls.manager = cls._create_ha_user("chatter_manager", manager=True)
        cls.group = cls._create_group("Kitchen", cls.s1)

    def messages(self, record):
        return self.env["mail.message"].search(
            [("model", "=", record._name), ("res_id", "=", record.id)]
        )

    def test_live_and_full_sync_changes_add_no_message(self):
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s1", "7", 10)]
        )
        self.Sync._ha_sync_states(self.instance, self._states(3, seconds=20))
        self.assertEqual(self.s1.entity_state, "1")
        self.assertFalse(self.messages(self.s1))
        # Nor does the registry sync create or change devices with a word.
        floors, areas, labels, devices = self._registries()
        self.Sync._ha_sync_registries(self.instance, floors, areas, labels, devices, [])
        devices[0]["name_by_user"] = "Renamed in HA"
        self.Sync._ha_sync_registries(self.instance, floors, areas, labels, devices, [])
        found = self.env["ha.device"].search(
            [("ha_instance_id", "=", self.instance.id)]
        )
        self.assertEqual(len(found), 5)
        self.assertFalse(
            self.env["mail.message"].search_count(
                [("model", "=", "ha.device"), ("res_id", "in", found.ids)]
            )
        )

    def test_a_managers_edit_of_a_tracked_field_adds_one(self):
        tracked = self.env(context={"ha_no_backfill": True}, user=self.manager)
        entity = tracked["ha.entity"].browse(self.s1.id)
        entity.enable_record = True
        self.env.flush_all()
        self.env.cr.precommit.run()
        message = self.messages(self.s1)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.manager.partner_id)
        self.assertEqual(message.tracking_value_ids.field_id.name, "enable_record")
        group = tracked["ha.entity.group"].browse(self.group.id)
        group.user_ids = self.manager
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertIn(
            "user_ids",
            self.messages(group).tracking_value_ids.field_id.mapped("name"),
        )
