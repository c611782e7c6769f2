"""Typed errors shared by the pure Home Assistant clients.

Both :mod:`.hass_rest_api` and :mod:`.hass_websocket_service` raise only these
classes, so callers (the Odoo models, the thread manager) can react by kind:

* :class:`HaAuthError`: the token was rejected (HTTP 401/403, ``auth_invalid``).
  Never retry automatically: Home Assistant counts every failed login and may
  ban the caller's IP address.
* :class:`HaUnreachableError` / :class:`HaTimeoutError`: network trouble; safe
  to retry with backoff.
* :class:`HaNotFoundError`, :class:`HaBadRequestError`, :class:`HaCommandError`:
  Home Assistant answered, but refused the request.
* :class:`HaProtocolError`: the peer does not speak the Home Assistant protocol.

Messages are written for users and never contain the access token.
"""

__all__ = [
    "HaAuthError",
    "HaBadRequestError",
    "HaCommandError",
    "HaError",
    "HaNotFoundError",
    "HaProtocolError",
    "HaTimeoutError",
    "HaUnreachableError",
    "error_from_ws_result",
]


class HaError(Exception):
    """Base class of every error raised by the Home Assistant clients.

    ``code`` is Home Assistant's error code (WebSocket) or ``http_<status>``
    (REST) when known, else ``None``.
    """

    def __init__(self, message, *, code=None, status=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self):
        return self.message


class HaAuthError(HaError):
    """The access token was rejected (or this address is banned)."""


class HaNotFoundError(HaError):
    """The entity, service, registry entry or subscription does not exist."""


class HaBadRequestError(HaError):
    """Home Assistant rejected the request as invalid (schema, validation)."""


class HaUnreachableError(HaError):
    """Home Assistant cannot be reached, or the connection was lost."""


class HaTimeoutError(HaError, TimeoutError):
    """Home Assistant did not answer in time."""


class HaCommandError(HaError):
    """Home Assistant answered a command with an error code."""


class HaProtocolError(HaError):
    """The peer is not Home Assistant, or sent something malformed."""


# HA's WebSocket error codes mapped to a typed error; every
# other code becomes a HaCommandError carrying that code.
_WS_CODE_CLASSES = {
    "not_found": HaNotFoundError,
    "invalid_format": HaBadRequestError,
    "service_validation_error": HaBadRequestError,
    "invalid_info": HaBadRequestError,
    "invalid_start_time": HaBadRequestError,
    "invalid_end_time": HaBadRequestError,
    "invalid_entity_ids": HaBadRequestError,
    "invalid_units": HaBadRequestError,
    "timeout": HaTimeoutError,
}


def error_from_ws_result(error, command_type=None):
    """Build the typed error for the ``error`` member of a failed result."""
    if not isinstance(error, dict):
        error = {}
    code = error.get("code")
    text = error.get("message")
    if not isinstance(code, str):
        code = "unknown_error"
    if not isinstance(text, str) or not text:
        text = "no message"
    prefix = (
        f"Home Assistant refused '{command_type}'"
        if command_type
        else ("Home Assistant refused the command")
    )
    cls = _WS_CODE_CLASSES.get(code, HaCommandError)
    return cls(f"{prefix} ({code}): {text}", code=code)
