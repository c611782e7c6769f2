"""``ha.portal``: the rules behind the portal pages of shared Home Assistant data.

The portal controllers only parse requests and render: what a user may see or
control, the payloads they get and the service calls they may make are decided
here, from ``ha.entity.share`` alone (portal users have no access to the HA
models themselves; every read is sudo after the share check). Home Assistant is
reached through ``ha.api``'s request-queue path, which never commits the
caller's transaction.
"""

from odoo import _, api, models, tools

from .ha_api import HaApiError, iso
from .ha_api_service import ALLOWED_SERVICES
from .ha_entity_share import strongest

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
        result = []
        for instance in Share.get_shares_for_user().ha_instance_id.sorted("name"):
            if not instance.active:
                continue
            result.append(
                {
                    "instance": instance,
                    "entity_count": len(Share._entity_permissions(instance=instance)),
                    "group_count": len(
                        Share.get_shared_groups_for_user(instance=instance)
                    ),
                    "device_count": len(
                        Share.get_shared_devices_for_user(instance=instance)
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
        return {
            "id": entity.id,
            "entity_id": entity.entity_id,
            "name": entity.name or entity.entity_id,
            "domain": entity.domain,
            "entity_state": entity.entity_state,
            "state": entity.entity_state,
            "last_changed": iso(entity.last_changed),
            "last_updated": iso(entity.last_updated),
            "area": entity.display_area_id.name or False,
            "device": entity.device_id.display_name or False,
            "attributes": filter_attributes(entity.attributes),
            "permission": permission,
            "can_control": permission == "control"
            and entity.domain in PORTAL_CONTROL_SERVICES,
        }

    @api.model
    def _members_payload(self, entities, permission):
        """Payloads of a group's or device's active entities: each with the
        strongest of ``permission`` and the user's other shares on it."""
        others = self.env["ha.entity.share"]._entity_permissions()
        return [
            self._entity_payload(entity, strongest(permission, others.get(entity.id)))
            for entity in entities.filtered("active").sorted(
                lambda e: (e.name or e.entity_id).lower()
            )
        ]

    @api.model
    def state(self, kind, record_id, instance_id=None):
        """The ``/state`` payload of a shared entity, group or device."""
        record, permission = self._resolve(kind, record_id, instance_id)
        if kind == "entity":
            return self._entity_payload(record, permission)
        payload = {
            "id": record.id,
            "name": record.display_name,
            "permission": permission,
            "entities": self._members_payload(record.entity_ids, permission),
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
        api_model._ha_call(
            instance,
            {
                "type": "call_service",
                "domain": domain,
                "service": service,
                "service_data": data,
                "target": {"entity_id": [entity.entity_id]},
            },
        )
        return self._entity_payload(entity, permission)

    # -- live updates: who shares what ---------------------------------------------

    @api.model
    @tools.ormcache("instance_id")
    def _shared_entity_users(self, instance_id):
        """``{ha.entity id: ((user id, expiry or None), ...)}`` of an instance:
        every share path, expired or not (the expiry is checked on use)."""
        Share = self.env["ha.entity.share"].sudo()
        found = {}
        for share in Share.search([("ha_instance_id", "=", instance_id)]):
            grant = (share.user_id.id, share.expiry_date or None)
            for entity_id in self._share_entity_ids(share):
                found.setdefault(entity_id, set()).add(grant)
        return {entity_id: tuple(grants) for entity_id, grants in found.items()}

    @api.model
    def _share_entity_ids(self, share):
        if share.entity_id:
            return share.entity_id.ids
        if share.group_id:
            return share.group_id.entity_ids.ids if share.group_id.active else []
        return share.device_id.entity_ids.ids if share.device_id.active else []

    @api.model
    def _shares_changed(self, instances):
        """Forget the cached share map (every process) after a share change."""
        if instances:
            self.env.registry.clear_cache()
