"""One clip through a live call: the real ``StreamSession`` on the virtual clock.

The session is built as the Media Streams route builds it (same call service, reply audio,
player, metrics and settings); only the WebSocket is replaced by :class:`TwilioSide`. The
caller waits for the greeting to end, then the clip is streamed frame by frame, 20 ms of
audio per 20 ms of virtual time, followed by line silence until the bot has answered and
gone quiet (or closed the stream for a hand-over).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voice.deps import AppContext
from voice.simulator.spoken.clock import virtual_loop
from voice.simulator.spoken.line import TwilioSide
from voice.simulator.spoken.scoring import caller_speech
from voice.speech.codecs import mulaw_encode
from voice.store.tickets import BoundCall
from voice.telephony.player import Player
from voice.telephony.stream_session import StreamSession
from voice.telephony.stream_settings import stream_settings
from voice.turntaking.detector import SpeechStarted, TurnDetector, TurnEnded, TurnEvent
from voice.wire.media_stream import (
    FRAME_BYTES,
    MULAW_SILENCE,
    STREAM_TOKEN_PARAMETER,
    Mark,
    Media,
    MediaFormat,
    Start,
    Stop,
)

FRAME = 160  # samples per 20 ms frame
FRAME_S = 0.02
QUIET_AFTER_S = 1.0  # the bot counts as done once it has been quiet this long
MAX_WAIT_S = 30.0  # longest the caller waits for an answer after the clip
EARLY_MS = 64.0
_SILENCE = bytes([MULAW_SILENCE]) * FRAME_BYTES


@dataclass
class LiveHearing:
    """What one live call made of a clip."""

    call_sid: str
    clip_start_ms: float  # stream time of the clip's first sample
    starts_ms: list[float] = field(default_factory=list)  # SpeechStarted.at_ms, clip time
    turn_ends: list[TurnEnded] = field(default_factory=list)
    preroll_ms: float = 0.0
    record: dict[str, Any] = field(default_factory=dict)  # the stored call, as the API gives
    side: TwilioSide = field(default_factory=TwilioSide)
    interrupted_at_ms: float | None = None  # stream time the interruption clip began
    began: float = 0.0  # loop time of stream time 0
    early_cut: int = 0  # replies begun early and cut off because the caller went on

    def bot_audio_heard_after(self, stream_ms: float) -> float:
        """Milliseconds of bot audio the caller heard from ``stream_ms`` until the bot went
        quiet (the first ``clear`` after it), or to the end of the call if it never did."""
        start = self.began + stream_ms / 1000
        until = min((t for t in self.side.clears if t >= start), default=float("inf"))
        return 1000 * self.side.heard_between(start, until)

    def caller_turns(self) -> list[dict[str, Any]]:
        return caller_speech(self.record)


class _Observed:
    """The session's turn detector, with its events kept for the report."""

    def __init__(self, detector: TurnDetector, events: list[tuple[float, TurnEvent]]) -> None:
        self._detector = detector
        self._events = events

    def __getattr__(self, name: str) -> Any:  # in_speech, paused, silence_ms, reset...
        return getattr(self._detector, name)

    def push(self, frame: np.ndarray, now_ms: float) -> list[TurnEvent]:
        events = self._detector.push(frame, now_ms)
        self._events += [(now_ms, event) for event in events]
        return events

    def end_turn(self, now_ms: float) -> TurnEnded:
        event = self._detector.end_turn(now_ms)
        self._events.append((now_ms, event))
        return event


class LiveCall:
    """One simulated caller on one live stream; ``await hear(samples)`` once per call."""

    def __init__(
        self, ctx: AppContext, *, from_number: str = "+15005550199", to_number: str = ""
    ) -> None:
        self.ctx = ctx
        self.from_number = from_number
        self.to_number = to_number or "+15005550001"
        self.call_sid = "CA" + secrets.token_hex(16)
        self.stream_sid = "MZ" + secrets.token_hex(16)
        self._sequence = 0
        self._chunk = 0

    async def _answer(self) -> str:
        """What a signed ``/twilio/voice`` does before the stream: open the call, issue its
        stream ticket."""
        store = self.ctx.store
        await store.open_call(
            self.call_sid,
            account_sid=self.ctx.settings.twilio_account_sid,
            from_number=self.from_number,
            to_number=self.to_number,
            direction="inbound",
            status="in-progress",
        )
        token = secrets.token_urlsafe(32)
        if not await store.issue_stream_ticket(self.call_sid, token):
            raise RuntimeError(f"no stream ticket for the new call {self.call_sid}")
        return token

    async def _bind(self, start: Start) -> BoundCall:
        """What the WebSocket route does with ``start``: claim the ticket."""
        token = start.custom_parameters[STREAM_TOKEN_PARAMETER]
        claim = await self.ctx.store.claim_stream_ticket(
            token, call_sid=start.call_sid, stream_sid=start.stream_sid
        )
        if claim.call is None:
            raise RuntimeError(f"the stream of {start.call_sid} was refused: {claim.refusal}")
        return claim.call

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    async def hear(
        self,
        samples: np.ndarray,
        *,
        over: tuple[np.ndarray, float] | None = None,
        hang_up_s: float | None = None,
    ) -> LiveHearing:
        """Stream 8 kHz int16 ``samples`` after the greeting; the stored call comes back.

        ``over`` is ``(interruption, into_s)``: once the bot has been answering for
        ``into_s`` seconds, the caller talks over it with ``interruption``. ``hang_up_s``:
        the caller hangs up once the bot has been answering for that many seconds."""
        loop = virtual_loop()
        began = loop.time()
        side = TwilioSide()
        token = await self._answer()
        start = Start(
            sequence=self._next(),
            stream_sid=self.stream_sid,
            account_sid=self.ctx.settings.twilio_account_sid,
            call_sid=self.call_sid,
            tracks=("inbound",),
            custom_parameters={STREAM_TOKEN_PARAMETER: token},
            media_format=MediaFormat("audio/x-mulaw", 8000, 1),
        )
        settings = self.ctx.settings
        session = StreamSession(
            start,
            await self._bind(start),
            calls=self.ctx.calls,
            audio=self.ctx.sentence_audio,
            player=Player(start.stream_sid, side.send),
            close=side.close,
            metrics=self.ctx.metrics,
            settings=stream_settings(settings),
        )
        events: list[tuple[float, TurnEvent]] = []
        preroll_ms = session.detector.preroll_ms
        session.detector = _Observed(session.detector, events)  # type: ignore[assignment]
        await session.open()
        await self._wait_for_quiet(session, side)  # the greeting
        clip_start_ms = self._chunk * FRAME_S * 1000
        await self._play(session, side, samples)
        interrupted_at_ms = None
        if over is not None:
            interruption, into_s = over
            await self._wait_for_answer(session, side)
            for _ in range(round(into_s / FRAME_S)):
                await self._tick(session, side, _SILENCE)
            interrupted_at_ms = self._chunk * FRAME_S * 1000
            await self._play(session, side, interruption)
        if hang_up_s is None:
            await self._wait_for_quiet(session, side, heard_since=clip_start_ms)
        else:
            await self._wait_for_answer(session, side)
            for _ in range(round(hang_up_s / FRAME_S)):
                await self._tick(session, side, _SILENCE)
        await session.on_event(
            Stop(self._next(), self.stream_sid, start.account_sid, self.call_sid)
        )
        closing = asyncio.create_task(session.shutdown())
        while not closing.done():  # the clock goes on while the server winds the call up
            await loop.advance(FRAME_S)
        await closing
        await loop.settle()
        record = await self.ctx.store.get_call(self.call_sid) or {}
        hearing = LiveHearing(
            self.call_sid,
            clip_start_ms,
            preroll_ms=preroll_ms,
            record=record,
            side=side,
            interrupted_at_ms=interrupted_at_ms,
            began=began,
            early_cut=session.early_cut,
        )
        # (A voice that starts on the clip's first sample is dated up to one VAD chunk early.)
        since = clip_start_ms - EARLY_MS
        for _, event in events:
            if isinstance(event, SpeechStarted) and event.at_ms >= since:
                hearing.starts_ms.append(event.at_ms - clip_start_ms)
            elif isinstance(event, TurnEnded) and event.at_ms >= since:
                hearing.turn_ends.append(event)
        return hearing

    async def _play(self, session: StreamSession, side: TwilioSide, samples: np.ndarray) -> None:
        padded = np.concatenate([samples, np.zeros(-len(samples) % FRAME, dtype=np.int16)])
        for index in range(0, len(padded), FRAME):
            await self._tick(session, side, mulaw_encode(padded[index : index + FRAME]))

    async def _wait_for_answer(self, session: StreamSession, side: TwilioSide) -> None:
        loop = virtual_loop()
        waited = 0.0
        while not side.speaking(loop.time()) and waited < MAX_WAIT_S and side.closed_at is None:
            await self._tick(session, side, _SILENCE)
            waited += FRAME_S

    async def _tick(self, session: StreamSession, side: TwilioSide, payload: bytes) -> None:
        loop = virtual_loop()
        for name in side.marks_due(loop.time()):
            await session.on_event(Mark(self._next(), self.stream_sid, name))
        self._chunk += 1
        media = Media(
            sequence=self._next(),
            stream_sid=self.stream_sid,
            track="inbound",
            chunk=self._chunk,
            timestamp_ms=round(self._chunk * FRAME_S * 1000),
            payload=payload,
        )
        await session.on_event(media)
        await loop.advance(FRAME_S)

    async def _wait_for_quiet(
        self, session: StreamSession, side: TwilioSide, heard_since: float | None = None
    ) -> None:
        """Line silence until the bot has spoken (after ``heard_since``, stream ms) and then
        been quiet for ``QUIET_AFTER_S``, or the stream closed, or ``MAX_WAIT_S``."""
        loop = virtual_loop()
        began = loop.time()
        quiet = 0.0
        answered = heard_since is None
        while loop.time() - began < MAX_WAIT_S and side.closed_at is None:
            busy = session.player.speaking or side.speaking(loop.time())
            if busy:
                answered, quiet = True, 0.0
            else:
                quiet += FRAME_S
            if answered and quiet >= QUIET_AFTER_S:
                return
            await self._tick(session, side, _SILENCE)
