"""Live portal pages: state pushes reach exactly the users things are shared with."""

from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user

from odoo.addons.odoo_ha_addon.models.ha_realtime_update import portal_key

from .common import HACommon, bus_messages, forget_authorizations


class TestPortalBus(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Share = cls.env["ha.entity.share"]
        cls.Notifier = cls.env["ha.realtime.update"]
        cls.light = cls._create_entity("light.desk")
        cls.lamp = cls._create_entity("light.lamp")
        cls.lock = cls._create_entity("lock.door")
        cls.device = cls.env["ha.device"].create(
            {"device_id": "d1", "name": "Desk", "ha_instance_id": cls.instance.id}
        )
        cls.lamp.device_id = cls.device
        cls.group = cls._create_group("Room", cls.light)
        cls.portal = new_test_user(
            cls.env, login="bus_portal", groups="base.group_portal"
        )
        cls.other = new_test_user(
            cls.env, login="bus_other", groups="base.group_portal"
        )

    def change(self, entity, state="on", **attributes):
        return {
            "id": entity.id,
            "entity_id": entity.entity_id,
            "state": state,
            "attributes": attributes,
            "last_changed": "2025-03-01T10:00:00Z",
        }

    def pushes(self, user):
        forget_authorizations()
        return bus_messages(self.env, user, "ha_portal_state")

    def test_channels_granted_by_live_shares(self):
        keys = self.Notifier._ha_channel_keys
        self.assertEqual(keys([self.portal.id])[self.portal.id], frozenset())
        share = self.Share.create(
            {"user_id": self.portal.id, "entity_id": self.light.id}
        )
        own = portal_key(self.instance.id, self.portal.id)
        self.assertEqual(keys([self.portal.id])[self.portal.id], {own})
        share.expiry_date = fields.Datetime.now() - timedelta(minutes=1)
        self.assertEqual(keys([self.portal.id])[self.portal.id], frozenset())
        # the other user's channel is never the portal user's
        self.assertEqual(keys([self.other.id])[self.other.id], frozenset())

    def test_pushes_only_shared_entities(self):
        self.Share.create({"user_id": self.portal.id, "entity_id": self.light.id})
        self.Share.create({"user_id": self.other.id, "device_id": self.device.id})
        self.Notifier.notify_entity_state_change(
            self.instance,
            [
                self.change(self.light, brightness=10, latitude=1.5, access_token="x"),
                self.change(self.lamp),
                self.change(self.lock, "unlocked"),
            ],
        )
        (message,) = self.pushes(self.portal)
        self.assertEqual(
            [c["entity_id"] for c in message["payload"]["changes"]], ["light.desk"]
        )
        self.assertEqual(
            message["payload"]["changes"][0]["attributes"], {"brightness": 10}
        )
        (message,) = self.pushes(self.other)
        self.assertEqual(
            [c["entity_id"] for c in message["payload"]["changes"]], ["light.lamp"]
        )

    def test_group_share_and_expiry(self):
        share = self.Share.create(
            {"user_id": self.portal.id, "group_id": self.group.id}
        )
        self.Notifier.notify_entity_state_change(
            self.instance, [self.change(self.light)]
        )
        self.assertEqual(len(self.pushes(self.portal)), 1)
        share.expiry_date = fields.Datetime.now() - timedelta(minutes=1)
        self.Notifier.notify_entity_state_change(
            self.instance, [self.change(self.light)]
        )
        # the new push is not written, and the poll drops the channel: nothing
        self.assertEqual(self.pushes(self.portal), [])

    def test_nothing_written_when_nothing_is_shared(self):
        """An entity nobody shares costs no query once the share map of the
        instance is cached, and no bus row."""
        self.Share.create({"user_id": self.portal.id, "entity_id": self.light.id})
        Portal = self.env["ha.portal"]
        Portal._portal_recipients(self.instance.id, [self.lock.id])
        with self.assertQueryCount(0):
            recipients = Portal._portal_recipients(self.instance.id, [self.lock.id])
        self.assertEqual(recipients, {})
        self.Notifier.notify_entity_state_change(
            self.instance, [self.change(self.lock)]
        )
        self.env.cr.precommit.run()
        rows = self.env["bus.bus"].search_count([("channel", "like", "ha_portal_")])
        self.assertEqual(rows, 0)

    def test_share_change_tells_the_user(self):
        self.Share.create({"user_id": self.portal.id, "entity_id": self.light.id})
        messages = bus_messages(self.env, self.portal, "ha_channels_changed")
        self.assertEqual(len(messages), 1)
