"""Availability alerts: once per unavailable episode, cleared when back."""

from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.odoo_ha_addon.models.ha_instance import HaInstance

from .common import HACommon, naive, state_changed

MINUTE = 60


class TestAvailabilityAlerts(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Sync._ha_sync_states(cls.instance, cls._states(3), notify=False)
        cls.s0, cls.s1, cls.s2 = cls.Entity.search(
            [("ha_instance_id", "=", cls.instance.id)], order="entity_id"
        )
        cls.user = cls._create_ha_user("alert_user")
        cls.group = cls._create_group("Freezers", cls.s0 | cls.s1, [cls.user])
        cls.channel = cls.env["discuss.channel"].create({"name": "HA alerts"})
        cls.Alert = cls.env["ha.availability.alert"]
        cls.alert = cls.Alert.create(
            {
                "name": "Freezer sensors",
                "ha_instance_id": cls.instance.id,
                "target": "group",
                "group_id": cls.group.id,
                "delay_minutes": 10,
                "user_ids": [(6, 0, cls.user.ids)],
                "channel_id": cls.channel.id,
            }
        )

    # -- helpers -----------------------------------------------------------------

    def _event(self, entity, state, seconds):
        """A live state change at ``seconds`` after T0, applied at that time."""
        with freeze_time(naive(seconds)):
            self.Sync._ha_apply_state_events(
                self.instance, [state_changed(entity.entity_id, state, seconds)]
            )

    def _cron(self, seconds):
        with freeze_time(naive(seconds)):
            self.Alert._cron_evaluate()

    def _posts(self):
        messages = self.channel.message_ids.filtered(
            lambda m: m.message_type == "comment"
        )
        return messages.sorted("id").mapped("body")

    def _todos(self, alert=None):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "ha.availability.alert"),
                ("res_id", "=", (alert or self.alert).id),
            ]
        )

    # -- entities ------------------------------------------------------------------

    def test_fires_once_per_episode_and_clears_when_back(self):
        self._event(self.s0, "unavailable", MINUTE)
        self._cron(6 * MINUTE)  # 5 minutes down: not yet
        self.assertFalse(self.alert.episode_ids)
        self.assertFalse(self._posts())

        self._cron(12 * MINUTE)
        episode = self.alert.episode_ids
        self.assertEqual(len(episode), 1)
        self.assertEqual(episode.state, "raised")
        self.assertEqual(episode.entity_id, self.s0)
        self.assertEqual(episode.down_since, naive(MINUTE))
        todo = self._todos()
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.user_id, self.user)
        self.assertEqual(
            todo.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertIn("S0", todo.summary)
        self.assertIn(f'data-oe-id="{self.s0.id}"', str(todo.note))
        [post] = self._posts()
        self.assertIn("more than 10 min", str(post))

        # Later runs, and more unavailable states, change nothing.
        self._cron(13 * MINUTE)
        self._event(self.s0, "unavailable", 14 * MINUTE)
        self._cron(30 * MINUTE)
        self.assertEqual(len(self.alert.episode_ids), 1)
        self.assertEqual(len(self._todos()), 1)
        self.assertEqual(len(self._posts()), 1)

        # Back: told at once by the mirror's state path, the To-Do is done.
        self._event(self.s0, "-18.5", 31 * MINUTE)
        self.assertEqual(episode.state, "closed")
        self.assertEqual(episode.back_at, naive(31 * MINUTE))
        self.assertFalse(self._todos())
        posts = self._posts()
        self.assertEqual(len(posts), 2)
        self.assertIn("available again (-18.5)", str(posts[1]))
        self.assertEqual(self.alert.open_episode_count, 0)
        self._cron(32 * MINUTE)
        self.assertEqual(len(self._posts()), 2)

        # A new episode is a new alert.
        self._event(self.s0, "unavailable", 40 * MINUTE)
        self._cron(51 * MINUTE)
        self.assertEqual(len(self.alert.episode_ids), 2)
        self.assertEqual(len(self._todos()), 1)
        self.assertEqual(len(self._posts()), 3)

    def test_only_watched_entities_and_states(self):
        self._event(self.s2, "unavailable", MINUTE)  # not in the group
        self._event(self.s1, "unknown", MINUTE)
        self._cron(20 * MINUTE)
        self.assertFalse(self.alert.episode_ids)
        self.alert.include_unknown = True
        self._cron(21 * MINUTE)
        self.assertEqual(self.alert.episode_ids.entity_id, self.s1)
        instance_wide = self.Alert.create(
            {
                "name": "Whole home",
                "ha_instance_id": self.instance.id,
                "target": "instance",
                "delay_minutes": 10,
            }
        )
        self._cron(22 * MINUTE)
        self.assertEqual(instance_wide.episode_ids.entity_id, self.s2)
        # Neither users nor channel: nothing to tell, the episode still counts.
        self.assertFalse(self._todos(instance_wide))

    def test_not_notified_back_and_entity_removed(self):
        self.alert.notify_back = False
        self._event(self.s0, "unavailable", MINUTE)
        self._cron(12 * MINUTE)
        self.assertEqual(len(self._posts()), 1)
        # HA removes the entity: the episode ends, the To-Do is done, and
        # nothing is posted (the rule does not tell "back").
        with freeze_time(naive(13 * MINUTE)):
            self.Sync._ha_apply_state_events(
                self.instance,
                [{"entity_id": self.s0.entity_id, "new_state": None}],
            )
        self.assertEqual(self.alert.episode_ids.state, "closed")
        self.assertFalse(self._todos())
        self.assertEqual(len(self._posts()), 1)

    def test_entity_leaving_the_group_ends_its_episode_quietly(self):
        self._event(self.s1, "unavailable", MINUTE)
        self._cron(12 * MINUTE)
        self.assertEqual(len(self._posts()), 1)
        self.group.entity_ids = [(3, self.s1.id)]
        self._cron(13 * MINUTE)
        self.assertEqual(self.alert.episode_ids.state, "closed")
        self.assertFalse(self._todos())
        self.assertEqual(len(self._posts()), 1)

    def test_unwatched_instance_costs_the_mirror_no_query(self):
        other = self._create_instance(name="Home B")
        self.assertNotIn(other.id, self.Alert._ha_watched_instance_ids())
        self.assertIn(self.instance.id, self.Alert._ha_watched_instance_ids())
        with self.assertQueryCount(0):
            self.Alert._ha_states_changed(other.id, [1, 2, 3])
        self.alert.active = False
        self.assertNotIn(self.instance.id, self.Alert._ha_watched_instance_ids())

    # -- the connection ----------------------------------------------------------

    def test_instance_connection_down(self):
        alert = self.Alert.create(
            {
                "name": "Home A offline",
                "ha_instance_id": self.instance.id,
                "target": "connection",
                "delay_minutes": 5,
                "user_ids": [(6, 0, self.user.ids)],
                "channel_id": self.channel.id,
            }
        )
        self.instance.write(
            {"ws_state": "error", "ws_since": naive(0), "ws_error": "refused"}
        )
        self._cron(3 * MINUTE)
        self.assertEqual(alert.episode_ids.state, "pending")
        self.assertFalse(self._posts())
        self._cron(6 * MINUTE)
        self._cron(7 * MINUTE)
        self.assertEqual(alert.episode_ids.state, "raised")
        self.assertEqual(len(self._todos(alert)), 1)
        [post] = self._posts()
        self.assertIn("connection to", str(post))

        self.instance.write({"ws_state": "connected", "ws_since": naive(8 * MINUTE)})
        with patch.object(HaInstance, "_held_locks", lambda inst: set(inst.ids)):
            self._cron(8 * MINUTE)
        self.assertEqual(alert.episode_ids.state, "closed")
        self.assertFalse(self._todos(alert))
        self.assertEqual(len(self._posts()), 2)
        self.assertIn("is back", str(self._posts()[1]))

    def test_connection_back_is_told_by_the_status_change(self):
        alert = self.Alert.create(
            {
                "name": "Home A offline",
                "ha_instance_id": self.instance.id,
                "target": "connection",
                "delay_minutes": 1,
                "channel_id": self.channel.id,
            }
        )
        self.instance.write({"ws_state": "disconnected", "ws_since": naive(0)})
        self._cron(2 * MINUTE)
        self.assertEqual(alert.episode_ids.state, "raised")
        # "connected" from the connection itself: back at once, no cron run
        with patch.object(HaInstance, "_held_locks", lambda inst: set(inst.ids)):
            self.instance._ha_set_ws_status("connected", "", "2025.4.4")
        self.assertEqual(alert.episode_ids.state, "closed")
        self.assertIn("is back", str(self._posts()[-1]))

    def test_connection_back_before_the_delay_tells_nobody(self):
        alert = self.Alert.create(
            {
                "name": "Short outage",
                "ha_instance_id": self.instance.id,
                "target": "connection",
                "delay_minutes": 5,
                "channel_id": self.channel.id,
            }
        )
        self.instance.write({"ws_state": "disconnected", "ws_since": naive(0)})
        self._cron(2 * MINUTE)
        self.instance.write({"ws_state": "connected"})
        with patch.object(HaInstance, "_held_locks", lambda inst: set(inst.ids)):
            self._cron(3 * MINUTE)
        self.assertEqual(alert.episode_ids.state, "closed")
        self.assertFalse(alert.episode_ids.raised_at)
        self.assertFalse(self._posts())
