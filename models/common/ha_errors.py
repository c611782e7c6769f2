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

Messages are written for users and never contain the access token. They are
built from a template marked with :func:`_lt` and its ``params``, so that the
Odoo side can show them in the user's language (the pure clients know no
language); ``message`` is the English text.
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


def _lt(template):
    """Mark ``template`` for the addon's translation export.

    Odoo's exporter collects the literal first argument of every ``_lt`` call;
    the template stays English here and is translated where it is shown.
    """
    return template


class HaError(Exception):
    """Base class of every error raised by the Home Assistant clients.

    ``code`` is Home Assistant's error code (WebSocket) or ``http_<status>``
    (REST) when known, else ``None``. ``message`` is a template (marked with
    :func:`_lt`) filled with ``params`` (``%(name)s`` placeholders), or plain
    text when there are no params.
    """

    def __init__(self, message, *, code=None, status=None, params=None):
        self.template = message
        self.params = dict(params or {})
        if self.params:
            message = message % self.params
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
        text = "-"
    cls = _WS_CODE_CLASSES.get(code, HaCommandError)
    # ``text`` is Home Assistant's own message: it stays as HA wrote it.
    if command_type:
        return cls(
            _lt("Home Assistant refused '%(command)s' (%(code)s): %(text)s"),
            code=code,
            params={"command": command_type, "code": code, "text": text},
        )
    return cls(
        _lt("Home Assistant refused the command (%(code)s): %(text)s"),
        code=code,
        params={"code": code, "text": text},
    )
