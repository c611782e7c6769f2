"""Pure asyncio WebSocket client for Home Assistant (no ``odoo`` import).

The client speaks Home Assistant's WebSocket API:

* auth handshake (``auth_required`` → ``auth`` → ``auth_ok`` / ``auth_invalid``);
* one counter of strictly increasing message ids, allocated and written under
  one lock;
* request/response futures with a timeout per call, failed at once with
  :class:`HaUnreachableError` when the connection drops;
* ``supported_features`` / ``coalesce_messages`` right after auth, so every
  frame may be a JSON object or a JSON array of messages;
* subscriptions (``subscribe_events``, compressed ``subscribe_entities``)
  restored with new ids after every reconnect;
* application ``ping``/``pong`` liveness;
* :meth:`HassWebSocketClient.run_forever`: reconnect with capped, jittered
  exponential backoff that never gives up, except on ``auth_invalid`` (HA may
  ban an address after repeated failed logins).

It owns no event loop and no thread: the caller owns the loop.  Event handlers
are plain callables run inside the reader; they must be quick and must not
block (hand work to a queue).  Logs never contain payloads or the token.
"""

import asyncio
import inspect
import json
import logging
import random as _random
import time

from websockets.exceptions import (
    ConnectionClosed,
)

from .ha_errors import (
    HaAuthError,
    HaError,
    HaProtocolError,
    HaTimeoutError,
    HaUnreachableError,
    _lt,
    error_from_ws_result,
)
from .hass_ws_commands import HassWsCommands
from .hass_ws_handshake import authenticate, open_websocket
from .hass_ws_subscriptions import HassWsSubscriptions, Subscription
from .hass_ws_types import (
    STATUS_CONNECTED,
    STATUS_CONNECTING,
    STATUS_DISCONNECTED,
    STATUS_ERROR,
    Backoff,
    ConnectionStatus,
    websocket_url,
)

_logger = logging.getLogger(__name__)

__all__ = [
    "STATUS_CONNECTED",
    "STATUS_CONNECTING",
    "STATUS_DISCONNECTED",
    "STATUS_ERROR",
    "Backoff",
    "ConnectionStatus",
    "HassWebSocketClient",
    "Subscription",
    "websocket_url",
]

DEFAULT_MAX_SIZE = 64 * 1024 * 1024


async def _maybe_await(result):
    if inspect.isawaitable(result):
        await result


class HassWebSocketClient(HassWsCommands, HassWsSubscriptions):
    """Asyncio client for one Home Assistant instance.

    :param ws_url: ``ws://host:8123/api/websocket`` (``wss://`` for TLS).
    :param token: long-lived access token; sent only in the ``auth`` message.
    :param on_connect: ``(client)``, awaited after auth, ``supported_features``
        and the restoration of subscriptions; run the full sync there.
    :param on_disconnect: ``(client, reason)``, awaited after a connection ended.
    :param on_status: ``(ConnectionStatus)``, plain callable.
    :param call_timeout: default seconds to wait for a command's result.
    :param ping_interval: seconds between application pings (``None``: off).
    :param pong_timeout: seconds without pong before the connection is dead.
    :param backoff: a :class:`Backoff`.
    :param clock, sleep, random: injectable for deterministic tests
        (``sleep`` is used only between reconnect attempts).
    """

    def __init__(
        self,
        ws_url,
        token,
        *,
        on_connect=None,
        on_disconnect=None,
        on_status=None,
        call_timeout=30.0,
        ping_interval=25.0,
        pong_timeout=10.0,
        open_timeout=10.0,
        backoff=None,
        max_size=DEFAULT_MAX_SIZE,
        coalesce=True,
        clock=time.monotonic,
        sleep=asyncio.sleep,
        random=_random.random,
    ):
        if not token or not isinstance(token, str):
            raise ValueError("an access token is required")
        self.ws_url = ws_url
        self._token = token
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.on_status = on_status
        self.call_timeout = call_timeout
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self.open_timeout = open_timeout
        self.backoff = backoff or Backoff()
        self.max_size = max_size
        self.coalesce = coalesce
        self._clock = clock
        self._sleep = sleep
        self._random = random

        self.ha_version = None
        self.status = ConnectionStatus(STATUS_DISCONNECTED)
        self.connections = 0  # successful authentications, for diagnostics
        self._ws = None
        self._last_id = 0
        self._send_lock = asyncio.Lock()
        self._pending = {}  # id -> future
        self._pending_types = {}  # id -> command type, for error messages
        self._handlers = {}  # subscription id -> deliver callable
        self._subscriptions = []  # every live Subscription, in creation order
        self._session_task = None
        self._stop = asyncio.Event()

    def __repr__(self):
        return f"<HassWebSocketClient {self.ws_url} {self.status.state}>"

    @property
    def connected(self):
        return self._ws is not None

    # ------------------------------------------------------------- lifecycle

    async def connect(self):
        """Connect and authenticate once; raise a :class:`HaError` on failure.

        The connection is then served in the background until it drops or
        :meth:`close` is called; it is not re-established (use
        :meth:`run_forever` for that).
        """
        self._stop.clear()
        await self._open()

    async def run_forever(self, stop_event=None):
        """Keep a connection up until ``stop_event`` is set or :meth:`close`.

        Reconnects with :attr:`backoff` after every failure, except when the
        token is rejected: then the status becomes ``error`` /
        ``invalid_token`` and :class:`HaAuthError` is raised.
        """
        self._stop.clear()
        attempt = 0
        stop_waiter = asyncio.ensure_future(self._wait_stop(stop_event))
        try:
            while not stop_waiter.done():
                try:
                    await self._open()
                except HaAuthError as err:
                    self._set_status(STATUS_ERROR, str(err), code="invalid_token")
                    raise
                except (HaError, OSError, ConnectionClosed) as err:
                    self._set_status(STATUS_DISCONNECTED, str(err))
                    _logger.warning("cannot connect to %s: %s", self.ws_url, err)
                else:
                    attempt = 0
                    await asyncio.wait(
                        {self._session_task, stop_waiter},
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                if stop_waiter.done():
                    break
                delay = self.backoff.delay(attempt, self._random)
                attempt += 1
                _logger.info("reconnecting to %s in %.1f s", self.ws_url, delay)
                sleeper = asyncio.ensure_future(self._sleep(delay))
                await asyncio.wait(
                    {sleeper, stop_waiter}, return_when=asyncio.FIRST_COMPLETED
                )
                sleeper.cancel()
        finally:
            stop_waiter.cancel()
            self._stop.set()  # asked for: no "disconnected" warning
            await self._shutdown("client stopped")

    run = run_forever

    async def close(self):
        """Close the connection cleanly and stop :meth:`run_forever`."""
        self._stop.set()
        await self._shutdown("client closed")

    async def _wait_stop(self, stop_event):
        if stop_event is None:
            await self._stop.wait()
            return
        waiters = {
            asyncio.ensure_future(self._stop.wait()),
            asyncio.ensure_future(stop_event.wait()),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _shutdown(self, reason):
        task = self._session_task
        ws = self._ws
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), timeout=2)
            except (asyncio.TimeoutError, OSError, ConnectionClosed):
                ws.transport.abort()
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=3)
            except asyncio.TimeoutError:
                task.cancel()
        self._fail_pending(reason)

    # ------------------------------------------------------------ connecting

    def _set_status(self, state, message=None, code=None):
        self.status = ConnectionStatus(state, message, self.ha_version, code)
        if self.on_status is not None:
            try:
                self.on_status(self.status)
            except Exception:
                _logger.exception("on_status callback failed")

    async def _open(self):
        """Connect, authenticate, set up the session; raise on failure."""
        if self._session_task is not None and not self._session_task.done():
            raise HaProtocolError("already connected")
        self._set_status(STATUS_CONNECTING)
        ws = await open_websocket(self.ws_url, self.open_timeout, self.max_size)
        try:
            self.ha_version = await authenticate(
                ws, self.ws_url, self._token, self.open_timeout
            )
        except BaseException:
            ws.transport.abort()
            raise
        self._ws = ws
        self.connections += 1
        reader = asyncio.ensure_future(self._reader(ws))
        pinger = asyncio.ensure_future(self._pinger(ws))
        self._session_task = asyncio.ensure_future(self._watch(ws, reader, pinger))
        try:
            if self.coalesce:
                await self._enable_coalescing()
            await self._restore_subscriptions()
        except HaError as err:
            _logger.warning("session setup with %s failed: %s", self.ws_url, err)
            ws.transport.abort()
            await asyncio.wait({self._session_task})
            raise HaUnreachableError(err.template, params=err.params) from err
        self._set_status(STATUS_CONNECTED)
        _logger.info(
            "connected to Home Assistant %s at %s", self.ha_version, self.ws_url
        )
        if self.on_connect is not None:
            try:
                await _maybe_await(self.on_connect(self))
            except HaError as err:
                _logger.warning("on_connect callback failed: %s", err)
            except Exception:
                _logger.exception("on_connect callback failed")

    async def _enable_coalescing(self):
        features = {"coalesce_messages": 1}
        try:
            await self.call({"type": "supported_features", "features": features})
        except (HaUnreachableError, HaTimeoutError):
            raise
        except HaError as err:  # older HA: carry on with one message per frame
            _logger.info("message coalescing not available: %s", err)

    # --------------------------------------------------------------- session

    async def _watch(self, ws, reader, pinger):
        """Wait for the session to end, then tear it down."""
        reason = "connection lost"
        try:
            done, _pending = await asyncio.wait(
                {reader, pinger}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    reason = str(task.exception()) or type(task.exception()).__name__
        finally:
            reader.cancel()
            pinger.cancel()
            ws.transport.abort()
            self._ws = None
            for sub in self._subscriptions:
                sub.active = False
            self._handlers.clear()
            self._fail_pending(reason)
        close_code = ws.close_code
        if close_code is not None and close_code != 1000:
            reason = f"{reason} (close code {close_code})"
        if self._stop.is_set():
            self._set_status(STATUS_DISCONNECTED, "closed")
        else:
            _logger.warning("disconnected from %s: %s", self.ws_url, reason)
            self._set_status(STATUS_DISCONNECTED, reason)
        if self.on_disconnect is not None:
            try:
                await _maybe_await(self.on_disconnect(self, reason))
            except Exception:
                _logger.exception("on_disconnect callback failed")

    def _fail_pending(self, reason):
        if not self._pending:
            return
        pending = self._pending
        self._pending = {}
        self._pending_types.clear()
        for future in pending.values():
            if not future.done():
                future.set_exception(
                    HaUnreachableError(
                        _lt(
                            "Connection to Home Assistant at %(url)s lost before "
                            "the answer came (%(reason)s)."
                        ),
                        params={"url": self.ws_url, "reason": reason},
                    )
                )

    async def _pinger(self, ws):
        interval = self.ping_interval
        if not interval:
            await asyncio.Event().wait()  # never returns; cancelled by _watch
        while True:
            await asyncio.sleep(interval)
            try:
                await self.ping(timeout=self.pong_timeout)
            except HaTimeoutError as err:
                _logger.warning(
                    "no pong from %s within %s s; dropping the connection",
                    self.ws_url,
                    self.pong_timeout,
                )
                raise HaUnreachableError(_lt("No pong in time.")) from err

    async def _reader(self, ws):
        """Read frames until the connection ends; the hot path."""
        loads = json.loads
        handle = self._handle
        while True:
            try:
                raw = await ws.recv()
            except ConnectionClosed:
                return
            if type(raw) is not str:
                _logger.warning("ignored a binary frame (%d bytes)", len(raw))
                continue
            try:
                data = loads(raw)
            except ValueError:
                _logger.warning("ignored a non-JSON frame (%d chars)", len(raw))
                continue
            try:
                if type(data) is list:
                    for message in data:
                        handle(message)
                else:
                    handle(data)
            except (TypeError, AttributeError) as err:  # e.g. an unhashable id
                _logger.warning("ignored a malformed message (%s)", type(err).__name__)

    def _handle(self, message):
        if type(message) is not dict:
            _logger.warning("ignored a %s instead of a message", type(message).__name__)
            return
        kind = message.get("type")
        if kind == "event":
            deliver = self._handlers.get(message.get("id"))
            if deliver is None:
                return  # late event of a finished subscription
            try:
                deliver(message.get("event"))
            except Exception:
                _logger.exception("event handler failed")
            return
        if kind == "result" or kind == "pong":
            msg_id = message.get("id")
            future = self._pending.pop(msg_id, None)
            command = self._pending_types.pop(msg_id, None)
            if future is None or future.done():
                return
            if kind == "pong" or message.get("success"):
                future.set_result(message.get("result"))
            else:
                future.set_exception(
                    error_from_ws_result(message.get("error"), command)
                )
            return
        _logger.debug("ignored a message of type %r", kind)

    # -------------------------------------------------------------- commands

    async def _send(self, payload, sub=None):
        """Allocate an id, register its future and write the frame."""
        ws = self._ws
        if ws is None:
            raise HaUnreachableError(
                _lt("Not connected to Home Assistant at %(url)s."),
                params={"url": self.ws_url},
            )
        future = asyncio.get_running_loop().create_future()
        async with self._send_lock:
            self._last_id += 1
            msg_id = self._last_id
            self._pending[msg_id] = future
            self._pending_types[msg_id] = payload.get("type")
            if sub is not None:
                sub.id = msg_id
                self._handlers[msg_id] = sub.deliver
            try:
                await ws.send(json.dumps({**payload, "id": msg_id}))
            except ConnectionClosed as err:
                self._pending.pop(msg_id, None)
                self._pending_types.pop(msg_id, None)
                raise HaUnreachableError(
                    _lt("Connection to Home Assistant at %(url)s lost."),
                    params={"url": self.ws_url},
                ) from err
        return msg_id, future

    async def call(self, payload, timeout=None):
        """Send a command (without ``id``) and return its ``result``.

        Raises :class:`HaTimeoutError` after ``timeout`` (default
        :attr:`call_timeout`) seconds and the typed errors of
        :mod:`.ha_errors` for error results.
        """
        if "id" in payload or not isinstance(payload.get("type"), str):
            raise ValueError("payload needs a string 'type' and no 'id'")
        msg_id, future = await self._send(payload)
        return await self._wait(msg_id, future, payload["type"], timeout)

    async def _wait(self, msg_id, future, command, timeout):
        timeout = self.call_timeout if timeout is None else timeout
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError as err:
            if isinstance(err, HaTimeoutError):
                raise
            self._pending.pop(msg_id, None)
            self._pending_types.pop(msg_id, None)
            raise HaTimeoutError(
                _lt(
                    "Home Assistant at %(url)s did not answer '%(command)s' within "
                    "%(timeout)s s."
                ),
                code="timeout",
                params={"url": self.ws_url, "command": command, "timeout": timeout},
            ) from None

    async def ping(self, timeout=None):
        """Send an application ping; return the round trip in seconds."""
        started = self._clock()
        await self.call({"type": "ping"}, timeout=timeout)
        return self._clock() - started
