"""A fake Twilio Media Streams peer: a caller on a bidirectional ``<Connect><Stream>``.

It connects to our WebSocket the way Twilio does (``X-Twilio-Signature`` over the public
``wss://`` URL with empty params), sends ``connected`` and ``start`` (whose
``customParameters`` are exactly the ``<Parameter>``s of the ``<Stream>`` TwiML, the call's
stream ticket among them: ``stream_parameters`` reads them), then streams the
caller's audio as 20 ms ``media`` frames of 8 kHz mu-law (``MediaPump``: in real-time
mode silence whenever the caller is not speaking, so the server always has a clock).

The bot's audio is "played" the way Twilio plays it (``Playback``): marks are echoed when
playback reaches them, a ``clear`` drops unplayed audio. When the WebSocket closes,
playback stops there (the call moves on to the next TwiML verb).
Everything is timestamped with ``time.monotonic()`` for latency measurements.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import xml.etree.ElementTree as ET
from types import TracebackType
from typing import Any

import numpy as np
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from voice.errors import VoiceError
from voice.simulator.media_pump import SILENCE_FRAME, MediaPump, voiced_frames
from voice.simulator.playback import Playback
from voice.speech.codecs import PHONE_RATE, mulaw_decode, read_wav, resample
from voice.wire.media_stream import (
    FRAME_SECONDS,
    OutboundClear,
    OutboundMark,
    OutboundMedia,
    ProtocolError,
    parse_outbound,
)

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
"""The close code a server uses to refuse a stream whose signature does not validate."""
DTMF_DIGITS = frozenset("0123456789*#")
_CONNECTED = {"event": "connected", "protocol": "Call", "version": "1.0.0"}
"""Twilio's first message; the only one without ``sequenceNumber`` or ``streamSid``."""


def stream_parameters(stream: ET.Element) -> dict[str, str]:
    """The ``<Parameter name value>`` children of a ``<Stream>`` element, as Twilio sends them
    in ``start.customParameters``."""
    return {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}


class StreamCallError(VoiceError):
    """The simulated stream could not go on (connection failed or closed)."""


class StreamRefused(StreamCallError):
    """The server refused the stream: HTTP rejection or close code 1008."""


class StreamCaller:
    """One simulated caller on one media stream; use as ``async with StreamCaller(...)``."""

    def __init__(
        self,
        ws_url: str,
        *,
        public_ws_url: str,
        auth_token: str,
        account_sid: str,
        call_sid: str | None = None,
        custom_parameters: dict[str, str] | None = None,
        realtime: bool = True,
    ) -> None:
        self.ws_url = ws_url
        self.public_ws_url = public_ws_url
        self.account_sid = account_sid
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.stream_sid = "MZ" + secrets.token_hex(16)
        # Exactly the <Parameter>s of the <Stream> TwiML, as Twilio sends them: nothing added.
        self.custom_parameters = dict(custom_parameters or {})
        self.realtime = realtime
        self.signature: str = RequestValidator(auth_token).compute_signature(public_ws_url, {})

        # Measurements (monotonic seconds).
        self.playback = Playback()  # the bot's audio as Twilio plays it
        self.marks_echoed: list[str] = []
        self.errors: list[str] = []  # malformed or unexpected messages from the server
        self.started_at: float | None = None  # when chunk 1 was due
        self.closed_by_server = False
        self.close_code: int | None = None
        self.close_reason = ""

        self._ws: ClientConnection | None = None
        self._sequence = 0
        self._send_lock = asyncio.Lock()
        self.pump = MediaPump(self._send, closed_error=StreamCallError)
        self._closed = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._pump_task: asyncio.Task[None] | None = None

    @property
    def last_voice_sent_at(self) -> float | None:
        """When the last voiced frame was sent."""
        return self.pump.last_voice_sent_at

    @property
    def voice_onsets(self) -> list[float]:
        """When a voiced frame followed an unvoiced one."""
        return self.pump.voice_onsets

    @property
    def frames_sent(self) -> int:
        return self.pump.frames_sent

    @property
    def received(self) -> list[tuple[float, int]]:
        """(arrival, samples) of each bot media frame."""
        return self.playback.received

    @property
    def clears(self) -> list[float]:
        """When each ``clear`` arrived."""
        return self.playback.clears

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> StreamCaller:
        try:
            self._ws = await connect(
                self.ws_url,
                additional_headers={"X-Twilio-Signature": self.signature},
                user_agent_header="Twilio.TmeWs/1.0",
                compression=None,
                proxy=None,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise StreamRefused(
                f"server refused the stream handshake at {self.ws_url}: HTTP {status} "
                f"(is the signature over {self.public_ws_url} with the right auth token?)"
            ) from exc
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise StreamCallError(f"could not connect to {self.ws_url}: {exc}") from exc
        try:
            await self._ws.send(json.dumps(_CONNECTED))
            await self._send("start", {"start": self._start_body()})
        except ConnectionClosed as exc:
            await self._ws.close()
            self._record_close(self._ws)
            raise self._closed_error() from exc
        self.started_at = time.monotonic()
        self.playback.playhead_end = self.started_at
        self._tasks = [
            asyncio.create_task(self._receive()),
            asyncio.create_task(self.playback.echo_marks(self._echo_mark)),
        ]
        if self.realtime:
            self._pump_task = asyncio.create_task(self._pump())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pump_task is not None:
            self._pump_task.cancel()
            await asyncio.gather(self._pump_task, return_exceptions=True)
        ws = self._ws
        if ws is not None and not self._closed.is_set():
            self._closing = True
            with contextlib.suppress(ConnectionClosed):
                stop = {"accountSid": self.account_sid, "callSid": self.call_sid}
                await self._send("stop", {"stop": stop})
            await ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if ws is not None and not self._closed.is_set():
            self._record_close(ws)
        if exc_type is None and self.closed_by_server and self.close_code == POLICY_VIOLATION:
            raise self._closed_error()

    async def abort(self) -> None:
        """Drop the connection with no stop message and no close frame: a network failure."""
        self._closing = True
        if self._pump_task is not None:
            self._pump_task.cancel()
        if self._ws is not None:
            self._ws.transport.abort()
        with contextlib.suppress(TimeoutError):
            await self.wait_closed(timeout=5)

    def _start_body(self) -> dict[str, Any]:
        return {
            "accountSid": self.account_sid,
            "streamSid": self.stream_sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": PHONE_RATE, "channels": 1},
            "customParameters": dict(self.custom_parameters),
        }

    # -- the caller's side: audio and keys -----------------------------------------------------

    async def play(self, pcm16_8k: np.ndarray) -> float | None:
        """Say int16 8 kHz audio: 20 ms media frames, paced in real time when ``realtime``.

        Returns, once the last frame has been sent, when its first voiced frame was sent
        (``None`` for a clip without voice). Frames whose peak exceeds ``VOICE_PEAK`` count
        as voice and update ``last_voice_sent_at``. The send time, not the call of ``play``,
        is when the server could first hear the voice: a pump that fell behind catches up.
        """
        items = voiced_frames(pcm16_8k)
        if not items:
            return None
        before = len(self.voice_onsets)
        await self._stream(items)
        return self.voice_onsets[before] if len(self.voice_onsets) > before else None

    async def silence(self, seconds: float) -> None:
        """Send ``seconds`` of mu-law silence (rounded to 20 ms frames)."""
        count = max(0, round(seconds / FRAME_SECONDS))
        await self._stream([(SILENCE_FRAME, False)] * count)

    async def press(self, digit: str) -> None:
        """Send a ``dtmf`` event for one key (0-9, * or #)."""
        if digit not in DTMF_DIGITS or len(digit) != 1:
            raise ValueError(f"not a phone key: {digit!r}")
        self._check_open()
        try:
            await self._send("dtmf", {"dtmf": {"track": "inbound_track", "digit": digit}})
        except ConnectionClosed as exc:
            raise self._closed_error() from exc

    async def send_raw(self, data: str | bytes) -> None:
        """Send one frame as given (text or binary), unsequenced: for tests of what a server
        does with messages Twilio would never send."""
        self._check_open()
        assert self._ws is not None
        async with self._send_lock:
            try:
                await self._ws.send(data)
            except ConnectionClosed as exc:
                raise self._closed_error() from exc

    def say_wav(self, wav: bytes) -> np.ndarray:
        """The int16 8 kHz samples of WAV bytes (resampled if needed), ready for ``play``."""
        audio = read_wav(wav)
        return resample(audio.samples, audio.rate, PHONE_RATE)

    async def _stream(self, items: list[tuple[bytes, bool]]) -> None:
        self._check_open()
        if not items:
            return
        if not self.realtime:
            try:
                await self.pump.send_now(items)
            except ConnectionClosed as exc:
                raise self._closed_error() from exc
            return
        if self._pump_task is None or self._pump_task.done():
            raise self._closed_error()
        await self.pump.queue(items)

    async def _pump(self) -> None:
        assert self.started_at is not None
        with contextlib.suppress(ConnectionClosed):
            await self.pump.run(self.started_at)

    async def _send(self, event: str, body: dict[str, Any]) -> None:
        """Send one sequenced message; ``sequenceNumber`` counts every message after connected."""
        assert self._ws is not None
        async with self._send_lock:
            self._sequence += 1
            message = {"event": event, "sequenceNumber": str(self._sequence), **body}
            message["streamSid"] = self.stream_sid
            await self._ws.send(json.dumps(message))

    # -- Twilio's side: playing the bot's audio ------------------------------------------------

    async def _receive(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                await self._handle(raw)
        except ConnectionClosed:
            pass
        finally:
            self._record_close(self._ws)

    async def _handle(self, raw: str | bytes) -> None:
        if isinstance(raw, bytes):
            self._error(f"binary frame of {len(raw)} bytes (Twilio expects JSON text)")
            return
        try:
            message = parse_outbound(raw)
        except ProtocolError as exc:
            self._error(str(exc))
            return
        sid = getattr(message, "stream_sid", None)
        if sid is not None and sid != self.stream_sid:
            self._error(f"message for stream {sid}, this stream is {self.stream_sid}")
            return
        now = time.monotonic()
        if isinstance(message, OutboundMedia):
            self.playback.media(now, mulaw_decode(message.payload))
        elif isinstance(message, OutboundMark):
            self.playback.mark(message.name)
        elif isinstance(message, OutboundClear):
            for name in self.playback.clear(now):
                await self._echo_mark(name)
        else:
            self._error(f"unknown event {message.event!r}")

    async def _echo_mark(self, name: str) -> None:
        try:
            await self._send("mark", {"mark": {"name": name}})
        except ConnectionClosed:
            return
        self.marks_echoed.append(name)

    def _record_close(self, ws: ClientConnection) -> None:
        if self._closed.is_set():
            return
        self.close_code = ws.close_code
        self.close_reason = ws.close_reason or ""
        self.closed_by_server = not self._closing
        self._closed.set()
        self.playback.stop(time.monotonic())

    def _error(self, text: str) -> None:
        log.warning("stream %s: %s", self.stream_sid, text)
        self.errors.append(text)

    # -- measurements --------------------------------------------------------------------------

    def first_audio_after(self, t: float) -> float | None:
        """Arrival time of the first bot media frame received after ``t`` (monotonic s)."""
        return self.playback.first_audio_after(t)

    def played_audio(self) -> np.ndarray:
        """The bot audio the caller has heard so far (see ``Playback.played_audio``)."""
        return self.playback.played_audio()

    async def wait_for_audio(self, after: float, timeout: float) -> float:
        """Wait for the first bot media frame received after ``after``; return its arrival.

        Raises TimeoutError after ``timeout`` seconds, StreamCallError if the stream closes.
        """
        deadline = time.monotonic() + timeout
        while (arrival := self.first_audio_after(after)) is None:
            if self._closed.is_set():
                raise self._closed_error("before sending audio")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no audio from the server within {timeout} s")
            self.playback.audio_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.playback.audio_arrived.wait(), remaining)
        return arrival

    async def wait_until_quiet(self, quiet_s: float, timeout: float) -> float:
        """Wait until the bot has sent nothing and played nothing for ``quiet_s`` seconds.

        Returns when the quiet began (end of playback or last arrival, monotonic s). A closed
        stream is quiet. Raises TimeoutError after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            last_arrival = self.received[-1][0] if self.received else 0.0
            quiet_since = max(last_arrival, self.playback.playhead_end)
            now = time.monotonic()
            if self._closed.is_set():
                if self.close_code == POLICY_VIOLATION and self.closed_by_server:
                    raise self._closed_error()
                return min(quiet_since, now)
            if now - quiet_since >= quiet_s:
                return quiet_since
            if now >= deadline:
                raise TimeoutError(f"the bot was not quiet for {quiet_s} s within {timeout} s")
            wake = min(quiet_since + quiet_s, deadline) - now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), max(wake, 0.001))

    async def wait_closed(self, timeout: float) -> None:
        """Wait until the WebSocket is closed (by either side); TimeoutError otherwise."""
        await asyncio.wait_for(self._closed.wait(), timeout)

    def _check_open(self) -> None:
        if self._ws is None:
            raise StreamCallError("the stream is not open: use 'async with StreamCaller(...)'")
        if self._closed.is_set():
            raise self._closed_error()

    def _closed_error(self, when: str = "") -> StreamCallError:
        code, reason = self.close_code, self.close_reason
        detail = f"close code {code}" + (f" ({reason})" if reason else "")
        if code == POLICY_VIOLATION:
            return StreamRefused(
                f"server refused the stream at {self.ws_url}: {detail}; is the signature over "
                f"{self.public_ws_url} made with the server's auth token?"
            )
        return StreamCallError(
            f"the server closed the stream{' ' + when if when else ''}: {detail}"
        )
