import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "odoo_ha_addon.group_ha_manager"
USER_GROUP = "odoo_ha_addon.group_ha_user"


def _now():
    return fields.Datetime.now().isoformat() + "Z"


class HaRealtimeUpdate(models.Model):
    """Bus notifier: pushes Home Assistant changes to the users allowed to see them.

    Every push goes to a user's partner channel (auto-subscribed by the web
    client) and only to users who may see the instance and, for entity-level
    messages, the entities: HA Managers see everything, HA Users what their
    entity groups authorize. Payloads hold plain ids and values, never records.
    """

    _name = "ha.realtime.update"
    _inherit = ["bus.listener.mixin"]
    _description = "Home Assistant Real-Time Notifier"

    name = fields.Char()

    def _bus_channel(self):
        return self.env.user.partner_id

    # -- recipients ---------------------------------------------------------------

    @api.model
    def _ha_group_users(self):
        """``({user_id: partner_id} of HA Managers, same of HA Users)``, active.

        Implied groups are stored in ``res_groups_users_rel``, so managers are
        in both.
        """
        groups = [
            self.env.ref(xmlid, raise_if_not_found=False)
            for xmlid in (MANAGER_GROUP, USER_GROUP)
        ]
        ids = [group.id for group in groups if group]
        managers, users = {}, {}
        if not ids:
            return managers, users
        self.env.cr.execute(
            SQL(
                """
                SELECT u.id, u.partner_id, r.gid
                  FROM res_users u
                  JOIN res_groups_users_rel r ON r.uid = u.id
                 WHERE r.gid = ANY(%s) AND u.active
                """,
                ids,
            )
        )
        manager_gid = groups[0].id if groups[0] else None
        for user_id, partner_id, gid in self.env.cr.fetchall():
            (managers if gid == manager_gid else users)[user_id] = partner_id
        return managers, users

    @api.model
    def _ha_recipients(self, instance_id, entity_ids=None):
        """Who may see what: ``{partner_id: entity ids or None (= all)}``.

        Without ``entity_ids`` the instance decides (any active group of it);
        with them, each HA User gets the subset their active groups authorize.
        Two simple queries: a single six-table join spent ten times longer
        being planned than run, on every bus push.
        """
        self.env.flush_all()
        managers, users = self._ha_group_users()
        recipients = {partner_id: None for partner_id in managers.values()}
        query = """
            SELECT gu.user_id, ge.entity_id
              FROM ha_entity_group g
              JOIN ha_entity_group_user_rel gu ON gu.group_id = g.id
              LEFT JOIN ha_entity_group_entity_rel ge ON ge.group_id = g.id
             WHERE g.ha_instance_id = %(instance)s AND g.active
        """
        if entity_ids is not None:
            query += " AND ge.entity_id = ANY(%(entities)s)"
        self.env.cr.execute(
            SQL(query, instance=instance_id, entities=list(entity_ids or []))
        )
        visible = {}
        for user_id, entity_id in self.env.cr.fetchall():
            if user_id in managers or user_id not in users:
                continue
            seen = visible.setdefault(users[user_id], set())
            if entity_id:
                seen.add(entity_id)
        for partner_id, seen in visible.items():
            if entity_ids is None:
                recipients.setdefault(partner_id, None)
            elif seen:
                recipients.setdefault(partner_id, seen)
        return recipients

    @api.model
    def _send_to_partner(self, partner_id, notification_type, payload):
        self.env["res.partner"].browse(partner_id)._bus_send(notification_type, payload)

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
        recipients = self._ha_recipients(instance_id, entity_ids)
        for partner_id, visible in recipients.items():
            message = payload
            if entity_ids is not None and visible is not None:
                message = dict(payload, entity_ids=sorted(visible))
            elif entity_ids is not None:
                message = dict(payload, entity_ids=sorted(entity_ids))
            self._send_to_partner(partner_id, notification_type, message)
        return len(recipients)

    # -- entity states --------------------------------------------------------------

    @api.model
    def notify_entity_state_change(self, instance, changes):
        """One ``ha_entity_state_changed`` message per user for a batch of changes.

        ``changes`` is a list of dicts with at least ``id`` (the ``ha.entity``
        id); each user receives only the entries they may see.
        """
        if not changes:
            return 0
        instance_id = instance.id if hasattr(instance, "id") else int(instance)
        by_id = {change["id"]: change for change in changes}
        recipients = self._ha_recipients(instance_id, list(by_id))
        timestamp = _now()
        for partner_id, visible in recipients.items():
            items = (
                list(by_id.values())
                if visible is None
                else [by_id[i] for i in by_id if i in visible]
            )
            if items:
                self._send_to_partner(
                    partner_id,
                    "ha_entity_state_changed",
                    {
                        "ha_instance_id": instance_id,
                        "changes": items,
                        "timestamp": timestamp,
                    },
                )
        return len(recipients)

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
