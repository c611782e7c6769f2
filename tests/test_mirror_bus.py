from .common import HACommon, state_changed


class TestMirrorBus(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._two_homes()
        cls.entities = cls.Entity.search([("ha_instance_id", "=", cls.instance.id)])
        cls.s0 = cls.entities.filtered(lambda e: e.entity_id == "sensor.s0")
        cls.user_a = cls._create_ha_user("bus_user_a")
        cls.user_a2 = cls._create_ha_user("bus_user_a2")
        cls.user_b = cls._create_ha_user("bus_user_b")
        cls.manager = cls._create_ha_user("bus_manager", manager=True)
        cls.outsider = cls._create_ha_user("bus_nobody")
        cls._create_group("A s0", cls.s0, [cls.user_a])
        cls._create_group("A all", cls.entities, [cls.user_a2])
        b_entities = cls.Entity.search([("ha_instance_id", "=", cls.instance_b.id)])
        cls._create_group("B", b_entities, [cls.user_b], instance=cls.instance_b)

    def setUp(self):
        super().setUp()
        self.env.cr.precommit.run()
        self.env["bus.bus"].sudo().search([]).unlink()

    def test_state_changes_batched_and_filtered(self):
        events = [state_changed(f"sensor.s{i}", "42", 100 + i) for i in range(4)]
        events += [state_changed("sensor.s0", "43", 200)]
        self.Sync._ha_apply_state_events(self.instance, events)
        kind = "ha_entity_state_changed"
        msgs_a = self._bus_messages(self.user_a, kind)
        self.assertEqual(len(msgs_a), 1)  # one message per batch
        changes = msgs_a[0]["payload"]["changes"]
        self.assertEqual([c["entity_id"] for c in changes], ["sensor.s0"])
        self.assertEqual(changes[0]["state"], "43")
        self.assertEqual(msgs_a[0]["payload"]["ha_instance_id"], self.instance.id)
        msgs_a2 = self._bus_messages(self.user_a2, kind)
        self.assertEqual(len(msgs_a2), 1)
        self.assertEqual(len(msgs_a2[0]["payload"]["changes"]), 4)
        msgs_m = self._bus_messages(self.manager, kind)
        self.assertEqual(len(msgs_m[0]["payload"]["changes"]), 4)
        self.assertFalse(self._bus_messages(self.user_b))
        self.assertFalse(self._bus_messages(self.outsider))

    def test_change_invisible_to_user_sends_nothing(self):
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s3", "1", 300)]
        )
        self.assertFalse(self._bus_messages(self.user_a))
        self.assertEqual(len(self._bus_messages(self.user_a2)), 1)

    def test_instance_messages_reach_instance_users_only(self):
        notifier = self.env["ha.realtime.update"]
        notifier.notify_ha_websocket_status(self.instance, "connected")
        self.Sync._ha_sync_states(self.instance, self._states(4, seconds=500))
        for user in (self.user_a, self.user_a2, self.manager):
            status = self._bus_messages(user, "ha_websocket_status")
            self.assertEqual(len(status), 1, user.login)
            self.assertEqual(status[0]["payload"]["status"], "connected")
            self.assertEqual(status[0]["payload"]["instance_name"], "Home A")
            self.assertEqual(len(self._bus_messages(user, "ha_entity_update_all")), 1)
        self.assertFalse(self._bus_messages(self.user_b))
        self.assertFalse(self._bus_messages(self.outsider))

    def test_status_change_pushes_the_state_string(self):
        # What the dispatcher calls on every connection change: the badge
        # shows payload["status"], so it must be the state, not a dict.
        self.instance._ha_set_ws_status("connected", "", "2025.4.4")
        (status,) = self._bus_messages(self.user_a, "ha_websocket_status")
        payload = status["payload"]
        self.assertEqual(payload["status"], "connected")
        self.assertEqual(payload["ha_version"], "2025.4.4")
        self.assertEqual(payload["instance_id"], self.instance.id)
        self.assertEqual(payload["ha_instance_id"], self.instance.id)
        self.assertTrue(payload["since"])
        self.instance._ha_set_ws_status("error", "token refused", None, code="auth")
        last = self._bus_messages(self.user_a, "ha_websocket_status")[-1]
        self.assertEqual(last["payload"]["status"], "error")
        self.assertEqual(last["payload"]["message"], "token refused")
        with self.assertRaises(TypeError):
            self.env["ha.realtime.update"].notify_ha_websocket_status(
                self.instance, {"status": "connected"}
            )

    def test_history_and_registry_messages(self):
        self.s0.enable_record = True
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s0", "5", 600)]
        )
        history = self._bus_messages(self.user_a, "ha_history_update")
        self.assertEqual(history[0]["payload"]["entity_ids"], [self.s0.id])
        floors, areas, labels, devices = self._registries()
        self.Sync._ha_sync_registries(self.instance, floors, areas, labels, devices, [])
        for kind in ("ha_area_registry_update", "ha_device_registry_update"):
            self.assertEqual(len(self._bus_messages(self.manager, kind)), 1)
            self.assertEqual(len(self._bus_messages(self.user_a, kind)), 1)
            self.assertFalse(self._bus_messages(self.user_b, kind))

    def test_instance_switch_notifies_that_user_only(self):
        notifier = self.env["ha.realtime.update"]
        notifier.notify_instance_switched(self.user_a, self.instance)
        notifier.notify_instance_fallback(self.user_a, 999, self.instance, "first")
        notifier.notify_instance_invalidated(self.user_a, 999, "deleted")
        types = [m["type"] for m in self._bus_messages(self.user_a)]
        self.assertEqual(
            sorted(types),
            ["ha_instance_fallback", "ha_instance_invalidated", "ha_instance_switched"],
        )
        self.assertFalse(self._bus_messages(self.user_a2))
        self.assertFalse(self._bus_messages(self.manager))
