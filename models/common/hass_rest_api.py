"""Pure REST client for Home Assistant (no ``odoo`` import).

Covers the few REST endpoints the addon needs: the API
check, configuration, states, service calls, services, history and camera
snapshots.  Everything streaming lives in :mod:`.hass_websocket_service`.

Rules kept by this module:

* every request carries a timeout; there is no way to send one without;
* failures raise the typed errors of :mod:`.ha_errors`, with messages a user
  understands and that never contain the token;
* logs name the method, path and status only, never bodies or headers.
"""

import logging
import re
import time
from urllib.parse import quote, urlsplit

import requests

from .ha_errors import (
    HaAuthError,
    HaBadRequestError,
    HaCommandError,
    HaNotFoundError,
    HaProtocolError,
    HaTimeoutError,
    HaUnreachableError,
    _lt,
)
from .hass_ws_commands import iso_time

_logger = logging.getLogger(__name__)

__all__ = ["HassRestApi"]

# Entity ids, domains and services go into URL paths: accept only HA's syntax.
_SLUG_RE = re.compile(r"^[a-z0-9_]+$")
_ENTITY_ID_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
# A camera snapshot larger than this is refused (it is sent to the browser).
CAMERA_MAX_BYTES = 5 * 1024 * 1024


def _check_timeout(timeout):
    """Return ``timeout`` if it is a positive number or a (connect, read) pair."""
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    if not values or len(values) > 2:
        raise ValueError("timeout must be a number or a (connect, read) pair")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("a timeout is mandatory for Home Assistant requests")
        if value <= 0:
            raise ValueError("timeout must be positive")
    return timeout


def _ha_message(response):
    """The ``message`` of an HA JSON error body, or a short text body."""
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:200]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return ""


class HassRestApi:
    """Blocking REST client bound to one Home Assistant instance.

    :param base_url: e.g. ``http://homeassistant.local:8123`` (no ``/api``).
    :param token: long-lived access token.
    :param timeout: default timeout in seconds (or a ``(connect, read)`` pair)
        for every request; a per-call ``timeout`` may override it, never drop it.
    :param session: optional ``requests.Session`` to reuse; it is not closed by
        :meth:`close` when given.
    """

    def __init__(self, base_url, token, *, timeout=10, session=None):
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must look like http://host:8123")
        if not token or not isinstance(token, str):
            raise ValueError("an access token is required")
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.timeout = _check_timeout(timeout)
        self._token = token
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()

    def __repr__(self):
        return f"<HassRestApi {self.base_url}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Close the HTTP session if this client created it."""
        if self._own_session:
            self.session.close()

    # ------------------------------------------------------------------ core

    def request(self, method, path, *, params=None, json=None, timeout=None):
        """Send one request to ``/api/...`` and return the decoded JSON body.

        ``path`` starts after the base URL, e.g. ``/api/config``.
        """
        response = self._send(method, path, params=params, json=json, timeout=timeout)
        try:
            return response.json()
        except ValueError as err:
            raise HaProtocolError(
                _lt(
                    "%(url)s answered %(request)s with a non-JSON body; is this "
                    "really Home Assistant?"
                ),
                status=response.status_code,
                params={"url": self.base_url, "request": f"{method} {path}"},
            ) from err

    def _send(
        self,
        method,
        path,
        *,
        params=None,
        json=None,
        timeout=None,
        accept="application/json",
    ):
        """Send one request and return the checked :class:`requests.Response`."""
        timeout = _check_timeout(self.timeout if timeout is None else timeout)
        url = self.base_url + path
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": accept,
        }
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.exceptions.Timeout as err:
            raise HaTimeoutError(
                _lt(
                    "Home Assistant at %(url)s did not answer %(request)s within "
                    "%(timeout)s s."
                ),
                code="timeout",
                params={
                    "url": self.base_url,
                    "request": f"{method} {path}",
                    "timeout": timeout,
                },
            ) from err
        except requests.exceptions.RequestException as err:
            raise HaUnreachableError(
                _lt(
                    "Cannot reach Home Assistant at %(url)s (%(reason)s). Check the "
                    "URL and that it is running."
                ),
                params={"url": self.base_url, "reason": type(err).__name__},
            ) from err
        _logger.debug(
            "%s %s -> %s in %.3f s",
            method,
            path,
            response.status_code,
            time.monotonic() - started,
        )
        self._raise_for_status(response, method, path)
        return response

    def _raise_for_status(self, response, method, path):
        status = response.status_code
        if 200 <= status < 300:
            return
        # HA's own message (``detail``) is appended as HA wrote it.
        message = _ha_message(response)
        params = {
            "url": self.base_url,
            "request": f"{method} {path}",
            "status": status,
            "detail": f": {message}" if message else "",
        }
        if status == 401:
            raise HaAuthError(
                _lt(
                    "Home Assistant at %(url)s rejected the access token (HTTP "
                    "401). Create a new long-lived token in your HA profile."
                ),
                code="http_401",
                status=status,
                params=params,
            )
        if status == 403:
            raise HaAuthError(
                _lt(
                    "Home Assistant at %(url)s refused access (HTTP 403). This "
                    "address may be banned after failed logins; an HA "
                    "administrator must lift the ban."
                ),
                code="http_403",
                status=status,
                params=params,
            )
        if status == 404:
            raise HaNotFoundError(
                _lt(
                    "Home Assistant at %(url)s found nothing at %(request)s (HTTP "
                    "404)%(detail)s"
                ),
                code="http_404",
                status=status,
                params=params,
            )
        if status == 400:
            raise HaBadRequestError(
                _lt(
                    "Home Assistant at %(url)s rejected %(request)s (HTTP "
                    "400)%(detail)s"
                ),
                code="http_400",
                status=status,
                params=params,
            )
        if status in (502, 503, 504):
            raise HaUnreachableError(
                _lt(
                    "Home Assistant at %(url)s is not available (HTTP %(status)s); "
                    "it may be starting or shutting down."
                ),
                code=f"http_{status}",
                status=status,
                params=params,
            )
        if 300 <= status < 400:
            raise HaProtocolError(
                _lt(
                    "Home Assistant at %(url)s redirected %(request)s (HTTP "
                    "%(status)s); check the URL (no trailing /api, right scheme)."
                ),
                code=f"http_{status}",
                status=status,
                params=params,
            )
        raise HaCommandError(
            _lt(
                "Home Assistant at %(url)s failed on %(request)s (HTTP "
                "%(status)s)%(detail)s"
            ),
            code=f"http_{status}",
            status=status,
            params=params,
        )

    # -------------------------------------------------------------- endpoints

    def ping(self, *, timeout=None):
        """Check the API and the token: ``GET /api/``.

        Returns HA's message (``"API running."``); raises
        :class:`HaProtocolError` if the answer does not look like Home Assistant.
        """
        body = self.request("GET", "/api/", timeout=timeout)
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            raise HaProtocolError(
                _lt("%(url)s/api/ did not answer like Home Assistant."),
                params={"url": self.base_url},
            )
        return body["message"]

    check = ping

    def get_config(self, *, timeout=None):
        """``GET /api/config``: the core configuration (``version``, ``state``…)."""
        return self._expect(dict, self.request("GET", "/api/config", timeout=timeout))

    def get_states(self, *, timeout=None):
        """``GET /api/states``: the list of every state object."""
        return self._expect(list, self.request("GET", "/api/states", timeout=timeout))

    def get_state(self, entity_id, *, timeout=None):
        """``GET /api/states/<entity_id>``; :class:`HaNotFoundError` if unknown."""
        if not isinstance(entity_id, str) or not _ENTITY_ID_RE.match(entity_id):
            raise HaBadRequestError(
                _lt("Invalid entity id %(entity_id)r."), params={"entity_id": entity_id}
            )
        path = f"/api/states/{entity_id}"
        return self._expect(dict, self.request("GET", path, timeout=timeout))

    def get_services(self, *, timeout=None):
        """``GET /api/services``: ``[{"domain": ..., "services": {...}}, ...]``."""
        return self._expect(list, self.request("GET", "/api/services", timeout=timeout))

    def call_service(
        self,
        domain,
        service,
        service_data=None,
        *,
        return_response=False,
        timeout=None,
    ):
        """``POST /api/services/<domain>/<service>``.

        ``service_data`` holds the fields and the target (``entity_id``,
        ``area_id``…).  Returns the list of changed states, or with
        ``return_response`` a dict ``{"changed_states", "service_response"}``.
        """
        for name, value in (("domain", domain), ("service", service)):
            if not isinstance(value, str) or not _SLUG_RE.match(value):
                raise HaBadRequestError(
                    _lt("Invalid service %(name)s %(value)r."),
                    params={"name": name, "value": value},
                )
        params = {"return_response": ""} if return_response else None
        return self.request(
            "POST",
            f"/api/services/{domain}/{service}",
            params=params,
            json=service_data or {},
            timeout=timeout,
        )

    def get_history(
        self,
        start_time,
        entity_ids,
        *,
        end_time=None,
        minimal_response=False,
        no_attributes=False,
        significant_changes_only=True,
        include_start_time_state=True,
        timeout=None,
    ):
        """``GET /api/history/period/<start>``.

        Returns HA's list of lists of states (one inner list per entity with
        data; key them by their first item's ``entity_id``, not by position).
        """
        if isinstance(entity_ids, str):
            entity_ids = [entity_ids]
        entity_ids = list(entity_ids or ())
        if not entity_ids:
            raise HaBadRequestError(_lt("History needs at least one entity id."))
        params = {"filter_entity_id": ",".join(entity_ids)}
        if end_time is not None:
            params["end_time"] = iso_time(end_time)
        if minimal_response:
            params["minimal_response"] = ""
        if no_attributes:
            params["no_attributes"] = ""
        if not significant_changes_only:
            params["significant_changes_only"] = "0"
        if not include_start_time_state:
            params["skip_initial_state"] = ""
        path = "/api/history/period/" + quote(iso_time(start_time), safe="")
        return self._expect(
            list, self.request("GET", path, params=params, timeout=timeout)
        )

    history_period = get_history

    def camera_proxy(self, entity_id, *, max_bytes=CAMERA_MAX_BYTES, timeout=None):
        """``GET /api/camera_proxy/<entity_id>``: the camera's current image.

        Returns ``(content_type, bytes)``; the body must be an image of at most
        ``max_bytes`` bytes, else :class:`HaProtocolError`.
        """
        if not isinstance(entity_id, str) or not _ENTITY_ID_RE.match(entity_id):
            raise HaBadRequestError(
                _lt("Invalid entity id %(entity_id)r."), params={"entity_id": entity_id}
            )
        if not entity_id.startswith("camera."):
            raise HaBadRequestError(
                _lt("%(entity_id)s is not a camera."), params={"entity_id": entity_id}
            )
        path = f"/api/camera_proxy/{entity_id}"
        response = self._send("GET", path, timeout=timeout, accept="image/*")
        content_type = (
            (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        )
        if not content_type.startswith("image/"):
            raise HaProtocolError(
                _lt(
                    "Home Assistant at %(url)s sent %(type)s where a camera image "
                    "was expected."
                ),
                status=response.status_code,
                params={"url": self.base_url, "type": content_type or "-"},
            )
        data = response.content
        if not data or len(data) > max_bytes:
            raise HaProtocolError(
                _lt(
                    "Home Assistant at %(url)s sent an image of %(size)s bytes "
                    "(limit %(limit)s)."
                ),
                status=response.status_code,
                params={"url": self.base_url, "size": len(data), "limit": max_bytes},
            )
        return content_type, data

    def _expect(self, kind, body):
        if not isinstance(body, kind):
            raise HaProtocolError(
                _lt(
                    "Home Assistant at %(url)s sent a %(got)s where a %(want)s "
                    "was expected."
                ),
                params={
                    "url": self.base_url,
                    "got": type(body).__name__,
                    "want": kind.__name__,
                },
            )
        return body
