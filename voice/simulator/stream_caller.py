"""A fake Twilio Media Streams peer: a caller on a bidirectional ``<Connect><Stream>``.

It connects to our WebSocket the way Twilio does (``X-Twilio-Signature`` over the public
``wss://`` URL with empty params), sends ``connected`` and ``start``, then streams the
caller's audio as 20 ms ``media`` frames of 8 kHz mu-law. Like a real call, media never
pauses: in real-time mode a background sender streams silence whenever the caller is not
speaking, on an absolute 20 ms clock, so the server always has a clock.

The bot's audio is "played" the way Twilio plays it: from the moment it arrives, at 8000
samples a second, queued behind whatever is still playing. A ``mark`` is echoed when
playback reaches it; a ``clear`` drops unplayed audio and echoes all pending marks at once.
When the WebSocket closes, playback stops there (the call moves on to the next TwiML verb).
Everything is timestamped with ``time.monotonic()`` for latency measurements.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from voice.errors import VoiceError
from voice.speech.codecs import PHONE_RATE, mulaw_decode, mulaw_encode, read_wav, resample
from voice.wire.media_stream import (
    FRAME_BYTES,
    FRAME_SECONDS,
    MULAW_SILENCE,
    OutboundClear,
    OutboundMark,
    OutboundMedia,
    ProtocolError,
    frames,
    parse_outbound,
)

log = logging.getLogger(__name__)

VOICE_PEAK = 100
"""int16 peak above which a sent frame counts as voice (about -50 dBFS)."""
POLICY_VIOLATION = 1008
"""The close code a server uses to refuse a stream whose signature does not validate."""
DTMF_DIGITS = frozenset("0123456789*#")
_SILENCE_FRAME = bytes([MULAW_SILENCE]) * FRAME_BYTES


class StreamCallError(VoiceError):
    """The simulated stream could not go on (connection failed or closed)."""


class StreamRefused(StreamCallError):
    """The server refused the stream: HTTP rejection or close code 1008."""


@dataclass
class _Segment:
    """Bot audio scheduled to play from ``start`` (monotonic s), int16 at 8 kHz."""

    start: float
    samples: np.ndarray


_Outgoing = tuple[bytes, bool, "asyncio.Future[None] | None"]


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
        from_number: str = "+15005550006",
        custom_parameters: dict[str, str] | None = None,
        realtime: bool = True,
    ) -> None:
        self.ws_url = ws_url
        self.public_ws_url = public_ws_url
        self.account_sid = account_sid
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.stream_sid = "MZ" + secrets.token_hex(16)
        self.custom_parameters = {"From": from_number, **(custom_parameters or {})}
        self.realtime = realtime
        self.signature: str = RequestValidator(auth_token).compute_signature(public_ws_url, {})

        # Measurements (monotonic seconds).
        self.received: list[tuple[float, int]] = []  # (arrival, samples) per bot media frame
        self.clears: list[float] = []
        self.marks_echoed: list[str] = []
        self.errors: list[str] = []  # malformed or unexpected messages from the server
        self.last_voice_sent_at: float | None = None
        self.voice_onsets: list[float] = []  # when a voiced frame followed an unvoiced one
        self._last_sent_voiced = False
        self.frames_sent = 0
        self.started_at: float | None = None  # when chunk 1 was due
        self.closed_by_server = False
        self.close_code: int | None = None
        self.close_reason = ""

        self._ws: ClientConnection | None = None
        self._sequence = 0
        self._send_lock = asyncio.Lock()
        self._media_lock = asyncio.Lock()  # one media sender at a time keeps chunks in order
        self._outgoing: deque[_Outgoing] = deque()
        self._segments: list[_Segment] = []
        self._playhead_end = 0.0  # when the buffered bot audio will have finished
        self._pending_marks: deque[tuple[float, str]] = deque()  # (due, name)
        self._wake_player = asyncio.Event()
        self._audio_arrived = asyncio.Event()
        self._closed = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._pump_task: asyncio.Task[None] | None = None

    # -----------------------------------------------------------------------------------------
    # Lifecycle

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
            await self._ws.send(json.dumps(_connected()))
            await self._send("start", {"start": self._start_body()})
        except ConnectionClosed as exc:
            await self._ws.close()
            self._record_close(self._ws)
            raise self._closed_error() from exc
        self.started_at = time.monotonic()
        self._playhead_end = self.started_at
        self._tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._player())]
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

    # -----------------------------------------------------------------------------------------
    # The caller's side: audio and keys

    async def play(self, pcm16_8k: np.ndarray) -> float | None:
        """Say int16 8 kHz audio: 20 ms media frames, paced in real time when ``realtime``.

        Returns, once the last frame has been sent, when its first voiced frame was sent
        (``None`` for a clip without voice). Frames whose peak exceeds ``VOICE_PEAK`` count
        as voice and update ``last_voice_sent_at``. The send time, not the call of ``play``,
        is when the server could first hear the voice: a pump that fell behind catches up.
        """
        pcm = np.asarray(pcm16_8k, dtype=np.int16)
        if pcm.ndim != 1:
            raise ValueError(f"play() needs 1-D int16 audio at 8 kHz, got {pcm.ndim}-D")
        chunks = frames(mulaw_encode(pcm))
        if not chunks:
            return None
        padded = np.zeros(len(chunks) * FRAME_BYTES, dtype=np.int32)
        padded[: len(pcm)] = pcm
        peaks = np.abs(padded.reshape(-1, FRAME_BYTES)).max(axis=1)
        before = len(self.voice_onsets)
        await self._stream([(c, bool(p > VOICE_PEAK)) for c, p in zip(chunks, peaks, strict=True)])
        return self.voice_onsets[before] if len(self.voice_onsets) > before else None

    async def silence(self, seconds: float) -> None:
        """Send ``seconds`` of mu-law silence (rounded to 20 ms frames)."""
        count = max(0, round(seconds / FRAME_SECONDS))
        await self._stream([(_SILENCE_FRAME, False)] * count)

    async def press(self, digit: str) -> None:
        """Send a ``dtmf`` event for one key (0-9, * or #)."""
        if digit not in DTMF_DIGITS or len(digit) != 1:
            raise ValueError(f"not a phone key: {digit!r}")
        self._check_open()
        try:
            await self._send("dtmf", {"dtmf": {"track": "inbound_track", "digit": digit}})
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
                async with self._media_lock:
                    for frame, voiced in items:
                        await self._send_media(frame, voiced)
            except ConnectionClosed as exc:
                raise self._closed_error() from exc
            return
        if self._pump_task is None or self._pump_task.done():
            raise self._closed_error()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for frame, voiced in items[:-1]:
            self._outgoing.append((frame, voiced, None))
        self._outgoing.append((items[-1][0], items[-1][1], done))
        await done

    async def _pump(self) -> None:
        """Real-time sender: one frame every 20 ms on an absolute clock, silence when idle."""
        assert self.started_at is not None
        try:
            while True:
                delay = self.started_at + self.frames_sent * FRAME_SECONDS - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                item = self._outgoing[0] if self._outgoing else None
                frame, voiced = (item[0], item[1]) if item else (_SILENCE_FRAME, False)
                await self._send_media(frame, voiced)
                if item is not None:
                    self._outgoing.popleft()
                    if item[2] is not None and not item[2].done():
                        item[2].set_result(None)
        except ConnectionClosed:
            pass
        finally:
            while self._outgoing:
                _, _, done = self._outgoing.popleft()
                if done is not None and not done.done():
                    done.set_exception(
                        StreamCallError("the stream ended before the audio was sent")
                    )

    async def _send_media(self, frame: bytes, voiced: bool) -> None:
        chunk = self.frames_sent + 1
        media = {
            "track": "inbound",
            "chunk": str(chunk),
            "timestamp": str((chunk - 1) * round(FRAME_SECONDS * 1000)),
            "payload": base64.b64encode(frame).decode("ascii"),
        }
        self.frames_sent = chunk
        await self._send("media", {"media": media})
        if voiced:
            self.last_voice_sent_at = time.monotonic()
            if not self._last_sent_voiced:
                self.voice_onsets.append(self.last_voice_sent_at)
        self._last_sent_voiced = voiced

    async def _send(self, event: str, body: dict[str, Any]) -> None:
        """Send one sequenced message; ``sequenceNumber`` counts every message after connected."""
        assert self._ws is not None
        async with self._send_lock:
            self._sequence += 1
            message = {"event": event, "sequenceNumber": str(self._sequence), **body}
            message["streamSid"] = self.stream_sid
            await self._ws.send(json.dumps(message))

    # -----------------------------------------------------------------------------------------
    # Twilio's side: playing the bot's audio

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
            samples = mulaw_decode(message.payload)
            self.received.append((now, len(samples)))
            start = max(now, self._playhead_end)
            self._segments.append(_Segment(start, samples))
            self._playhead_end = start + len(samples) / PHONE_RATE
            self._audio_arrived.set()
        elif isinstance(message, OutboundMark):
            self._pending_marks.append((self._playhead_end, message.name))
            self._wake_player.set()
        elif isinstance(message, OutboundClear):
            self.clears.append(now)
            self._truncate(now)
            pending = [name for _, name in self._pending_marks]
            self._pending_marks.clear()
            for name in pending:
                await self._echo_mark(name)
        else:
            self._error(f"unknown event {message.event!r}")

    async def _player(self) -> None:
        """Echo each mark once playback has reached it."""
        while True:
            if not self._pending_marks:
                self._wake_player.clear()
                await self._wake_player.wait()
                continue
            due, name = self._pending_marks[0]
            delay = due - time.monotonic()
            if delay > 0:
                self._wake_player.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake_player.wait(), delay)
                continue
            self._pending_marks.popleft()
            await self._echo_mark(name)

    async def _echo_mark(self, name: str) -> None:
        try:
            await self._send("mark", {"mark": {"name": name}})
        except ConnectionClosed:
            return
        self.marks_echoed.append(name)

    def _truncate(self, at: float) -> None:
        """Drop bot audio that would play at or after ``at`` (monotonic s)."""
        while self._segments and self._segments[-1].start >= at:
            self._segments.pop()
        if self._segments:
            last = self._segments[-1]
            keep = int((at - last.start) * PHONE_RATE)
            if keep < len(last.samples):
                last.samples = last.samples[:keep]
        self._playhead_end = min(self._playhead_end, at)

    def _record_close(self, ws: ClientConnection) -> None:
        if self._closed.is_set():
            return
        self._truncate(time.monotonic())
        self._pending_marks.clear()
        self.close_code = ws.close_code
        self.close_reason = ws.close_reason or ""
        self.closed_by_server = not self._closing
        self._closed.set()
        self._audio_arrived.set()
        self._wake_player.set()

    def _error(self, text: str) -> None:
        log.warning("stream %s: %s", self.stream_sid, text)
        self.errors.append(text)

    # -----------------------------------------------------------------------------------------
    # Measurements

    def first_audio_after(self, t: float) -> float | None:
        """Arrival time of the first bot media frame received after ``t`` (monotonic s)."""
        index = bisect.bisect_right(self.received, t, key=lambda r: r[0])
        return self.received[index][0] if index < len(self.received) else None

    def played_audio(self) -> np.ndarray:
        """The bot audio the caller has heard so far, int16 8 kHz, gaps between replies removed.

        Audio dropped by a ``clear`` or still buffered is not included.
        """
        now = time.monotonic()
        heard = [
            s.samples[: max(0, min(len(s.samples), int((now - s.start) * PHONE_RATE)))]
            for s in self._segments
        ]
        return np.concatenate(heard) if heard else np.zeros(0, dtype=np.int16)

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
            self._audio_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._audio_arrived.wait(), remaining)
        return arrival

    async def wait_until_quiet(self, quiet_s: float, timeout: float) -> float:
        """Wait until the bot has sent nothing and played nothing for ``quiet_s`` seconds.

        Returns when the quiet began (end of playback or last arrival, monotonic s). A closed
        stream is quiet. Raises TimeoutError after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            last_arrival = self.received[-1][0] if self.received else 0.0
            quiet_since = max(last_arrival, self._playhead_end)
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

    # -----------------------------------------------------------------------------------------

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


def _connected() -> dict[str, str]:
    """Twilio's first message; the only one without ``sequenceNumber`` or ``streamSid``."""
    return {"event": "connected", "protocol": "Call", "version": "1.0.0"}
