"""JSON routes of the web client under ``/odoo_ha_addon/``.

Thin by design: each route checks the caller is an HA User, resolves the
instance, calls one ``ha.api`` method and returns ``{success: true, data}`` or
``{success: false, error, error_type}``. A rejected or failed call changes
nothing: its request's transaction is rolled back.
"""

import logging

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from ..models.common import ha_errors
from ..models.ha_api import HaApiError
from ..models.ha_remote_call import ha_error_text

_logger = logging.getLogger(__name__)

SESSION_KEY = "ha_current_instance_id"
HA_ERROR_KINDS = {
    ha_errors.HaAuthError: "auth",
    ha_errors.HaNotFoundError: "not_found",
    ha_errors.HaBadRequestError: "bad_request",
    ha_errors.HaUnreachableError: "unreachable",
    ha_errors.HaTimeoutError: "timeout",
    ha_errors.HaCommandError: "command",
    ha_errors.HaProtocolError: "protocol",
}


def route(path):
    return http.route(f"/odoo_ha_addon/{path}", type="json", auth="user")


class HaController(http.Controller):
    # -- plumbing ---------------------------------------------------------------

    @staticmethod
    def _standardize_response(result):
        """``{success, data}`` or ``{success: false, error, error_type}``."""
        if not isinstance(result, dict) or "success" not in result:
            return {"success": True, "data": result}
        if not result["success"]:
            result.setdefault("error", _("Unknown error"))
            result.setdefault("error_type", "unknown_error")
        return result

    def _get_current_instance(self, api):
        """Session value, then the user's preference, then the first accessible."""
        stored = request.session.get(SESSION_KEY)
        instance, value = api._resolve_current_instance(stored)
        if value != stored:
            if value:
                request.session[SESSION_KEY] = value
            else:
                request.session.pop(SESSION_KEY, None)
        if not instance:
            raise HaApiError(
                _("No Home Assistant instance is available to you."), "no_instance"
            )
        return instance

    def _instance(self, api, ha_instance_id, require_config=True):
        if ha_instance_id in (None, False, ""):
            instance = self._get_current_instance(api)
            if require_config:
                api._validate_instance(instance.id, require_config=True)
            return instance
        return api._validate_instance(ha_instance_id, require_config)

    def _instance_id(self, api, ha_instance_id):
        """The id given or the current instance's, for a callee that validates it."""
        if ha_instance_id in (None, False, ""):
            return self._get_current_instance(api).id
        return ha_instance_id

    def _run(self, extra, call):
        """Run ``call(api)`` and shape the answer; a failed call changes nothing.

        The request's transaction holds nothing but this call's work, so a
        failure rolls it back whole (cheaper than a savepoint on every call).
        """
        try:
            if extra:
                raise HaApiError(
                    _("Unknown parameters: %(names)s", names=", ".join(sorted(extra))),
                    details={"fields": sorted(extra)[:20]},
                )
            api = request.env["ha.api"]
            api._check_ha_user()
            data = call(api)
            request.env.flush_all()  # constraint errors surface here, typed
        except Exception as err:  # noqa: BLE001 - every failure gets an answer
            request.env.cr.rollback()
            return self._standardize_response(self._error_response(err))
        return self._standardize_response({"success": True, "data": data})

    @staticmethod
    def _error_response(err):
        if isinstance(err, HaApiError):
            return err.as_response()
        if isinstance(err, ha_errors.HaError):
            kind = next(
                (k for cls, k in HA_ERROR_KINDS.items() if isinstance(err, cls)),
                "error",
            )
            return {
                "success": False,
                "error": ha_error_text(request.env, err),
                "error_type": "ha_error",
                "details": {"kind": kind, "code": err.code},
            }
        if isinstance(err, AccessError):
            return {
                "success": False,
                "error": _("You are not allowed to do this."),
                "error_type": "access_denied",
            }
        if isinstance(err, MissingError):
            return {
                "success": False,
                "error": _("The record does not exist any more."),
                "error_type": "not_found",
            }
        if isinstance(err, UserError | ValidationError):
            return {
                "success": False,
                "error": str(err),
                "error_type": "validation_error",
            }
        _logger.error("Home Assistant API call failed", exc_info=err)
        return {
            "success": False,
            "error": _("Internal error, see the server log."),
            "error_type": "system_error",
        }

    # -- instances and connection ----------------------------------------------------

    @route("get_instances")
    def get_instances(self, **extra):
        return self._run(
            extra, lambda api: api.get_instances(self._get_current_id(api))
        )

    def _get_current_id(self, api):
        try:
            return self._get_current_instance(api).id
        except HaApiError:
            return False

    @route("switch_instance")
    def switch_instance(self, instance_id=None, **extra):
        def call(api):
            data = api.switch_instance(instance_id)
            request.session[SESSION_KEY] = data["instance_id"]
            return data

        return self._run(extra, call)

    @route("websocket_status")
    def websocket_status(self, ha_instance_id=None, **extra):
        return self._run(
            extra,
            lambda api: api.websocket_status(
                self._instance(api, ha_instance_id, require_config=False)
            ),
        )

    @route("websocket_restart")
    def websocket_restart(self, ha_instance_id=None, force=False, **extra):
        def call(api):
            api._check_ha_manager()
            return api.websocket_restart(
                self._instance(api, ha_instance_id), force=force is True
            )

        return self._run(extra, call)

    @route("hardware_info")
    def hardware_info(self, ha_instance_id=None, **extra):
        return self._run(
            extra, lambda api: api.hardware_info(self._instance(api, ha_instance_id))
        )

    @route("network_info")
    def network_info(self, ha_instance_id=None, **extra):
        return self._run(
            extra, lambda api: api.network_info(self._instance(api, ha_instance_id))
        )

    @route("ha_urls")
    def ha_urls(self, ha_instance_id=None, **extra):
        return self._run(
            extra, lambda api: api.ha_urls(self._instance(api, ha_instance_id))
        )

    # -- the mirror --------------------------------------------------------------------

    @route("areas")
    def areas(self, ha_instance_id=None, **extra):
        return self._run(
            extra,
            lambda api: api.get_areas(self._instance(api, ha_instance_id, False)),
        )

    @route("entities_by_area")
    def entities_by_area(self, area_id=None, ha_instance_id=None, **extra):
        return self._run(
            extra,
            lambda api: api.entities_by_area(
                self._instance(api, ha_instance_id, False), area_id
            ),
        )

    @route("area_dashboard_data")
    def area_dashboard_data(self, area_id=None, ha_instance_id=None, **extra):
        return self._run(
            extra,
            lambda api: api.area_dashboard_data(
                self._instance(api, ha_instance_id, False), area_id
            ),
        )

    @route("ha_data")
    def ha_data(
        self, domain=None, area_id=None, entity_ids=None, ha_instance_id=None, **extra
    ):
        return self._run(
            extra,
            lambda api: api.ha_data(
                self._instance(api, ha_instance_id, False),
                domain=domain,
                area_id=area_id,
                entity_ids=entity_ids,
            ),
        )

    @route("glances_devices")
    def glances_devices(self, ha_instance_id=None, **extra):
        return self._run(
            extra,
            lambda api: api.glances_devices(self._instance(api, ha_instance_id, False)),
        )

    @route("glances_device_entities")
    def glances_device_entities(self, device_id=None, ha_instance_id=None, **extra):
        return self._run(
            extra,
            lambda api: api.glances_device_entities(
                self._instance(api, ha_instance_id, False), device_id
            ),
        )

    @route("history")
    def history(
        self,
        entity_ids=None,
        start_time=None,
        end_time=None,
        max_points=None,
        ha_instance_id=None,
        **extra,
    ):
        return self._run(
            extra,
            lambda api: api.history(
                self._instance(api, ha_instance_id, False),
                entity_ids,
                start_time=start_time,
                end_time=end_time,
                max_points=max_points,
            ),
        )

    # -- asking Home Assistant -----------------------------------------------------

    @route("entity_related")
    def entity_related(self, entity_id=None, ha_instance_id=None, **extra):
        return self._run(
            extra,
            lambda api: api.entity_related(
                self._instance(api, ha_instance_id), entity_id
            ),
        )

    @route("statistics")
    def statistics(
        self,
        statistic_ids=None,
        start_time=None,
        end_time=None,
        period=None,
        types=None,
        ha_instance_id=None,
        **extra,
    ):
        return self._run(
            extra,
            lambda api: api.statistics(
                self._instance(api, ha_instance_id),
                statistic_ids,
                start_time=start_time,
                end_time=end_time,
                period=period,
                types=types,
            ),
        )

    @route("camera_snapshot")
    def camera_snapshot(self, entity_id=None, ha_instance_id=None, **extra):
        return self._run(
            extra,
            lambda api: api.camera_snapshot(
                self._instance(api, ha_instance_id), entity_id
            ),
        )

    @route("call_service")
    def call_service(
        self,
        domain=None,
        service=None,
        service_data=None,
        ha_instance_id=None,
        **extra,
    ):
        return self._run(
            extra,
            lambda api: api.call_service(
                self._instance_id(api, ha_instance_id), domain, service, service_data
            ),
        )
