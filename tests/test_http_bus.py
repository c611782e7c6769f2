"""Home Assistant pushes through Odoo's real websocket: the channels the
server subscribes a connection to, and what it is sent when rights change."""

import json

from odoo.tests import new_test_user, tagged

from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable
from odoo.addons.bus.tests.common import WebsocketCase
from odoo.addons.odoo_ha_addon.models import ha_realtime_update as realtime

from .common import forget_authorizations, ha_state, state_changed

PROBE = "odoo_ha_addon_test_probe"


@tagged("post_install", "-at_install", "ha_http")
class TestHttpBusChannels(WebsocketCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.instance = env["ha.instance"].create(
            {"name": "Bus home", "api_url": "http://127.0.0.1:9", "api_token": "t"}
        )
        cls.Sync = env["ha.sync"]
        cls.Sync._ha_sync_states(
            cls.instance, [ha_state(f"sensor.w{i}", 0) for i in range(2)], notify=False
        )
        cls.w0 = env["ha.entity"].search([("entity_id", "=", "sensor.w0")])
        groups = "base.group_user,odoo_ha_addon.group_ha_user"
        cls.member = new_test_user(env, login="ws_member", groups=groups)
        cls.outsider = new_test_user(env, login="ws_outsider", groups=groups)
        cls.group = env["ha.entity.group"].create(
            {
                "name": "W0",
                "ha_instance_id": cls.instance.id,
                "entity_ids": [(6, 0, cls.w0.ids)],
                "user_ids": [(6, 0, cls.member.ids)],
            }
        )
        cls.view = (cls.instance, f"ha_view_{cls.group.id}")
        cls.pushes = 0

    def setUp(self):
        super().setUp()
        forget_authorizations()

    # -- helpers -----------------------------------------------------------------

    def _connect(self, user, channels=()):
        """A websocket of ``user`` that subscribed asking for ``channels``."""
        self.env.cr.precommit.run()
        # HttpCase.authenticate deletes the previous session, which would
        # close the websocket opened with it: keep it.
        self.session = None
        session = self.authenticate(user.login, user.login)
        ws = self.websocket_connect(cookie=f"session_id={session.sid}")
        last = self.env["bus.bus"].sudo()._bus_last_id()
        self.subscribe(ws, list(channels), last=last)
        return ws

    def _server_channels(self, user):
        """The HA channel keys the server dispatches to ``user``'s websockets."""
        return {
            realtime.channel_key(channel)
            for channel, websockets in dispatch._channels_to_ws.items()
            if realtime.channel_key(channel)
            and any(ws._session.uid == user.id for ws in websockets)
        }

    def _push(self, entity_id):
        """A state change of ``entity_id``, its bus rows written (no dispatch)."""
        type(self).pushes += 1
        event = state_changed(entity_id, str(self.pushes), 100 + self.pushes)
        self.Sync._ha_apply_state_events(self.instance, [event])
        self.env.cr.precommit.run()

    def _dispatch(self, *users):
        """Send a probe to each user's partner, then wake every websocket of
        the HA channel and of those partners (once: the websockets share the
        test cursor with this thread, which must not write meanwhile)."""
        for user in users:
            user.partner_id._bus_send(PROBE, {})
        self.trigger_notification_dispatching(
            [self.view, *(user.partner_id for user in users)]
        )

    @staticmethod
    def _until_probe(ws):
        """The messages ``ws`` received before its probe."""
        messages = []
        while PROBE not in [m["type"] for m in messages]:
            messages += [n["message"] for n in json.loads(ws.recv())]
        return messages[: [m["type"] for m in messages].index(PROBE)]

    @staticmethod
    def _types(messages):
        return [m["type"] for m in messages]

    # -- tests -------------------------------------------------------------------

    def test_the_server_subscribes_authorized_channels_only(self):
        key = (self.instance._name, self.instance.id, self.view[1])
        forged = [f"ha_view_{self.group.id}", "ha_all", json.dumps(list(key))]
        self._connect(self.member)
        self._connect(self.outsider, forged)
        self.assertEqual(self._server_channels(self.member), {key})
        self.assertEqual(self._server_channels(self.outsider), set())

    def test_a_push_reaches_the_member_only(self):
        member = self._connect(self.member)
        outsider = self._connect(self.outsider)
        self._push("sensor.w0")
        self._push("sensor.w1")  # outside the member's group
        self._dispatch(self.member, self.outsider)
        (message,) = self._until_probe(member)
        self.assertEqual(message["type"], "ha_entity_state_changed")
        self.assertEqual(
            [c["entity_id"] for c in message["payload"]["changes"]], ["sensor.w0"]
        )
        self.assertEqual(self._until_probe(outsider), [])

    def test_a_removed_member_gets_nothing_even_without_resubscribing(self):
        ws = self._connect(self.member)
        self.group.user_ids = [(3, self.member.id)]
        # A hostile client ignores the refresh and keeps its subscription.
        self._push("sensor.w0")
        self.assertIn(
            (self.instance._name, self.instance.id, self.view[1]),
            self._server_channels(self.member),
        )
        self._dispatch(self.member)
        self.assertEqual(
            self._types(self._until_probe(ws)), [realtime.CHANNELS_CHANGED]
        )

    def test_an_added_user_receives_after_the_refresh(self):
        ws = self._connect(self.outsider)
        self.group.user_ids = [(4, self.outsider.id)]
        self.env.cr.precommit.run()
        self._dispatch(self.outsider)
        self.assertEqual(
            self._types(self._until_probe(ws)), [realtime.CHANNELS_CHANGED]
        )
        # what the web client does on CHANNELS_CHANGED: subscribe again
        self.subscribe(ws, [], last=self.env["bus.bus"].sudo()._bus_last_id())
        self.assertIn(
            hashable(channel_with_db(self.env.cr.dbname, self.view)),
            dispatch._channels_to_ws,
        )
        self._push("sensor.w0")
        self._dispatch(self.outsider)
        (message,) = self._until_probe(ws)
        self.assertEqual(message["type"], "ha_entity_state_changed")
