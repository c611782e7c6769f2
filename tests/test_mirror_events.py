from .common import HACommon, ha_state, naive, state_changed


class TestMirrorEvents(HACommon):
    def setUp(self):
        super().setUp()
        self.Sync._ha_sync_states(self.instance, self._states(5))
        self.s1 = self.Entity.search([("entity_id", "=", "sensor.s1")])

    def test_coalesced_latest_wins(self):
        result = self.Sync._ha_apply_state_events(
            self.instance,
            [
                state_changed("sensor.s1", "10", 30),
                state_changed("sensor.s1", "12", 50),
                state_changed("sensor.s1", "11", 40),
            ],
        )
        self.assertEqual(len(result["changes"]), 1)
        self.assertEqual(result["changes"][0]["state"], "12")
        self.assertEqual(self.s1.entity_state, "12")
        self.assertEqual(self.s1.last_updated, naive(50))

    def test_old_event_after_new_changes_nothing(self):
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s1", "20", 60)]
        )
        result = self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s1", "19", 59)]
        )
        self.assertEqual(result["changes"], [])
        self.assertEqual(self.s1.entity_state, "20")
        # A full sync carrying an older snapshot does not go back either.
        self.Sync._ha_sync_states(self.instance, self._states(5))
        self.s1.invalidate_recordset()
        self.assertEqual(self.s1.entity_state, "20")

    def test_microsecond_ordering(self):
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s1", "a", 100.000002)]
        )
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s1", "b", 100.000001)]
        )
        self.assertEqual(self.s1.entity_state, "a")

    def test_new_entity_from_event_and_plain_states(self):
        result = self.Sync._ha_apply_state_events(
            self.instance, [ha_state("light.kitchen", "on", 5, {"brightness": 10})]
        )
        self.assertEqual(len(result["changes"]), 1)
        light = self.Entity.search([("entity_id", "=", "light.kitchen")])
        self.assertEqual(light.domain, "light")
        self.assertEqual(light.attributes["brightness"], 10)
        self.assertTrue(light.follows_device_area)

    def test_removal_archives(self):
        result = self.Sync._ha_apply_state_events(
            self.instance, [{"entity_id": "sensor.s2", "new_state": None}]
        )
        self.assertEqual(len(result["archived"]), 1)
        s2 = self.Entity.search([("entity_id", "=", "sensor.s2")])
        self.assertFalse(s2.active)

    def test_history_only_for_recorded_with_ha_times(self):
        self.s1.enable_record = True
        events = [state_changed("sensor.s1", str(v), 10 + v) for v in range(5)]
        events.append(state_changed("sensor.s2", "7", 10))
        result = self.Sync._ha_apply_state_events(self.instance, events)
        self.assertEqual(result["history"], [self.s1.id])
        rows = self.History.search(
            [("entity_id", "=", self.s1.id)], order="last_updated"
        )
        self.assertEqual(rows.mapped("entity_state"), ["0", "1", "2", "3", "4"])
        self.assertEqual(rows[0].last_updated, naive(10))
        self.assertEqual(rows[0].num_state, 0.0)
        # Replaying the same events inserts nothing (unique entity + last_updated).
        again = self.Sync._ha_apply_state_events(self.instance, events)
        self.assertEqual(again["history"], [])
        self.assertEqual(self.History.search_count([("entity_id", "=", self.s1.id)]), 5)

    def test_late_event_still_recorded(self):
        # The upsert skips a state older than the stored one, so whether the
        # entity is recorded is looked up for it rather than taken from the upsert.
        self.s1.enable_record = True
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s1", "2", 20)]
        )
        late = self.Sync._ha_apply_state_events(
            self.instance,
            [state_changed("sensor.s1", "1", 15), state_changed("sensor.s2", "9", 15)],
        )
        self.assertEqual([c["entity_id"] for c in late["changes"]], ["sensor.s2"])
        self.assertEqual(late["history"], [self.s1.id])
        rows = self.History.search(
            [("entity_id", "=", self.s1.id)], order="last_updated"
        )
        self.assertEqual(rows.mapped("entity_state"), ["1", "2"])
        self.assertEqual(self.s1.entity_state, "2")
