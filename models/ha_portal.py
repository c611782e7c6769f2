"""``ha.portal``: the rules behind the portal pages of shared Home Assistant data.

The portal controllers only parse requests and render: what a user may see or
control, the payloads they get and the service calls they may make are decided
here, from ``ha.entity.share`` alone (portal users have no access to the HA
models themselves; every read is sudo after the share check). Home Assistant is
reached through ``ha.api``'s request-queue path, which never commits the
caller's transaction.
"""

import json

from odoo import _, api, fields, models, tools
from odoo.tools import SQL

from .ha_api import HaApiError
from .ha_api_data import entity_dict
from .ha_api_service import ALLOWED_SERVICES
from .ha_entity_share import strongest
from .ha_realtime_update import PORTAL_STATE, portal_key

# Domains a control share may act on, with the services of ha.api's allow-list.
# Read-only domains (sensor, binary_sensor, weather, device_tracker, person,
# calendar, event, camera) are absent; so is tts, whose speak service acts on
# a second entity that the share does not name.
PORTAL_CONTROL_DOMAINS = (
    "alarm_control_panel",
    "automation",
    "button",
    "climate",
    "counter",
    "cover",
    "date",
    "datetime",
    "fan",
    "humidifier",
    "input_boolean",
    "input_button",
    "input_datetime",
    "input_number",
    "input_select",
    "input_text",
    "lawn_mower",
    "light",
    "lock",
    "media_player",
    "number",
    "remote",
    "scene",
    "script",
    "select",
    "siren",
    "switch",
    "text",
    "time",
    "timer",
    "todo",
    "update",
    "vacuum",
    "valve",
    "water_heater",
)
PORTAL_CONTROL_SERVICES = {
    domain: ALLOWED_SERVICES[domain] for domain in PORTAL_CONTROL_DOMAINS
}
# Attributes never shown on the portal: credentials, network identity and
# location. Keys are matched lower-cased, exactly or by the fragments below.
HIDDEN_ATTRIBUTES = frozenset(
    {
        "access_token",
        "token",
        "api_key",
        "password",
        "secret",
        "ip_address",
        "mac_address",
        "network_key",
        "host",
        "latitude",
        "longitude",
        "gps",
        "gps_accuracy",
        "altitude",
        "location",
        "entity_picture",
        "entity_picture_local",
        "media_image_url",
    }
)
HIDDEN_FRAGMENTS = ("token", "password", "secret", "api_key", "latitude", "longitude")
KINDS = {"entity": "ha.entity", "group": "ha.entity.group", "device": "ha.device"}


class PortalAccessError(Exception):
    """``not_found`` (unknown or not shared) or ``expired`` (only expired
    shares reach the record): the portal answers 404 or 403."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def attribute_text(value):
    """An attribute's value as a person reads it: lists joined, objects as
    JSON, nothing for null (never Python's repr)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(attribute_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def filter_attributes(attributes):
    """``attributes`` without secrets and locations."""
    if not isinstance(attributes, dict):
        return {}
    shown = {}
    for key, value in attributes.items():
        lowered = str(key).lower()
        if lowered in HIDDEN_ATTRIBUTES or any(
            fragment in lowered for fragment in HIDDEN_FRAGMENTS
        ):
            continue
        shown[key] = value
    return shown


class HaPortal(models.AbstractModel):
    _name = "ha.portal"
    _description = "Home Assistant Portal"

    # -- access -----------------------------------------------------------------

    @api.model
    def _resolve(self, kind, record_id, instance_id=None):
        """``(record (sudo), permission)`` of the current user on the ``kind``
        record ``record_id`` of ``instance_id``; PortalAccessError otherwise."""
        model = KINDS.get(kind)
        if not model or not isinstance(record_id, int) or record_id <= 0:
            raise PortalAccessError("not_found")
        record = (
            self.env[model].sudo().with_context(active_test=False).browse(record_id)
        )
        if not record.exists() or (
            instance_id is not None and record.ha_instance_id.id != instance_id
        ):
            raise PortalAccessError("not_found")
        access = self.env["ha.entity.share"]._access(record)
        if access is None:
            raise PortalAccessError("not_found")
        if access == "expired":
            raise PortalAccessError("expired")
        return record.with_context(active_test=True), access

    @api.model
    def _shared_instances(self):
        """``[{instance, entity_count, group_count, device_count}]`` of the
        instances where the user has non-expired shares, by name."""
        Share = self.env["ha.entity.share"]
        shares = Share.get_shares_for_user()  # read once for every count
        by_instance = shares.grouped("ha_instance_id")
        result = []
        for instance in shares.ha_instance_id.sorted("name"):
            if not instance.active:
                continue
            mine = by_instance[instance]
            result.append(
                {
                    "instance": instance,
                    "entity_count": len(Share._entity_permissions(shares=mine)),
                    "group_count": len(
                        Share._target_permissions("group_id", shares=mine)
                    ),
                    "device_count": len(
                        Share._target_permissions("device_id", shares=mine)
                    ),
                }
            )
        return result

    @api.model
    def _instance(self, instance_id):
        """The instance (sudo) if the user has non-expired shares in it."""
        Share = self.env["ha.entity.share"]
        instance = self.env["ha.instance"].sudo().browse(instance_id).exists()
        if not instance or not instance.active:
            raise PortalAccessError("not_found")
        if not Share.get_shares_for_user(instance=instance):
            live = Share._user_shares(instance=instance, include_expired=True)
            raise PortalAccessError("expired" if live else "not_found")
        return instance

    @api.model
    def _share_count(self):
        return (
            self.env["ha.entity.share"]
            .sudo()
            .search_count([("user_id", "=", self.env.uid), ("is_expired", "=", False)])
        )

    # -- payloads ---------------------------------------------------------------

    @api.model
    def _entity_payload(self, entity, permission):
        payload = entity_dict(entity)
        # Record ids of the area and device would name records not shared.
        del payload["area_id"], payload["device_id"]
        payload.update(
            state=entity.entity_state,
            area=entity.display_area_id.name or False,
            device=entity.device_id.display_name or False,
            attributes=filter_attributes(entity.attributes),
            permission=permission,
            can_control=permission == "control"
            and entity.domain in PORTAL_CONTROL_SERVICES,
        )
        return payload

    @api.model
    def _members_payload(self, entities, permission, instance):
        """Payloads of a group's or device's active entities: each with the
        strongest of ``permission`` and the user's other shares on it."""
        others = self.env["ha.entity.share"]._entity_permissions(instance=instance)
        return [
            self._entity_payload(entity, strongest(permission, others.get(entity.id)))
            for entity in entities.filtered("active").sorted(
                lambda e: (e.name or e.entity_id).lower()
            )
        ]

    @api.model
    def state(self, kind, record_id, instance_id=None):
        """The ``/state`` payload of a shared entity, group or device."""
        return self._state_payload(kind, *self._resolve(kind, record_id, instance_id))

    @api.model
    def _state_payload(self, kind, record, permission):
        """The ``/state`` payload of ``record``, resolved for the user."""
        if kind == "entity":
            return self._entity_payload(record, permission)
        payload = {
            "id": record.id,
            "name": record.display_name,
            "permission": permission,
            "entities": self._members_payload(
                record.entity_ids, permission, record.ha_instance_id
            ),
        }
        if kind == "device":
            payload.update(
                manufacturer=record.manufacturer or False,
                model=record.model or False,
                area=record.area_id.name or False,
            )
        return payload

    # -- control -----------------------------------------------------------------

    @api.model
    def call_service(self, entity_record_id, instance_id, domain, service, data):
        """Call ``domain.service`` on a shared entity; HaApiError when refused.

        Needs a control share on a path to the entity; the service must be of
        the entity's own domain and in PORTAL_CONTROL_SERVICES; the data
        cannot name another target (the entity is the URL's, whatever the
        data says).
        """
        entity, permission = self._resolve("entity", entity_record_id, instance_id)
        if permission != "control":
            raise HaApiError(_("You may only view this entity."), "access_denied")
        if domain != entity.domain:
            raise HaApiError(
                _(
                    "%(entity)s is not a %(domain)s entity.",
                    entity=entity.entity_id,
                    domain=str(domain)[:64],
                ),
                "domain_denied",
            )
        if data in (None, False):
            data = {}
        if isinstance(data, dict):
            data = dict(data, entity_id=entity.entity_id)
        api_model = self.env["ha.api"].sudo()
        domain, service, _ids, data, _linked = api_model._service_target(
            domain, service, data
        )
        if service not in PORTAL_CONTROL_SERVICES.get(domain, ()):
            raise HaApiError(
                _(
                    "%(domain)s.%(service)s may not be called from the portal.",
                    domain=domain,
                    service=service,
                ),
                "service_denied",
            )
        instance = api_model._validate_instance(entity.ha_instance_id.id)
        data = api_model._clamp_data(domain, data, entity)
        requested_at = fields.Datetime.now()
        # The audit trail: as the portal user (sudo keeps the caller's uid).
        api_model._ha_call_logged(
            instance,
            entity,
            domain,
            service,
            data,
            "portal",
            requested_at,
            [entity.entity_id],
        )
        return self._entity_payload(entity, permission)

    # -- live updates: who shares what ---------------------------------------------

    @api.model
    @tools.ormcache("instance_id")
    def _share_grants(self, instance_id):
        """The shares of an instance as ``(by entity, by group, by device)``,
        each ``{record id: ((user id, expiry or None), ...)}`` (expired ones
        included: the expiry is checked on use). Cached per process; every
        share change clears it."""
        by_target = ({}, {}, {})
        Share = self.env["ha.entity.share"].sudo()
        for share in Share.search([("ha_instance_id", "=", instance_id)]):
            grant = (share.user_id.id, share.expiry_date or None)
            for index, field in enumerate(("entity_id", "group_id", "device_id")):
                if share[field]:
                    by_target[index].setdefault(share[field].id, []).append(grant)
        return tuple(
            {key: tuple(grants) for key, grants in found.items()} for found in by_target
        )

    @api.model
    def _portal_recipients(self, instance_id, entity_ids):
        """``{user id: {ha.entity id}}``: who gets a push about which of
        ``entity_ids``, by their non-expired shares. Nothing is read for an
        instance without shares; group and device shares cost one query."""
        by_entity, by_group, by_device = self._share_grants(instance_id)
        if not (by_entity or by_group or by_device):
            return {}
        paths = {eid: list(by_entity.get(eid, ())) for eid in entity_ids}
        if by_group or by_device:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT e.id, CASE WHEN d.active THEN e.device_id END,
                           ARRAY(SELECT r.group_id
                                   FROM ha_entity_group_entity_rel r
                                   JOIN ha_entity_group g
                                     ON g.id = r.group_id AND g.active
                                  WHERE r.entity_id = e.id
                                    AND r.group_id = ANY(%s))
                      FROM ha_entity e
                      LEFT JOIN ha_device d ON d.id = e.device_id
                     WHERE e.id = ANY(%s)
                    """,
                    list(by_group),
                    list(entity_ids),
                )
            )
            for eid, device_id, group_ids in self.env.cr.fetchall():
                paths[eid].extend(by_device.get(device_id, ()))
                for group_id in group_ids:
                    paths[eid].extend(by_group.get(group_id, ()))
        now = fields.Datetime.now()
        recipients = {}
        for eid, grants in paths.items():
            for uid, expiry in grants:
                if expiry is None or expiry > now:
                    recipients.setdefault(uid, set()).add(eid)
        return recipients

    @api.model
    def _push_states(self, instance_id, by_id):
        """Send each portal user the changes (``{ha.entity id: bus change}``)
        of the entities shared with them, attributes filtered, on their own
        channel of the instance."""
        recipients = self._portal_recipients(instance_id, list(by_id))
        if not recipients:
            return 0
        notifier = self.env["ha.realtime.update"]
        shown = {}
        for uid, entity_ids in recipients.items():
            items = []
            for eid in sorted(entity_ids):
                if eid not in shown:
                    change = by_id[eid]
                    shown[eid] = dict(
                        change, attributes=filter_attributes(change.get("attributes"))
                    )
                items.append(shown[eid])
            notifier._send_to_channel(
                portal_key(instance_id, uid),
                PORTAL_STATE,
                {"ha_instance_id": instance_id, "changes": items},
            )
        return len(recipients)

    @api.model
    def _portal_channel_keys(self, user_ids):
        """``{user id: {channel key}}``: a portal channel per instance where
        the user has a non-expired share."""
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT user_id, ha_instance_id FROM ha_entity_share
                 WHERE user_id = ANY(%s) AND ha_instance_id IS NOT NULL
                   AND (expiry_date IS NULL OR expiry_date > %s)
                """,
                list(user_ids),
                fields.Datetime.now(),
            )
        )
        keys = {}
        for uid, instance_id in self.env.cr.fetchall():
            keys.setdefault(uid, set()).add(portal_key(instance_id, uid))
        return keys

    @api.model
    def _shares_changed(self, before):
        """After a share change: forget the cached share maps (every process,
        and again if the transaction rolls back) and tell the users whose
        portal channels changed to ask for them again."""
        self.env.registry.clear_cache()
        self.env.cr.postrollback.add(self.env.registry.clear_cache)
        self.env["ha.realtime.update"]._ha_channels_changed(before)
