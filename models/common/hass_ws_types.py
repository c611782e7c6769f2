"""Small value types of the Home Assistant WebSocket client (no ``odoo`` import)."""

import random as _random
from dataclasses import dataclass
from urllib.parse import urlsplit

STATUS_CONNECTING = "connecting"
STATUS_CONNECTED = "connected"
STATUS_DISCONNECTED = "disconnected"
STATUS_ERROR = "error"

# get_states and the registries arrive as one (possibly huge) message.


def websocket_url(api_url):
    """HA's WebSocket URL for its base URL (``http(s)://host[:port][/path]``),
    or False when ``api_url`` is not an http(s) URL."""
    if not api_url:
        return False
    scheme, netloc, path = urlsplit(api_url)[:3]
    ws_scheme = {"http": "ws", "https": "wss"}.get(scheme)
    if not ws_scheme or not netloc:
        return False
    return f"{ws_scheme}://{netloc}{path.rstrip('/')}/api/websocket"


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter.

    Attempt ``n`` (from 0) waits ``min(maximum, initial * factor ** n)`` reduced
    by a random fraction of at most ``jitter``, so delays never exceed the cap
    and clients restarted together spread out.
    """

    initial: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0
    jitter: float = 0.25

    def delay(self, attempt, rand=_random.random):
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        return base * (1.0 - self.jitter * rand())


@dataclass(frozen=True)
class ConnectionStatus:
    """What :attr:`HassWebSocketClient.on_status` receives.

    ``code`` is ``"invalid_token"`` when the token was rejected (the client
    stopped and waits for a human), else ``None``.
    """

    state: str
    message: str | None = None
    ha_version: str | None = None
    code: str | None = None
