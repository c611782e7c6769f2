"""Opening a Home Assistant WebSocket and its auth phase (no ``odoo`` import).

``auth_required`` → ``auth`` (the token, sent nowhere else) → ``auth_ok`` or
``auth_invalid``; every failure becomes a typed :mod:`.ha_errors` error whose
message says what to do.
"""

import asyncio
import json
import logging

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from .ha_errors import (
    HaAuthError,
    HaProtocolError,
    HaTimeoutError,
    HaUnreachableError,
    _lt,
)


class _QuietLogger(logging.LoggerAdapter):
    """websockets' logger capped at INFO: at DEBUG it logs every frame,
    the ``auth`` frame with the token included."""

    def isEnabledFor(self, level):
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


_WIRE_LOGGER = _QuietLogger(
    logging.getLogger(__name__.rpartition(".")[0] + ".hass_websocket_service.wire"), {}
)


async def open_websocket(ws_url, open_timeout, max_size):
    """A connected (not yet authenticated) WebSocket to ``ws_url``."""
    try:
        ws = await ws_connect(
            ws_url,
            open_timeout=open_timeout,
            max_size=max_size,
            ping_interval=None,  # application pings, see _pinger
            compression=None,
            logger=_WIRE_LOGGER,
            user_agent_header="odoo_ha_addon",
        )
    except InvalidStatus as err:
        status = err.response.status_code
        if status in (401, 403):
            raise HaAuthError(
                _lt(
                    "Home Assistant at %(url)s refused the connection (HTTP "
                    "%(status)s); this address may be banned."
                ),
                status=status,
                params={"url": ws_url, "status": status},
            ) from err
        raise HaProtocolError(
            _lt(
                "%(url)s is not a Home Assistant WebSocket endpoint (HTTP "
                "%(status)s)."
            ),
            status=status,
            params={"url": ws_url, "status": status},
        ) from err
    except (InvalidURI, InvalidHandshake) as err:
        raise HaProtocolError(
            _lt("%(url)s did not accept a WebSocket connection (%(reason)s)."),
            params={"url": ws_url, "reason": type(err).__name__},
        ) from err
    except (OSError, asyncio.TimeoutError) as err:
        raise HaUnreachableError(
            _lt("Cannot reach Home Assistant at %(url)s (%(reason)s)."),
            params={"url": ws_url, "reason": type(err).__name__},
        ) from err
    return ws


def _closed_during_auth(ws_url):
    return HaUnreachableError(
        _lt("Home Assistant at %(url)s closed the connection during authentication."),
        params={"url": ws_url},
    )


async def _recv_auth_phase(ws, ws_url, open_timeout):
    try:
        raw = await asyncio.wait_for(ws.recv(), timeout=open_timeout)
    except asyncio.TimeoutError as err:
        raise HaTimeoutError(
            _lt(
                "%(url)s did not complete the Home Assistant handshake in "
                "%(timeout)s s."
            ),
            params={"url": ws_url, "timeout": open_timeout},
        ) from err
    except ConnectionClosed as err:
        raise _closed_during_auth(ws_url) from err
    try:
        message = json.loads(raw)
    except (TypeError, ValueError):
        message = None
    if not isinstance(message, dict):
        raise HaProtocolError(
            _lt(
                "%(url)s sent a malformed handshake frame; is this really "
                "Home Assistant?"
            ),
            params={"url": ws_url},
        )
    return message


async def authenticate(ws, ws_url, token, open_timeout):
    """Run HA's auth phase on a fresh connection; returns HA's version."""
    first = await _recv_auth_phase(ws, ws_url, open_timeout)
    if first.get("type") != "auth_required":
        raise HaProtocolError(
            _lt(
                "%(url)s did not ask for authentication; is this really Home "
                "Assistant?"
            ),
            params={"url": ws_url},
        )
    ha_version = first.get("ha_version")
    try:
        await ws.send(json.dumps({"type": "auth", "access_token": token}))
    except ConnectionClosed as err:
        raise _closed_during_auth(ws_url) from err
    reply = await _recv_auth_phase(ws, ws_url, open_timeout)
    kind = reply.get("type")
    if kind == "auth_ok":
        return reply.get("ha_version") or ha_version
    if kind == "auth_invalid":
        raise HaAuthError(
            _lt(
                "Home Assistant at %(url)s rejected the access token (auth_invalid). "
                "Create a new long-lived token in your HA profile."
            ),
            params={"url": ws_url},
            code="auth_invalid",
        )
    raise HaProtocolError(
        _lt("%(url)s answered the authentication with an unexpected message."),
        params={"url": ws_url},
    )
