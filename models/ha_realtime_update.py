import logging
import threading
import time

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "odoo_ha_addon.group_ha_manager"
USER_GROUP = "odoo_ha_addon.group_ha_user"

# Bus channels of Home Assistant data, one per visibility class (see
# HaRealtimeUpdate): (res.groups HA Manager, MANAGERS) and, for the HA Users
# of an instance who see it through the same set of entity groups,
# (ha.instance, VIEW_PREFIX + "<group id>_<group id>...").
MANAGERS = "ha_all"
VIEW_PREFIX = "ha_view_"
# One channel per (instance, user) with shares there, of any user (portal
# included): (ha.instance, PORTAL_PREFIX + "<user id>"), carrying only the
# states of the entities shared with that user (see ha.portal).
PORTAL_PREFIX = "ha_portal_"
PORTAL_STATE = "ha_portal_state"
# Pushed to a user's own partner channel when their HA channels changed: their
# web client asks the server for its channel list again (the server still
# stops delivering what they lost on its own, see AUTHORIZED_TTL).
CHANNELS_CHANGED = "ha_channels_changed"
# Seconds a poll may reuse a user's authorized HA channels (per process): a
# user who loses a right stops receiving within this time even if their
# client never asks for its channels again.
AUTHORIZED_TTL = 1.0
_authorized = {}  # (dbname, uid) -> (monotonic expiry, frozenset of keys)
_authorized_lock = threading.Lock()


def _now():
    return fields.Datetime.now().isoformat() + "Z"


def portal_key(instance_id, user_id):
    return ("ha.instance", instance_id, f"{PORTAL_PREFIX}{user_id}")


def channel_key(channel):
    """``(model, id, subchannel)`` of a bus channel as Odoo stores it
    (``(db, model, id, subchannel)``), or None when it is no HA channel."""
    if not isinstance(channel, tuple | list) or len(channel) != 4:
        return None
    _db, model, res_id, sub = channel
    if not isinstance(sub, str):
        return None
    if (model == "res.groups" and sub == MANAGERS) or (
        model == "ha.instance" and sub.startswith((VIEW_PREFIX, PORTAL_PREFIX))
    ):
        return (model, res_id, sub)
    return None


class HaRealtimeUpdate(models.Model):
    """Bus notifier: pushes Home Assistant changes to the users allowed to see them.

    A push costs one bus message per *visibility class*, not per user: HA
    Managers share one channel (they see everything), and the HA Users of an
    instance who reach it through the same set of active entity groups share
    one channel per instance, whose messages carry only what that set of
    groups authorizes. A user is subscribed to their classes' channels by the
    server only (``ir.websocket._build_bus_channel_list``, from the same
    groups and entity groups as the record rules), and every poll of the bus
    drops the HA channels the user is no longer authorized for
    (``bus.bus._poll``). Nothing is written for a class nobody belongs to.
    Payloads hold plain ids and values, never records.
    """

    _name = "ha.realtime.update"
    _inherit = ["bus.listener.mixin"]
    _description = "Home Assistant Real-Time Notifier"

    name = fields.Char()

    def _bus_channel(self):
        return self.env.user.partner_id

    # -- visibility classes ------------------------------------------------------

    @api.model
    def _ha_group_ids(self):
        """``(HA Manager group id, HA User group id)`` (None when missing).

        From the cached XML id map: every push asks, and ``env.ref`` would
        query each group's existence again."""
        model_data = self.env["ir.model.data"]
        return tuple(
            model_data._xmlid_to_res_id(xmlid, raise_if_not_found=False) or None
            for xmlid in (MANAGER_GROUP, USER_GROUP)
        )

    @api.model
    def _ha_channel(self, key):
        """The bus target of a channel key ``(model, id, subchannel)``."""
        model, res_id, sub = key
        return (self.env[model].browse(res_id), sub)

    @api.model
    def _ha_view_key(self, instance_id, group_ids):
        sub = VIEW_PREFIX + "_".join(str(gid) for gid in sorted(group_ids))
        return ("ha.instance", instance_id, sub)

    @api.model
    def _ha_channel_keys(self, user_ids):
        """``{user id: frozenset of channel keys}``: the HA channels each
        (active) user may listen to, by the rules the record rules apply."""
        manager_gid, user_gid = self._ha_group_ids()
        keys = {uid: set() for uid in user_ids}
        if not user_ids or not user_gid:
            return {uid: frozenset() for uid in keys}
        # Shares add their portal channels to whatever the groups give.
        portal = self.env["ha.portal"]._portal_channel_keys(list(keys))
        self.env.cr.execute(
            SQL(
                """
                SELECT r.uid, r.gid
                  FROM res_groups_users_rel r
                  JOIN res_users u ON u.id = r.uid AND u.active
                 WHERE r.uid = ANY(%s) AND r.gid = ANY(%s)
                """,
                list(keys),
                [gid for gid in (manager_gid, user_gid) if gid],
            )
        )
        ha_users = set()
        for uid, gid in self.env.cr.fetchall():
            if gid == manager_gid:
                keys[uid].add(("res.groups", manager_gid, MANAGERS))
            else:
                ha_users.add(uid)
        plain = [uid for uid in ha_users if not keys[uid]]
        if plain:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT gu.user_id, g.ha_instance_id, array_agg(g.id ORDER BY g.id)
                      FROM ha_entity_group_user_rel gu
                      JOIN ha_entity_group g ON g.id = gu.group_id AND g.active
                     WHERE gu.user_id = ANY(%s)
                     GROUP BY gu.user_id, g.ha_instance_id
                    """,
                    plain,
                )
            )
            for uid, instance_id, group_ids in self.env.cr.fetchall():
                keys[uid].add(self._ha_view_key(instance_id, group_ids))
        return {
            uid: frozenset(found | portal.get(uid, set()))
            for uid, found in keys.items()
        }

    @api.model
    def _ha_bus_channels(self):
        """The HA bus channels of the current user (for the websocket)."""
        user = self.env.user
        if not user or user._is_public():
            return []
        keys = self._ha_channel_keys([user.id])[user.id]
        _remember(self.env.cr.dbname, user.id, keys)
        return [self._ha_channel(key) for key in sorted(keys, key=str)]

    @api.model
    def _ha_authorized_keys(self):
        """The current user's HA channel keys, at most AUTHORIZED_TTL old."""
        if not self.env.uid:
            return frozenset()
        cache_key = (self.env.cr.dbname, self.env.uid)
        cached = _authorized.get(cache_key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        keys = self._ha_channel_keys([self.env.uid])[self.env.uid]
        _remember(*cache_key, keys)
        return keys

    @api.model
    def _ha_classes(self, instance_id):
        """The visibility classes of an instance's HA Users: sorted tuples of
        the active entity groups through which they see it, one per
        distinct set (managers apart: they see everything)."""
        manager_gid, user_gid = self._ha_group_ids()
        if not user_gid:
            return []
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT array_agg(g.id ORDER BY g.id)
                  FROM ha_entity_group g
                  JOIN ha_entity_group_user_rel gu ON gu.group_id = g.id
                  JOIN res_users u ON u.id = gu.user_id AND u.active
                 WHERE g.ha_instance_id = %(instance)s AND g.active
                   AND EXISTS (SELECT 1 FROM res_groups_users_rel r
                                WHERE r.uid = u.id AND r.gid = %(user_gid)s)
                   AND NOT EXISTS (SELECT 1 FROM res_groups_users_rel r
                                    WHERE r.uid = u.id AND r.gid = %(manager_gid)s)
                 GROUP BY gu.user_id
                """,
                instance=instance_id,
                user_gid=user_gid,
                manager_gid=manager_gid or 0,
            )
        )
        return [tuple(row[0]) for row in self.env.cr.fetchall()]

    @api.model
    def _ha_targets(self, instance_id, entity_ids=None):
        """Who may see what: ``[(channel key, entity ids or None (= all))]``.

        Without ``entity_ids`` every class of the instance gets the message;
        with them, each class gets the subset its groups authorize, and a
        class that may see none of them gets nothing. The managers' channel
        is always a target: one row, whoever listens.
        """
        self.env.flush_all()
        manager_gid, _user_gid = self._ha_group_ids()
        targets = []
        if manager_gid:
            targets.append((("res.groups", manager_gid, MANAGERS), None))
        classes = self._ha_classes(instance_id)
        if entity_ids is None or not classes:
            targets += [(self._ha_view_key(instance_id, c), None) for c in classes]
            return targets
        self.env.cr.execute(
            SQL(
                """
                SELECT group_id, entity_id FROM ha_entity_group_entity_rel
                 WHERE group_id = ANY(%s) AND entity_id = ANY(%s)
                """,
                sorted({gid for c in classes for gid in c}),
                list(entity_ids),
            )
        )
        by_group = {}
        for group_id, entity_id in self.env.cr.fetchall():
            by_group.setdefault(group_id, set()).add(entity_id)
        for group_ids in classes:
            seen = set().union(*(by_group.get(gid, ()) for gid in group_ids))
            if seen:
                targets.append((self._ha_view_key(instance_id, group_ids), seen))
        return targets

    @api.model
    def _send_to_channel(self, key, notification_type, payload):
        self.env["bus.bus"]._sendone(self._ha_channel(key), notification_type, payload)

    @api.model
    def _broadcast_to_users(
        self, instance, notification_type, payload, entity_ids=None
    ):
        """Send ``payload`` to every user who may see ``instance``.

        With ``entity_ids`` (``ha.entity`` ids), only users who may see at least
        one of them receive it, and ``payload["entity_ids"]`` is narrowed to
        those. Returns the number of messages queued (sent on commit).
        """
        instance_id = instance.id if hasattr(instance, "id") else int(instance)
        payload = dict(payload, ha_instance_id=instance_id)
        payload.setdefault("timestamp", _now())
        targets = self._ha_targets(instance_id, entity_ids)
        for key, visible in targets:
            message = payload
            if entity_ids is not None:
                shown = entity_ids if visible is None else visible
                message = dict(payload, entity_ids=sorted(shown))
            self._send_to_channel(key, notification_type, message)
        return len(targets)

    # -- channel changes ------------------------------------------------------------

    @api.model
    def _ha_channels_changed(self, before):
        """Tell the users whose HA channels differ from ``before`` (``{user
        id: keys}``, from ``_ha_channel_keys`` ahead of a change) to ask for
        their channels again, and forget their authorizations cached here."""
        if not before:
            return
        self.env.flush_all()
        after = self._ha_channel_keys(list(before))
        changed = [uid for uid in before if before[uid] != after.get(uid)]
        if not changed:
            return
        dbname = self.env.cr.dbname
        with _authorized_lock:
            for uid in changed:
                _authorized.pop((dbname, uid), None)
        users = self.env["res.users"].sudo().with_context(active_test=False)
        for user in users.browse(changed).exists():
            user.partner_id._bus_send(CHANNELS_CHANGED, {"timestamp": _now()})

    # -- entity states --------------------------------------------------------------

    @api.model
    def notify_entity_state_change(self, instance, changes):
        """One ``ha_entity_state_changed`` message per class for a batch of changes.

        ``changes`` is a list of dicts with at least ``id`` (the ``ha.entity``
        id); each class receives only the entries its users may see.
        """
        if not changes:
            return 0
        instance_id = instance.id if hasattr(instance, "id") else int(instance)
        by_id = {change["id"]: change for change in changes}
        targets = self._ha_targets(instance_id, list(by_id))
        timestamp = _now()
        for key, visible in targets:
            items = (
                list(by_id.values())
                if visible is None
                else [by_id[i] for i in by_id if i in visible]
            )
            self._send_to_channel(
                key,
                "ha_entity_state_changed",
                {
                    "ha_instance_id": instance_id,
                    "changes": items,
                    "timestamp": timestamp,
                },
            )
        self.env["ha.portal"]._push_states(instance_id, by_id)
        return len(targets)

    @api.model
    def notify_entity_update_all(self, instance, stats=None):
        """After a full sync: clients reload the instance's entities."""
        return self._broadcast_to_users(
            instance, "ha_entity_update_all", {"stats": dict(stats or {})}
        )

    @api.model
    def notify_history_update(self, instance, entity_ids, count=None):
        """New history rows exist for ``entity_ids`` (``ha.entity`` ids)."""
        if not entity_ids:
            return 0
        return self._broadcast_to_users(
            instance,
            "ha_history_update",
            {"count": count},
            entity_ids=list(entity_ids),
        )

    # -- instance and registries ----------------------------------------------------

    @api.model
    def notify_ha_websocket_status(self, instance, status, message=None, **details):
        """``status``: connected, connecting, disconnected, reconnecting or error.

        ``details``: the status's other fields (``ha_version``, ``since``...),
        sent beside it. The web client shows ``status`` as is: a dict there
        once reached every dashboard badge as "[object Object]".
        """
        if not isinstance(status, str):
            raise TypeError(f"status must be a state string, not {status!r}")
        instance_id = instance.id if hasattr(instance, "id") else int(instance)
        name = self.env["ha.instance"].sudo().browse(instance_id).name
        return self._broadcast_to_users(
            instance_id,
            "ha_websocket_status",
            dict(details, status=status, message=message, instance_name=name),
        )

    @api.model
    def notify_device_registry_update(self, instance, action, device_ids=None):
        return self._broadcast_to_users(
            instance,
            "ha_device_registry_update",
            {"action": action, "device_ids": list(device_ids or [])},
        )

    @api.model
    def notify_area_registry_update(self, instance, action, area_ids=None):
        return self._broadcast_to_users(
            instance,
            "ha_area_registry_update",
            {"action": action, "area_ids": list(area_ids or [])},
        )

    # -- current instance (one user's tabs only) --------------------------------

    @api.model
    def notify_instance_invalidated(self, user, instance_id, reason):
        user.partner_id._bus_send(
            "ha_instance_invalidated",
            {"instance_id": instance_id, "reason": reason, "timestamp": _now()},
        )

    @api.model
    def notify_instance_fallback(
        self, user, from_instance_id, to_instance, fallback_type
    ):
        user.partner_id._bus_send(
            "ha_instance_fallback",
            {
                "from_instance_id": from_instance_id,
                "to_instance_id": to_instance.id if to_instance else False,
                "to_instance_name": to_instance.name if to_instance else False,
                "fallback_type": fallback_type,
                "user_id": user.id,
                "timestamp": _now(),
            },
        )

    @api.model
    def notify_instance_switched(self, user, instance):
        user.partner_id._bus_send(
            "ha_instance_switched",
            {
                "instance_id": instance.id,
                "instance_name": instance.name,
                "user_id": user.id,
                "timestamp": _now(),
            },
        )


def _remember(dbname, uid, keys):
    with _authorized_lock:
        if len(_authorized) > 10000:  # users who went away long ago
            now = time.monotonic()
            for cache_key in [k for k, v in _authorized.items() if v[0] <= now]:
                del _authorized[cache_key]
        _authorized[(dbname, uid)] = (time.monotonic() + AUTHORIZED_TTL, keys)
