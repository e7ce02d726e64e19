"""Twilio's side of a simulated media stream: the bot's audio played as Twilio plays it.

Audio plays from the moment it arrives, at 8000 samples a second, queued behind whatever
is still playing. A ``mark`` is echoed when playback reaches it; a ``clear`` drops unplayed
audio and echoes all pending marks at once. Times are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from voice.speech.codecs import PHONE_RATE

Echo = Callable[[str], Awaitable[None]]


@dataclass
class _Segment:
    """Bot audio scheduled to play from ``start`` (monotonic s), int16 at 8 kHz."""

    start: float
    samples: np.ndarray


class Playback:
    """The bot audio of one stream: what arrived, what played, and the marks to echo."""

    def __init__(self) -> None:
        self.received: list[tuple[float, int]] = []  # (arrival, samples) per bot media frame
        self.clears: list[float] = []
        self.playhead_end = 0.0  # when the buffered bot audio will have finished
        self.audio_arrived = asyncio.Event()
        self._segments: list[_Segment] = []
        self._pending_marks: deque[tuple[float, str]] = deque()  # (due, name)
        self._wake = asyncio.Event()

    def media(self, now: float, samples: np.ndarray) -> None:
        """A media message arrived: its samples play once the audio before them has."""
        self.received.append((now, len(samples)))
        start = max(now, self.playhead_end)
        self._segments.append(_Segment(start, samples))
        self.playhead_end = start + len(samples) / PHONE_RATE
        self.audio_arrived.set()

    def mark(self, name: str) -> None:
        """A mark arrived: it is echoed when the audio before it has played."""
        self._pending_marks.append((self.playhead_end, name))
        self._wake.set()

    def clear(self, now: float) -> list[str]:
        """A clear arrived: unplayed audio is dropped; the pending marks, to echo now."""
        self.clears.append(now)
        self.truncate(now)
        pending = [name for _, name in self._pending_marks]
        self._pending_marks.clear()
        return pending

    def stop(self, now: float) -> None:
        """The stream closed: playback stops there, and no mark is echoed any more."""
        self.truncate(now)
        self._pending_marks.clear()
        self.audio_arrived.set()
        self._wake.set()

    async def echo_marks(self, echo: Echo) -> None:
        """Echo each mark once playback has reached it (until cancelled)."""
        while True:
            if not self._pending_marks:
                self._wake.clear()
                await self._wake.wait()
                continue
            due, name = self._pending_marks[0]
            delay = due - time.monotonic()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            self._pending_marks.popleft()
            await echo(name)

    def truncate(self, at: float) -> None:
        """Drop bot audio that would play at or after ``at`` (monotonic s)."""
        while self._segments and self._segments[-1].start >= at:
            self._segments.pop()
        if self._segments:
            last = self._segments[-1]
            keep = int((at - last.start) * PHONE_RATE)
            if keep < len(last.samples):
                last.samples = last.samples[:keep]
        self.playhead_end = min(self.playhead_end, at)

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
