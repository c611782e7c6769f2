import json
from datetime import timedelta

from odoo.tests import new_test_user

from odoo.addons.odoo_ha_addon.models import bus_bus
from odoo.addons.odoo_ha_addon.models import ha_realtime_update as realtime

from .common import HACommon, bus_channels, bus_messages, state_changed


class TestBusChannels(HACommon):
    """Pushes go to one channel per visibility class, which only the server
    subscribes a user to, and which every poll checks again."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._two_homes()
        entities = cls.Entity.search([("ha_instance_id", "=", cls.instance.id)])
        cls.s = {e.entity_id: e for e in entities}
        cls.s0, cls.s1 = cls.s["sensor.s0"], cls.s["sensor.s1"]
        cls.user_a = cls._create_ha_user("chan_user_a")
        cls.user_a_too = cls._create_ha_user("chan_user_a_too")
        cls.user_both = cls._create_ha_user("chan_user_both")
        cls.manager = cls._create_ha_user("chan_manager", manager=True)
        cls.outsider = cls._create_ha_user("chan_outsider")  # HA User, no group
        cls.plain = new_test_user(cls.env, login="chan_plain", groups="base.group_user")
        cls.group_s0 = cls._create_group(
            "s0", cls.s0, [cls.user_a, cls.user_a_too, cls.user_both, cls.manager]
        )
        cls.group_s1 = cls._create_group("s1", cls.s1, [cls.user_both])
        b_entities = cls.Entity.search([("ha_instance_id", "=", cls.instance_b.id)])
        cls.group_b = cls._create_group(
            "B", b_entities, [cls.user_both], instance=cls.instance_b
        )
        cls.manager_gid = cls.env.ref("odoo_ha_addon.group_ha_manager").id

    def setUp(self):
        super().setUp()
        self._clear_bus()

    def _clear_bus(self):
        self.env.cr.precommit.run()
        self.Bus.search([]).unlink()

    @property
    def Bus(self):
        return self.env["bus.bus"].sudo()

    def _keys(self, user):
        notifier = self.env["ha.realtime.update"].with_user(user)
        return sorted(
            (record._name, record.id, sub)
            for record, sub in notifier._ha_bus_channels()
        )

    def _view(self, instance, *groups):
        ids = "_".join(str(g.id) for g in sorted(groups, key=lambda g: g.id))
        return ("ha.instance", instance.id, f"ha_view_{ids}")

    def _push(self, *entity_ids, instance=None):
        self._pushes = getattr(self, "_pushes", 0) + 1  # each one newer
        events = [state_changed(e, "7", 100 + self._pushes) for e in entity_ids]
        self.Sync._ha_apply_state_events(instance or self.instance, events)
        self.env.cr.precommit.run()

    def _changes(self, user, channels=None):
        return [
            sorted(c["entity_id"] for c in m["payload"]["changes"])
            for m in self._bus_messages(user, "ha_entity_state_changed", channels)
        ]

    def _bus_messages(self, user, notification_type=None, channels=None):
        return bus_messages(self.env, user, notification_type, channels)

    # -- the authorized channel list --------------------------------------------

    def test_channel_list_follows_the_rights(self):
        self.assertEqual(
            self._keys(self.manager), [("res.groups", self.manager_gid, "ha_all")]
        )
        self.assertEqual(
            self._keys(self.user_a), [self._view(self.instance, self.group_s0)]
        )
        self.assertEqual(self._keys(self.user_a_too), self._keys(self.user_a))
        self.assertEqual(
            self._keys(self.user_both),
            sorted(
                [
                    self._view(self.instance, self.group_s0, self.group_s1),
                    self._view(self.instance_b, self.group_b),
                ]
            ),
        )
        # no right, no HA channel: an HA User of no group, a plain user
        self.assertEqual(self._keys(self.outsider), [])
        self.assertEqual(self._keys(self.plain), [])

    def test_archived_group_and_inactive_user_give_no_channel(self):
        self.group_s1.active = False
        self.assertEqual(
            self._keys(self.user_both),
            sorted(
                [
                    self._view(self.instance, self.group_s0),
                    self._view(self.instance_b, self.group_b),
                ]
            ),
        )
        self.user_a.active = False
        self.assertEqual(
            self.env["ha.realtime.update"]._ha_channel_keys([self.user_a.id]),
            {self.user_a.id: frozenset()},
        )

    # -- one message per class -----------------------------------------------------

    def test_one_message_per_class_whatever_the_number_of_users(self):
        many = [
            self._create_ha_user(f"chan_many_{i}", manager=i % 2 == 0)
            for i in range(20)
        ]
        # managers in a group still see all: no class of their own
        self.group_s0.user_ids = [(4, user.id) for user in many]
        self._clear_bus()
        self._push("sensor.s0", "sensor.s1", "sensor.s2")
        rows = self.Bus.search([])
        # managers, {s0} (users a, a_too and the ten new ones), {s0, s1}
        self.assertEqual(len(rows), 3, rows.mapped("channel"))
        for user in many:
            expected = (
                [["sensor.s0", "sensor.s1", "sensor.s2"]]
                if user.has_group("odoo_ha_addon.group_ha_manager")
                else [["sensor.s0"]]
            )
            self.assertEqual(self._changes(user), expected, user.login)
        self.assertEqual(self._changes(self.user_both), [["sensor.s0", "sensor.s1"]])

    def test_nothing_written_for_a_class_that_may_not_see_the_batch(self):
        self._push("sensor.s3")  # in no group: managers only
        rows = self.Bus.search([])
        self.assertEqual(len(rows), 1)
        self.assertEqual(
            realtime.channel_key(tuple(json.loads(rows.channel))),
            ("res.groups", self.manager_gid, "ha_all"),
        )
        for user in (self.user_a, self.user_both, self.outsider, self.plain):
            self.assertEqual(self._bus_messages(user), [], user.login)
        self.assertEqual(self._changes(self.manager), [["sensor.s3"]])

    def test_other_instance_pushes_reach_its_class_only(self):
        self._push("sensor.s0", instance=self.instance_b)
        self.assertEqual(self._changes(self.user_both), [["sensor.s0"]])
        self.assertEqual(self._changes(self.user_a), [])
        self.assertEqual(self._changes(self.outsider), [])
        status = "ha_websocket_status"
        self.env["ha.realtime.update"].notify_ha_websocket_status(
            self.instance_b, "connected"
        )
        self.assertEqual(len(self._bus_messages(self.user_both, status)), 1)
        self.assertEqual(len(self._bus_messages(self.manager, status)), 1)
        self.assertFalse(self._bus_messages(self.user_a, status))

    # -- rights change: the server stops, the client refreshes ---------------------

    def test_removed_user_stops_receiving_even_if_still_subscribed(self):
        subscribed = bus_channels(
            self.env, self.user_a
        )  # a client that never refreshes
        self._push("sensor.s0")
        self.assertEqual(self._changes(self.user_a, subscribed), [["sensor.s0"]])
        self._clear_bus()
        self.group_s0.user_ids = [(3, self.user_a.id)]
        self.env.cr.precommit.run()
        refresh = self._bus_messages(self.user_a, realtime.CHANNELS_CHANGED, subscribed)
        self.assertEqual(len(refresh), 1)
        self._push("sensor.s0")
        # user_a_too shares the channel user_a still listens on: the message
        # exists, the poll does not give it to user_a any more.
        self.assertEqual(self._changes(self.user_a_too), [["sensor.s0"]])
        self.assertEqual(self._changes(self.user_a, subscribed), [])
        self.assertEqual(self._keys(self.user_a), [])
        # the others were not told to refresh
        for user in (self.user_a_too, self.user_both, self.manager):
            self.assertFalse(
                self._bus_messages(user, realtime.CHANNELS_CHANGED), user.login
            )

    def test_added_user_is_told_and_receives_the_next_push(self):
        before = bus_channels(self.env, self.outsider)
        self.group_s1.user_ids = [(4, self.outsider.id)]
        self.env.cr.precommit.run()
        refresh = self._bus_messages(self.outsider, realtime.CHANNELS_CHANGED, before)
        self.assertEqual(len(refresh), 1)
        self.assertEqual(
            self._keys(self.outsider), [self._view(self.instance, self.group_s1)]
        )
        self._push("sensor.s0", "sensor.s1")
        self.assertEqual(self._changes(self.outsider), [["sensor.s1"]])
        # what the client listened to before its refresh gives nothing
        self.assertEqual(self._changes(self.outsider, before), [])

    def test_losing_the_ha_group_stops_the_pushes(self):
        subscribed = bus_channels(self.env, self.manager)
        user_group = self.env.ref("odoo_ha_addon.group_ha_user")
        manager_group = self.env.ref("odoo_ha_addon.group_ha_manager")
        self.manager.groups_id = [(3, manager_group.id), (3, user_group.id)]
        self.env.cr.precommit.run()
        self.assertEqual(
            len(
                self._bus_messages(self.manager, realtime.CHANNELS_CHANGED, subscribed)
            ),
            1,
        )
        self._push("sensor.s0")
        self.assertEqual(self._changes(self.manager, subscribed), [])
        self.assertEqual(self._keys(self.manager), [])
        # and through the group's side
        manager_group.users = [(4, self.user_a.id)]
        self.env.cr.precommit.run()
        self.assertEqual(
            self._keys(self.user_a), [("res.groups", self.manager_gid, "ha_all")]
        )
        self.assertEqual(
            len(self._bus_messages(self.user_a, realtime.CHANNELS_CHANGED)), 1
        )

    def test_deleted_group_stops_the_pushes(self):
        subscribed = bus_channels(self.env, self.user_a)
        self.group_s0.unlink()
        self.env.cr.precommit.run()
        self.assertEqual(
            len(self._bus_messages(self.user_a, realtime.CHANNELS_CHANGED, subscribed)),
            1,
        )
        self._push("sensor.s0")
        self.assertEqual(self._changes(self.user_a, subscribed), [])

    def test_entity_change_of_a_group_needs_no_refresh(self):
        self.group_s0.entity_ids = [(4, self.s1.id)]
        self.env.cr.precommit.run()
        self.assertFalse(self._bus_messages(self.user_a, realtime.CHANNELS_CHANGED))
        self._push("sensor.s1")
        self.assertEqual(self._changes(self.user_a), [["sensor.s1"]])

    def test_poll_authorization_is_cached_briefly(self):
        # A change the ORM does not see (here: plain SQL) is enforced once the
        # cached authorization expires.
        subscribed = bus_channels(self.env, self.user_a)
        self.env.cr.execute(
            "DELETE FROM ha_entity_group_user_rel WHERE user_id = %s",
            [self.user_a.id],
        )
        self._push("sensor.s0")
        self.assertEqual(self._changes(self.user_a, subscribed), [["sensor.s0"]])
        key = (self.env.cr.dbname, self.user_a.id)
        expiry, keys = realtime._authorized[key]
        self.assertLessEqual(
            expiry - realtime.time.monotonic(), realtime.AUTHORIZED_TTL
        )
        realtime._authorized[key] = (0.0, keys)  # expired
        self.assertEqual(self._changes(self.user_a, subscribed), [])

    # -- catching up --------------------------------------------------------------

    def test_a_reconnecting_client_is_not_sent_old_pushes(self):
        self._push("sensor.s0")
        self._push("sensor.s0", "sensor.s1")
        rows = self.Bus.search([], order="id")
        old, new = rows[: len(rows) // 2], rows[len(rows) // 2 :]
        self.env.cr.execute(
            "UPDATE bus_bus SET create_date = create_date - %s WHERE id = ANY(%s)",
            [timedelta(seconds=bus_bus.REPLAY_SECONDS + 1), old.ids],
        )
        self.assertEqual(self._changes(self.user_both), [["sensor.s0", "sensor.s1"]])
        # Odoo's own channels keep Odoo's rules
        self.user_a.partner_id._bus_send("simple_notification", {"message": "x"})
        self.env.cr.precommit.run()
        note = self.Bus.search([], order="id desc", limit=1)
        self.env.cr.execute(
            "UPDATE bus_bus SET create_date = create_date - %s WHERE id = %s",
            [timedelta(seconds=bus_bus.REPLAY_SECONDS + 1), note.id],
        )
        self.assertEqual(len(self._bus_messages(self.user_a, "simple_notification")), 1)
        self.assertTrue(new)
