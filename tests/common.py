"""Shared fixtures for the mirror tests: builders and HA payload factories."""

from datetime import datetime, timedelta, timezone

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.bus.models.bus import channel_with_db
from odoo.addons.odoo_ha_addon.models import ha_realtime_update as realtime

T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=timezone.utc)


def ha_time(seconds=0.0):
    """An HA ISO timestamp ``seconds`` after T0 (microseconds, UTC offset)."""
    return (T0 + timedelta(seconds=seconds)).isoformat()


def naive(seconds=0.0):
    """The naive UTC datetime Odoo stores for ``ha_time(seconds)``."""
    return (T0 + timedelta(seconds=seconds)).replace(tzinfo=None)


def ha_state(entity_id, state, seconds=0.0, attributes=None, changed=None):
    """A state object as ``get_states`` returns it."""
    attributes = {
        "friendly_name": entity_id.split(".")[1].title(),
        **(attributes or {}),
    }
    return {
        "entity_id": entity_id,
        "state": str(state),
        "attributes": attributes,
        "last_changed": ha_time(seconds if changed is None else changed),
        "last_reported": ha_time(seconds),
        "last_updated": ha_time(seconds),
        "context": {"id": "01JN", "parent_id": None, "user_id": None},
    }


def state_changed(entity_id, state, seconds, attributes=None):
    """``state_changed`` event data (old_state left out)."""
    return {
        "entity_id": entity_id,
        "old_state": None,
        "new_state": ha_state(entity_id, state, seconds, attributes),
    }


def bus_channels(env, user):
    """The channels a websocket of ``user`` listens to for this addon: their
    partner's and the HA channels the server subscribes them to."""
    notifier = env["ha.realtime.update"].with_user(user)
    channels = [user.partner_id, *notifier._ha_bus_channels()]
    return [channel_with_db(env.cr.dbname, channel) for channel in channels]


def bus_messages(env, user, notification_type=None, channels=None):
    """What a websocket of ``user`` would be sent (after precommit), through
    ``bus.bus._poll`` as the websocket polls; ``channels`` (default
    ``bus_channels``): the channels it subscribed to."""
    env.cr.precommit.run()
    if channels is None:
        channels = bus_channels(env, user)
    # last=-1: every row (ids start at 1), not only the last 50 s.
    polled = env["bus.bus"].with_user(user)._poll(channels, last=-1)
    messages = [notification["message"] for notification in polled]
    if notification_type:
        messages = [m for m in messages if m["type"] == notification_type]
    return messages


def forget_authorizations():
    """Drop the per-process cache of HA channel authorizations: a rolled back
    test must not leave its rights to the next one."""
    with realtime._authorized_lock:
        realtime._authorized.clear()


class HACommon(TransactionCase):
    def setUp(self):
        super().setUp()
        forget_authorizations()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.Sync = cls.env["ha.sync"]
        cls.Entity = cls.env["ha.entity"].with_context(active_test=False)
        cls.History = cls.env["ha.entity.history"]
        cls.instance = cls._create_instance(name="Home A")

    # -- builders ------------------------------------------------------------------

    @classmethod
    def _two_homes(cls):
        """A second instance, "Home B": 4 mirrored sensors here, 2 there."""
        cls.instance_b = cls._create_instance(name="Home B")
        cls.Sync._ha_sync_states(cls.instance, cls._states(4), notify=False)
        cls.Sync._ha_sync_states(cls.instance_b, cls._states(2), notify=False)

    @classmethod
    def _create_instance(cls, **vals):
        return cls.env["ha.instance"].create(
            {
                "name": "Home",
                # Port 9 (discard): nothing listens there, not even a
                # simulator of `./dev run` (8123) on the same machine.
                "api_url": "http://127.0.0.1:9",
                "api_token": "token",
                **vals,
            }
        )

    @classmethod
    def _create_entity(cls, entity_id, instance=None, **vals):
        return cls.env["ha.entity"].create(
            {
                "entity_id": entity_id,
                "domain": entity_id.split(".")[0],
                "ha_instance_id": (instance or cls.instance).id,
                **vals,
            }
        )

    @classmethod
    def _create_group(cls, name, entities, users=(), instance=None, **vals):
        return cls.env["ha.entity.group"].create(
            {
                "name": name,
                "ha_instance_id": (instance or cls.instance).id,
                "entity_ids": [(6, 0, entities.ids)],
                "user_ids": [(6, 0, [u.id for u in users])],
                **vals,
            }
        )

    @classmethod
    def _create_ha_user(cls, login, manager=False):
        group = (
            "odoo_ha_addon.group_ha_manager"
            if manager
            else "odoo_ha_addon.group_ha_user"
        )
        return new_test_user(cls.env, login=login, groups=f"base.group_user,{group}")

    # -- payloads -------------------------------------------------------------------

    @staticmethod
    def _states(count, prefix="sensor.s", seconds=0.0, value=lambda i: i):
        return [ha_state(f"{prefix}{i}", value(i), seconds) for i in range(count)]

    @staticmethod
    def _registries(areas=3, devices=5, labels=2, floors=1):
        floor_list = [
            {"floor_id": f"f{i}", "name": f"Floor {i}", "level": i}
            for i in range(floors)
        ]
        label_list = [
            {"label_id": f"l{i}", "name": f"Label {i}", "color": "red", "icon": None}
            for i in range(labels)
        ]
        area_list = [
            {
                "area_id": f"a{i}",
                "name": f"Area {i}",
                "floor_id": floor_list[0]["floor_id"] if floor_list else None,
                "aliases": [],
                "labels": [label_list[0]["label_id"]] if label_list else [],
                "icon": None,
                "picture": None,
            }
            for i in range(areas)
        ]
        device_list = [
            {
                "id": f"d{i}",
                "name": f"Device {i}",
                "name_by_user": None,
                "area_id": f"a{i % areas}" if areas else None,
                "manufacturer": "ACME",
                "model": "M1",
                "identifiers": [["acme", str(i)]],
                "connections": [],
                "config_entries": ["c1"],
                "labels": [],
                "via_device_id": "d0" if i else None,
                "disabled_by": None,
                "entry_type": None,
            }
            for i in range(devices)
        ]
        return floor_list, area_list, label_list, device_list

    # -- bus ---------------------------------------------------------------------

    def _bus_messages(self, user, notification_type=None):
        return bus_messages(self.env, user, notification_type)
