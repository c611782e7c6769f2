"""One WebSocket client connection, driven through websockets' sans-I/O protocol."""

import asyncio
import json
import logging
import struct

from websockets.frames import Opcode
from websockets.protocol import State as WSState

from .core import HA_VERSION, dumps
from .ws_api import HANDLERS, WSError, error_message, result_message

_logger = logging.getLogger(__name__)
MAX_PENDING_MSG = 4096  # HA cancels a connection whose queue reaches this
MAX_BATCH = 1024  # messages packed into one coalesced frame
# After auth HA raises the connection's drain limit to 1 MiB (sized for the
# entity registry); the writer only waits for the peer above that.
WRITE_LIMIT = 2**20
_HEAD16 = struct.Struct("!BBH")
_HEAD64 = struct.Struct("!BBQ")


class Connection:
    RAW_STATES = object()  # handler sentinel: serialize states from cache
    ALREADY_SENT = object()  # handler sentinel: the handler replied itself

    def __init__(self, sim, protocol, reader, writer):
        self.sim = sim
        self.protocol = protocol
        self.reader = reader
        self.writer = writer
        self.authenticated = False
        self.coalesce = False
        self.last_id = 0
        self.subscriptions = {}
        self.pending = []
        self.wakeup = asyncio.Event()
        self.closed = False
        self._fragments = None

    # ----------------------------------------------------------- output
    def queue(self, text):
        """Queue one outgoing message (JSON text) for the writer task."""
        if self.closed:
            return
        pending = self.pending
        pending.append(text)
        size = len(pending)
        if size == 1:
            # The writer loops until ``pending`` is empty, so it only needs
            # waking when the queue stops being empty.
            self.wakeup.set()
        elif size >= MAX_PENDING_MSG:
            _logger.info("client unable to keep up, dropping connection")
            self.abort()

    def reply(self, text):
        """Queue a command reply, honouring the ``delay_replies`` knob."""
        delay = self.sim.reply_delay
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.queue, text)
        else:
            self.queue(text)

    def send_result(self, msg_id, result):
        self.reply(dumps(result_message(msg_id, result)))

    def _write_frames(self, texts):
        for text in texts:
            self.protocol.send_text(text.encode())
        self._flush_protocol()

    def _write_text_frame(self, text):
        """One unmasked, unfragmented text frame, framed here (RFC 6455 §5.2).

        Same bytes as ``protocol.send_text`` without its copies; used for the
        event stream while the connection is open.  Anything the protocol has
        queued (pongs) goes out first, so the order is kept.
        """
        if self.protocol.state is not WSState.OPEN:
            self._write_frames([text])
            return
        self._flush_protocol()
        data = text.encode()
        size = len(data)
        if size < 126:
            head = bytes((0x81, size))
        elif size < 65536:
            head = _HEAD16.pack(0x81, 126, size)
        else:
            head = _HEAD64.pack(0x81, 127, size)
        if not self.writer.is_closing():
            self.writer.write(head)
            self.writer.write(data)

    def _flush_protocol(self):
        data = self.protocol.data_to_send()
        if data and not self.writer.is_closing():
            self.writer.write(b"".join(data))

    async def writer_loop(self):
        try:
            while not self.closed:
                await self.wakeup.wait()
                self.wakeup.clear()
                while self.pending and not self.closed:
                    pending = self.pending
                    if self.coalesce and len(pending) > 1:
                        if len(pending) > MAX_BATCH:
                            batch = pending[:MAX_BATCH]
                            del pending[:MAX_BATCH]
                        else:
                            batch, self.pending = pending, []
                        # one copy of the batch: the brackets ride on the ends
                        batch[0] = "[" + batch[0]
                        batch[-1] += "]"
                        self._write_text_frame(",".join(batch))
                    else:
                        self.pending = []
                        for text in pending:
                            self._write_text_frame(text)
                    await self.writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.closed = True

    def send_raw_frame(self, text):
        """Send ``text`` as its own frame right now (used for malformed data)."""
        frames, self.pending = self.pending, []
        if self.coalesce and len(frames) > 1:
            frames = ["[" + ",".join(frames) + "]"]
        self._write_frames(frames + [text])

    def close(self, code=1000, reason=""):
        """Close with a close frame (like HA on shutdown or revocation)."""
        if self.closed:
            return
        try:
            frames, self.pending = self.pending, []
            self._write_frames(frames)
            self.protocol.send_close(code, reason)
            self._flush_protocol()
        except Exception:  # noqa: BLE001 - the transport may already be gone
            pass
        self._finish()

    def abort(self):
        """Abrupt TCP close without a close frame."""
        if self.closed:
            return
        self.writer.transport.abort()
        self._finish()

    def _finish(self):
        self.closed = True
        self.wakeup.set()
        for cancel in list(self.subscriptions.values()):
            try:
                cancel()
            except ValueError:
                pass
        self.subscriptions.clear()
        if not self.writer.is_closing():
            self.writer.close()
        self.sim.connections.discard(self)

    # ------------------------------------------------------------ input
    async def run(self):
        self.sim.connections.add(self)
        writer_task = asyncio.create_task(self.writer_loop())
        self.queue(dumps({"type": "auth_required", "ha_version": HA_VERSION}))
        try:
            while not self.closed:
                data = await self.reader.read(262144)
                if not data:
                    self.protocol.receive_eof()
                    break
                self.protocol.receive_data(data)
                for frame in self.protocol.events_received():
                    self._on_frame(frame)
                    if self.closed:
                        break
                self._flush_protocol()
                if (
                    self.protocol.state is WSState.CLOSED
                    or self.protocol.close_expected()
                ):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._finish()
            writer_task.cancel()

    def _on_frame(self, frame):
        if frame.opcode is Opcode.CLOSE:
            self._finish()
            return
        if frame.opcode is Opcode.TEXT:
            if not frame.fin:
                self._fragments = [frame.data]
                return
            self._on_text(frame.data)
        elif frame.opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(frame.data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), None
                self._on_text(data)
        elif frame.opcode is Opcode.BINARY and not self.authenticated:
            self.close()

    def _on_text(self, data):
        try:
            payload = json.loads(data)
        except ValueError:
            # HA drops the connection on invalid JSON, in both phases.
            self.close()
            return
        if not self.authenticated:
            self._on_auth(payload)
            return
        messages = payload if isinstance(payload, list) else [payload]
        for msg in messages:
            self.sim.counters["messages_received"] += 1
            self._on_message(msg)
            if self.closed:
                return

    def _on_auth(self, msg):
        if (
            not isinstance(msg, dict)
            or msg.get("type") != "auth"
            or not isinstance(msg.get("access_token"), str)
        ):
            text = "Auth message incorrectly formatted: required key not provided"
            self._auth_invalid(text)
            return
        if not self.sim.token_ok(msg["access_token"]):
            self._auth_invalid("Invalid access token or password")
            return
        self.authenticated = True
        self.sim.counters["auth_ok"] += 1
        self.writer.transport.set_write_buffer_limits(high=WRITE_LIMIT)
        self.queue(dumps({"type": "auth_ok", "ha_version": HA_VERSION}))

    def _auth_invalid(self, message):
        self.sim.counters["auth_invalid"] += 1
        self.queue(dumps({"type": "auth_invalid", "message": message}))
        self.close()

    def _on_message(self, msg):
        msg_id = msg.get("id") if isinstance(msg, dict) else None
        if (
            not isinstance(msg, dict)
            or type(msg_id) is not int
            or msg_id <= 0
            or not isinstance(msg.get("type"), str)
        ):
            self.reply(
                dumps(
                    error_message(
                        msg_id if type(msg_id) is int else None,
                        "invalid_format",
                        "Message incorrectly formatted.",
                    )
                )
            )
            return
        if msg_id <= self.last_id:
            self.reply(
                dumps(
                    error_message(
                        msg_id, "id_reuse", "Identifier values have to increase."
                    )
                )
            )
            return
        self.last_id = msg_id
        kind = msg["type"]
        if kind == "ping":
            self.reply(dumps({"id": msg_id, "type": "pong"}))
            return
        if kind == "supported_features":
            features = msg.get("features") or {}
            self.coalesce = features.get("coalesce_messages") == 1
            self.send_result(msg_id, None)
            return
        handler = HANDLERS.get(kind)
        if handler is None:
            self.reply(
                dumps(error_message(msg_id, "unknown_command", "Unknown command."))
            )
            return
        try:
            result = handler(self.sim, self, msg)
        except WSError as exc:
            self.reply(
                dumps(error_message(msg_id, exc.code, exc.message, exc.translation))
            )
            return
        except KeyError as exc:
            self.reply(
                dumps(
                    error_message(
                        msg_id,
                        "invalid_format",
                        f"required key not provided @ data[{exc.args[0]!r}]. Got None",
                    )
                )
            )
            return
        except Exception as exc:  # noqa: BLE001 - reported like HA does
            _logger.exception("error handling %s", kind)
            self.reply(dumps(error_message(msg_id, "unknown_error", str(exc))))
            return
        if result is self.ALREADY_SENT:
            return
        if result is self.RAW_STATES:
            states = ",".join(st.json() for st in self.sim.home.states.values())
            self.reply(
                '{"id":%d,"type":"result","success":true,"result":[%s]}'
                % (msg_id, states)
            )
            return
        self.send_result(msg_id, result)
