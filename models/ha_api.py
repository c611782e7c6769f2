"""The logic behind the JSON routes of ``controllers/main.py``.

``ha.api`` runs as the calling user: record rules decide what is visible, and
every method validates its input and raises :class:`HaApiError` (a message and
an ``error_type``) for anything it rejects. Home Assistant is reached only
through ``ha.ws.request.queue._execute``; the caller's transaction is never
committed here.
"""

import math
import re
from datetime import datetime, timezone

from odoo import _, api, models
from odoo.tools import SQL

from .common import ha_errors

MANAGER_GROUP = "odoo_ha_addon.group_ha_manager"
USER_GROUP = "odoo_ha_addon.group_ha_user"
MAX_ID = 2**31 - 1
HA_TIMEOUT = 15.0
DOMAIN_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
ENTITY_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}\.[a-z0-9_]{1,200}$")


class HaApiError(Exception):
    """A rejected API call: ``message`` for people, ``error_type`` for code."""

    def __init__(self, message, error_type="validation_error", details=None):
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.details = details or {}

    def as_response(self):
        response = {
            "success": False,
            "error": self.message,
            "error_type": self.error_type,
        }
        if self.details:
            response["details"] = self.details
        return response


def iso(value):
    """A naive UTC datetime as ISO 8601 with ``Z``, or False."""
    return value.isoformat() + "Z" if value else False


class HaApi(models.AbstractModel):
    _name = "ha.api"
    _description = "Home Assistant JSON API"

    # -- input validation ---------------------------------------------------------

    @api.model
    def _check_ha_user(self):
        if not self.env.user.has_group(USER_GROUP):
            raise HaApiError(
                _("You have no access to Home Assistant."), "access_denied"
            )

    @api.model
    def _ha_is_manager(self):
        """True for the superuser and HA Managers."""
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    @api.model
    def _check_ha_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise HaApiError(
                _("Only Home Assistant managers may do this."), "access_denied"
            )

    @api.model
    def _to_id(self, value, name, allow_zero=False):
        """A database id from an int or a string of digits."""
        if isinstance(value, str) and value.isdigit() and len(value) <= 10:
            value = int(value)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < (0 if allow_zero else 1)
            or value > MAX_ID
        ):
            raise HaApiError(
                _("%(name)s must be a positive integer id.", name=name),
                details={"field": name},
            )
        return value

    @api.model
    def _to_str(self, value, name, pattern=None, max_len=255):
        if not isinstance(value, str) or not value or len(value) > max_len:
            raise HaApiError(
                _("%(name)s must be a non-empty string.", name=name),
                details={"field": name},
            )
        if pattern is not None and not pattern.match(value):
            raise HaApiError(
                _("%(name)s is not valid: %(value)s", name=name, value=value[:80]),
                details={"field": name},
            )
        return value

    @api.model
    def _to_str_list(self, value, name, pattern=None, max_items=200):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or len(value) > max_items:
            raise HaApiError(
                _(
                    "%(name)s must be a string or a list of 1 to %(max)s strings.",
                    name=name,
                    max=max_items,
                ),
                details={"field": name},
            )
        return list(dict.fromkeys(self._to_str(v, name, pattern) for v in value))

    @api.model
    def _to_entity_refs(self, value, name="entity_ids", max_items=1000):
        """Entity references: Odoo ids (ints) or HA entity ids (strings).

        Returns a domain on ``ha.entity``.
        """
        if isinstance(value, int | str) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not value or len(value) > max_items:
            raise HaApiError(
                _("%(name)s must be a non-empty list of ids.", name=name),
                details={"field": name},
            )
        if all(isinstance(v, str) and ENTITY_ID_RE.match(v) for v in value):
            return [("entity_id", "in", list(dict.fromkeys(value)))]
        return [("id", "in", [self._to_id(v, name) for v in value])]

    @api.model
    def _to_datetime(self, value, name, default):
        """A naive UTC datetime from an ISO 8601 string (offset or ``Z``)."""
        if value in (None, False, ""):
            return default
        if not isinstance(value, str) or len(value) > 40:
            raise HaApiError(
                _("%(name)s must be an ISO 8601 date-time.", name=name),
                details={"field": name},
            )
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except (ValueError, OverflowError, TypeError) as err:
            raise HaApiError(
                _("%(name)s must be an ISO 8601 date-time.", name=name),
                details={"field": name},
            ) from err
        return moment

    @api.model
    def _to_int(self, value, name, default, low, high):
        if value in (None, False):
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise HaApiError(
                _("%(name)s must be an integer.", name=name), details={"field": name}
            )
        return max(low, min(high, value))

    @staticmethod
    def _is_number(value):
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        )

    # -- instances ------------------------------------------------------------------

    @api.model
    def _validate_instance(self, instance_id, require_config=True):
        """The instance ``instance_id`` if the user may use it, else an error.

        ``instance_not_found`` (missing or invisible), ``instance_inactive``,
        ``instance_not_configured`` (naming the missing fields).
        """
        return self._validate_targets(instance_id, None, require_config)[0]

    @api.model
    def _validate_targets(self, instance_id, entity_ids, require_config=True):
        """``(instance, entities)``: the instance as :meth:`_validate_instance`
        and the active ``ha.entity`` records of it among the HA ``entity_ids``
        that the user may see (None without ``entity_ids``).

        One query for both, on every call path: the user's access rights and
        record rules make subqueries (``_search`` runs no SQL by itself) of a
        plain read of just the columns checked here; the token is manager-only,
        and only whether it is set is read.
        """
        instance_id = self._to_id(instance_id, "ha_instance_id")
        Instance = self.env["ha.instance"].with_context(active_test=False)
        visible = Instance._search([("id", "=", instance_id)])
        entities_sql = SQL("NULL")
        if entity_ids is not None:
            Entity = self.env["ha.entity"]
            targets = Entity._search(
                [("ha_instance_id", "=", instance_id), ("entity_id", "in", entity_ids)]
            )
            entities_sql = SQL("ARRAY%s", targets.subselect())
        self.env.cr.execute(
            SQL(
                """
                SELECT i.name, i.active, coalesce(i.api_url, '') <> '',
                       coalesce(i.api_token, '') <> '', %s
                  FROM ha_instance i
                 WHERE i.id = %s AND i.id IN %s
                """,
                entities_sql,
                instance_id,
                visible.subselect(),
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            raise HaApiError(
                _("Home Assistant instance %(id)s was not found.", id=instance_id),
                "instance_not_found",
                {"instance_id": instance_id},
            )
        name, active, has_url, has_token, target_ids = row
        if not active:
            raise HaApiError(
                _("Home Assistant instance %(name)s is archived.", name=name),
                "instance_inactive",
                {"instance_id": instance_id},
            )
        if require_config:
            missing = []
            if not has_url:
                missing.append("api_url")
            if not has_token:
                missing.append("api_token")
            if missing:
                labels = {"api_url": _("URL"), "api_token": _("access token")}
                raise HaApiError(
                    _(
                        "Home Assistant instance %(name)s is not configured: "
                        "missing %(fields)s.",
                        name=name,
                        fields=", ".join(labels[f] for f in missing),
                    ),
                    "instance_not_configured",
                    {"instance_id": instance_id, "missing_fields": missing},
                )
        instance = self.env["ha.instance"].browse(instance_id)
        if target_ids is None:
            return instance, None
        return instance, self.env["ha.entity"].browse(target_ids)

    @api.model
    def _usable_instance(self, instance_id):
        if not isinstance(instance_id, int) or isinstance(instance_id, bool):
            return None, "invalid"
        if not 0 < instance_id <= MAX_ID:
            return None, "invalid"
        instance = (
            self.env["ha.instance"].with_context(active_test=False).browse(instance_id)
        )
        if not instance.exists():
            return None, "not_found"
        if not instance.has_access("read"):
            return None, "access_denied"
        if not instance.active:
            return None, "inactive"
        return instance.with_context(active_test=True), None

    @api.model
    def _resolve_current_instance(self, session_instance_id=None):
        """The current instance: session value, then preference, then first.

        Returns ``(instance, session_value)``; the controller stores
        ``session_value`` in the session. When the session value or the
        preference is no longer usable, the user's own tabs are told
        (``ha_instance_invalidated`` / ``ha_instance_fallback``).
        """
        user = self.env.user
        realtime = self.env["ha.realtime.update"]
        previous = None
        if session_instance_id not in (None, False):
            instance, reason = self._usable_instance(session_instance_id)
            if instance:
                return instance, instance.id
            previous = (
                session_instance_id if isinstance(session_instance_id, int) else 0
            )
            realtime.notify_instance_invalidated(user, previous, reason)
        preference = user.current_ha_instance_id.id
        if preference:
            instance, _reason = self._usable_instance(preference)
            if instance:
                if previous is not None:
                    realtime.notify_instance_fallback(
                        user, previous, instance, "user_preference"
                    )
                return instance, instance.id
            previous = preference if previous is None else previous
        first = self.env["ha.instance"].search([], order="sequence, id", limit=1)
        if previous is not None:
            realtime.notify_instance_fallback(
                user, previous, first or None, "first_accessible"
            )
        return first, first.id or None

    @api.model
    def get_instances(self, current_instance_id=None):
        instances = self.env["ha.instance"].search([], order="sequence, id")
        return {
            "instances": [
                {
                    "id": instance.id,
                    "name": instance.name,
                    "api_url": instance.api_url,
                    "description": instance.description or "",
                    "is_active": instance.active,
                    "websocket_status": instance.websocket_status,
                    # Why it is not connected, shown on the dashboard.
                    "last_error": instance.ws_error or "",
                    "entity_count": instance.entity_count,
                    "area_count": instance.area_count,
                    "last_sync": iso(instance.last_sync_date),
                }
                for instance in instances
            ],
            "current_instance_id": current_instance_id or False,
        }

    @api.model
    def switch_instance(self, instance_id):
        """Make ``instance_id`` the user's current instance (preference too).

        Only the user's own tabs are told (``ha_instance_switched``).
        """
        instance = self._validate_instance(instance_id, require_config=False)
        # Self-write of a SELF_WRITEABLE_FIELDS field: allowed to every user.
        self.env["res.users"].browse(self.env.uid).write(
            {"current_ha_instance_id": instance.id}
        )
        self.env["ha.realtime.update"].notify_instance_switched(self.env.user, instance)
        return {
            "instance_id": instance.id,
            "instance_name": instance.name,
            "message": _("Switched to %(name)s.", name=instance.name),
        }

    # -- connection -------------------------------------------------------------------

    @api.model
    def websocket_status(self, instance):
        # sudo: only whether a token is set is reported, never the token
        has_token = bool(instance.sudo().api_token)
        status = instance.websocket_status
        return {
            "is_running": status == "connected",
            "status": status,
            "status_text": dict(
                instance._fields["websocket_status"]._description_selection(self.env)
            ).get(status, status),
            "config_synced": status == "connected",
            "current_url": instance.ws_url or "",
            "has_token": has_token,
            "ws_error": instance.ws_error or "",
            "ha_version": instance.ha_version or "",
            "since": iso(instance.ws_since),
            "instance_id": instance.id,
            "instance_name": instance.name,
        }

    @api.model
    def websocket_restart(self, instance, force=False):
        self._check_ha_manager()
        instance.action_restart_websocket()
        return {
            "message": _(
                "Restart asked for %(name)s: the connection is rebuilt within a "
                "few seconds.",
                name=instance.name,
            ),
            "force": bool(force),
        }

    @api.model
    def _ha_call(self, instance, payload, timeout=HA_TIMEOUT):
        """One command through the request queue (never a connection of ours)."""
        # sudo: the queue is system-only; the caller's rights were checked
        # before, and the payload is built here, never taken from the browser.
        return (
            self.env["ha.ws.request.queue"].sudo()._execute(instance, payload, timeout)
        )

    @api.model
    def _supervisor_call(self, instance, endpoint):
        """GET ``endpoint`` of the Supervisor's API, through HA.

        Only Home Assistant OS and Supervised installs have a Supervisor;
        elsewhere HA does not know the command, which is answered with a
        ``not_supported`` error the web client shows as such.
        """
        self._check_ha_manager()
        try:
            return self._ha_call(
                instance,
                {"type": "supervisor/api", "endpoint": endpoint, "method": "get"},
            )
        except ha_errors.HaCommandError as err:
            if err.code != "unknown_command":
                raise
            raise HaApiError(
                _(
                    "Not available on this installation type: this Home Assistant "
                    "has no Supervisor (only Home Assistant OS and Supervised "
                    "installations have one)."
                ),
                "not_supported",
            ) from err

    @api.model
    def hardware_info(self, instance):
        return self._supervisor_call(instance, "/hardware/info")

    @api.model
    def network_info(self, instance):
        return self._supervisor_call(instance, "/network/info")

    @api.model
    def ha_urls(self, instance):
        result = self._ha_call(instance, {"type": "network/url"}) or {}
        return {key: result.get(key) for key in ("internal", "external", "cloud")}
