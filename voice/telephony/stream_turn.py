"""A live caller turn on its way: queued, heard (from the speculative pass or afresh)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import numpy as np

from voice.calls.service import CallService, Heard
from voice.dialog.turns import Decision
from voice.errors import SpeechError
from voice.speech.audio import Audio
from voice.speech.stt import Transcript

log = logging.getLogger(__name__)


def loop_clock() -> float:
    """Instants of the call (end of speech, first reply frame) on the event loop's clock,
    the one the ``Player`` paces audio by: monotonic in a real call, virtual in the spoken
    evaluation. Compute times (``stt_ms``...) are measured with ``time.perf_counter``."""
    return asyncio.get_running_loop().time()


@dataclass(frozen=True)
class Timed:
    """A transcript and the recognition compute time it took (ms)."""

    transcript: Transcript
    ms: float


def done(timed: Timed) -> asyncio.Task[Timed]:
    """A finished task holding ``timed`` (a speculation already resolved)."""

    async def value() -> Timed:
        return timed

    return asyncio.ensure_future(value())


@dataclass(frozen=True)
class EarlyReply:
    """A speculation's answer, ready to begin: the decision and its first sentence's audio."""

    decision: Decision
    sentence: str
    mulaw: bytes


@dataclass
class Queued:
    """A caller turn waiting to be decided: keys, speech (maybe already transcribed or
    being transcribed speculatively), or nothing at all (a silent turn)."""

    digits: str = ""
    audio: np.ndarray | None = None
    speculative: asyncio.Task[Timed] | None = None
    heard: Heard | None = None
    voice_end: float | None = None  # loop_clock() of the caller's last voiced frame
    ending: dict[str, float] = field(default_factory=dict)  # {"end_<reading>_ms": waited}
    early: Decision | None = None  # the reply begun before the turn was taken


class Hearing:
    """Speech-to-text for one call's 8 kHz turns (the call service's engine), timed."""

    def __init__(self, calls: CallService, call_sid: str) -> None:
        self.calls = calls
        self.call_sid = call_sid

    async def transcribe(self, samples: np.ndarray) -> Timed:
        t0 = time.perf_counter()
        transcript = await self.calls.stt.transcribe(Audio(samples=samples, rate=8000))
        return Timed(transcript, round((time.perf_counter() - t0) * 1000, 1))

    async def hear(self, queued: Queued) -> Heard:
        """The turn's transcript: the speculative one if ready, else transcribed now.
        ``stt_ms`` is recognition compute time; ``stt_wait_ms`` what the turn waited for it."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        timed: Timed | None = None
        if queued.speculative is not None:
            with contextlib.suppress(SpeechError):
                timed = await queued.speculative
                timings["speculative"] = 1.0
        if timed is None:
            assert queued.audio is not None
            try:
                timed = await self.transcribe(queued.audio)
            except SpeechError as exc:
                log.error("call %s: could not transcribe: %s", self.call_sid, exc)
                return Heard(transcript=None, timings=timings, error=str(exc))
        timings["stt_wait_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        timings["stt_ms"] = timed.ms
        if timed.transcript.queued_s >= 0.001:  # waited for a free speech worker
            timings["stt_queue_ms"] = round(timed.transcript.queued_s * 1000, 1)
        return Heard(transcript=timed.transcript, timings=timings)
