"""End-of-turn detection: a pure state machine over the caller's 20 ms frames.

Fed 8 kHz int16 frames and the stream time of each frame's end, :class:`TurnDetector`
runs them through a :class:`~voice.speech.vad.StreamingVAD` and reports when the caller
starts talking, pauses (a chance to transcribe speculatively), resumes and finishes a turn.
Internally every time is a sample index of the 8 kHz stream, so the result depends only on
the audio and never on the wall clock; event times are converted to the caller's stream
milliseconds (``now_ms``).

Non-speech audio (tones, DTMF, hold music, line noise, a cough) is rejected by Silero
itself: on the test signals its probability stays below 0.25, far from the 0.5 threshold,
so no extra spectral guard is applied.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

import numpy as np

from voice.errors import ConfigError
from voice.speech.vad import INPUT_RATE, StreamingVAD

HYSTERESIS = 0.15
"""Once voiced, a chunk stays voiced until its probability falls below threshold - 0.15."""
RESUME_MS = 90
"""Voice after a gap must last this long before it counts as part of the utterance again."""
TRAIL_MS = 200
"""Silence kept after the last voiced chunk in the audio of pause and end events."""


@dataclass(frozen=True)
class SpeechStarted:
    """Voice lasted ``start_ms``; ``at_ms`` is the stream time the voice began."""

    at_ms: float


@dataclass(frozen=True, eq=False)
class SpeechPaused:
    """Silence after speech reached ``pause_ms``; ``at_ms`` is when that was detected.

    ``audio`` (int16, 8 kHz) is the utterance so far: ``preroll_ms`` before the voice began
    through 200 ms after the last voiced chunk, for speculative transcription.
    """

    at_ms: float
    audio: np.ndarray


@dataclass(frozen=True)
class SpeechResumed:
    """Voice came back after a :class:`SpeechPaused`; ``at_ms`` is when it began again."""

    at_ms: float


@dataclass(frozen=True, eq=False)
class TurnEnded:
    """Silence reached ``end_ms``, the turn reached ``max_turn_s``, or the end-of-turn policy
    ended it (:meth:`TurnDetector.end_turn`).

    ``at_ms`` is the stream time of the decision, ``last_voice_ms`` the end of the last
    voiced chunk (so ``at_ms - last_voice_ms`` is the endpointing latency), ``speech_ms``
    the time from the voice's start to ``last_voice_ms``. ``audio`` (int16, 8 kHz) is the
    whole utterance with ``preroll_ms`` before it and at most 200 ms of trailing silence.
    """

    at_ms: float
    audio: np.ndarray
    speech_ms: float
    last_voice_ms: float


TurnEvent = SpeechStarted | SpeechPaused | SpeechResumed | TurnEnded


class _Phase(enum.Enum):
    IDLE = "idle"
    SPEAKING = "speaking"
    PAUSED = "paused"  # SpeechPaused was emitted; still inside the turn


class TurnDetector:
    """Turns of one caller's audio stream. Not thread-safe; one per call.

    Times are milliseconds. Voice shorter than ``start_ms`` (a click, a cough) produces no
    event at all. The VAD's granularity is 32 ms, so times are accurate to one chunk plus
    the resampler's delay of a few milliseconds.
    """

    def __init__(
        self,
        vad: StreamingVAD,
        *,
        start_ms: int = 200,
        pause_ms: int = 250,
        end_ms: int = 600,
        max_turn_s: float = 30.0,
        preroll_ms: int = 300,
    ) -> None:
        if not (start_ms > 0 and 0 < pause_ms < end_ms and max_turn_s > 0 and preroll_ms >= 0):
            raise ConfigError(
                "TurnDetector needs start_ms > 0, 0 < pause_ms < end_ms, max_turn_s > 0 and "
                f"preroll_ms >= 0; got {start_ms=}, {pause_ms=}, {end_ms=}, {max_turn_s=}, "
                f"{preroll_ms=}"
            )
        per_ms = INPUT_RATE // 1000
        self._vad = vad
        self._on = vad.threshold
        self._off = max(vad.threshold - HYSTERESIS, 0.01)
        self._chunk = round(vad.frame_ms * per_ms)
        self._start = start_ms * per_ms
        self._resume = min(RESUME_MS, start_ms) * per_ms
        self._pause = pause_ms * per_ms
        self._end = end_ms * per_ms
        self._max = round(max_turn_s * INPUT_RATE)
        self._preroll = preroll_ms * per_ms
        self._trail = TRAIL_MS * per_ms
        self._keep = self._preroll + self._start + 4 * self._chunk
        self.reset()

    @property
    def preroll_ms(self) -> float:
        """Audio kept from before the voice's detected start in pause and end events."""
        return self._preroll * 1000 / INPUT_RATE

    @property
    def in_speech(self) -> bool:
        """True from :class:`SpeechStarted` until :class:`TurnEnded`."""
        return self._phase is not _Phase.IDLE

    @property
    def paused(self) -> bool:
        """True between :class:`SpeechPaused` and the next resume or end of the turn."""
        return self._phase is _Phase.PAUSED

    @property
    def silence_ms(self) -> float:
        """Silence since the last voiced chunk of the utterance, up to the last chunk scored
        (0 while idle)."""
        if self._phase is _Phase.IDLE:
            return 0.0
        return (self._chunks * self._chunk - self._last_voice) * 1000 / INPUT_RATE

    def end_turn(self, now_ms: float) -> TurnEnded:
        """End the paused turn now (the end-of-turn policy decided it is over), as if the
        silence had reached ``end_ms``. ``RuntimeError`` unless :attr:`paused`."""
        if self._phase is not _Phase.PAUSED:
            raise RuntimeError("end_turn needs a paused turn")
        return self._finish(now_ms)

    def close(self, now_ms: float) -> TurnEnded | None:
        """The stream ended: the utterance under way (voiced or paused), if any, as its last
        turn, so what the caller said before hanging up is not lost."""
        return self._finish(now_ms) if self._phase is not _Phase.IDLE else None

    def reset(self) -> None:
        """Forget the stream (and reset the VAD): the next frame starts a new stream."""
        self._vad.reset()
        self._phase = _Phase.IDLE
        self._samples_in = 0  # samples pushed so far
        self._offset_ms = 0.0  # stream ms of sample 0
        self._chunks = 0  # VAD chunks scored so far
        self._voiced = False
        self._run_start: int | None = None  # first sample of the current voiced run
        self._run_counted = False  # the run is part of the utterance
        self._speech_start = 0
        self._last_voice = 0  # sample after the last counted voiced chunk
        self._history: deque[np.ndarray] = deque()
        self._history_start = 0  # sample index of history[0][0]

    def push(self, frame: np.ndarray, now_ms: float) -> list[TurnEvent]:
        """Feed int16 samples at 8 kHz (normally 160); ``now_ms`` is the stream time of the
        frame's end. Returns the events this frame completed, oldest first."""
        samples = np.asarray(frame, dtype=np.int16).reshape(-1)
        self._history.append(samples)
        self._samples_in += len(samples)
        self._offset_ms = now_ms - self._samples_in * 1000 / INPUT_RATE
        events: list[TurnEvent] = []
        for probability in self._vad.push(samples):
            start = self._chunks * self._chunk
            self._chunks += 1
            self._step(probability, start, start + self._chunk, now_ms, events)
        if self._phase is _Phase.IDLE:
            self._trim()
        return events

    def _step(self, p: float, start: int, end: int, now_ms: float, out: list[TurnEvent]) -> None:
        self._voiced = p >= (self._off if self._voiced else self._on)
        if self._voiced:
            if self._run_start is None:
                self._run_start, self._run_counted = start, False
            run = end - self._run_start
            if self._phase is _Phase.IDLE:
                if run >= self._start:
                    self._phase, self._run_counted = _Phase.SPEAKING, True
                    self._speech_start = self._last_voice = self._run_start
                    out.append(SpeechStarted(self._ms(self._run_start)))
            elif self._run_counted or run >= self._resume:
                if self._phase is _Phase.PAUSED:
                    self._phase = _Phase.SPEAKING
                    out.append(SpeechResumed(self._ms(self._run_start)))
                self._run_counted, self._last_voice = True, end
        else:
            self._run_start = None
            if self._phase is not _Phase.IDLE:
                silence = end - self._last_voice
                if silence >= self._end:
                    out.append(self._finish(now_ms))
                    return
                if self._phase is _Phase.SPEAKING and silence >= self._pause:
                    self._phase = _Phase.PAUSED
                    out.append(SpeechPaused(now_ms, self._utterance()))
        if self._phase is not _Phase.IDLE and end - self._speech_start >= self._max:
            if self._voiced and self._run_counted:
                self._last_voice = end
            out.append(self._finish(now_ms))
            self._run_start = None  # voice that goes on must start a new turn

    def _finish(self, now_ms: float) -> TurnEnded:
        event = TurnEnded(
            at_ms=now_ms,
            audio=self._utterance(),
            speech_ms=(self._last_voice - self._speech_start) * 1000 / INPUT_RATE,
            last_voice_ms=self._ms(self._last_voice),
        )
        self._phase = _Phase.IDLE
        return event

    def _utterance(self) -> np.ndarray:
        """Samples from ``preroll`` before the voice began to ``TRAIL_MS`` after it ended."""
        first = max(self._speech_start - self._preroll, self._history_start)
        last = min(self._last_voice + self._trail, self._samples_in)
        stored = np.concatenate(list(self._history))
        start = first - self._history_start
        return stored[start : start + max(last - first, 0)].copy()

    def _trim(self) -> None:
        """While idle keep only what a future preroll can reach."""
        oldest = self._samples_in - self._keep
        while self._history and self._history_start + len(self._history[0]) <= oldest:
            self._history_start += len(self._history.popleft())

    def _ms(self, sample: int) -> float:
        return self._offset_ms + sample * 1000 / INPUT_RATE
