"""Playing the bot's speech into a Media Stream: paced, marked, pausable.

Audio is sent in 20 ms mu-law frames at most ``lead_ms`` ahead of real time, so Twilio
never holds more than that: ``pause`` (a possible barge-in) silences the caller's ear within
one lead plus a network hop, and the service always knows what was actually heard. After
each sentence a ``mark`` is sent; Twilio echoes it when playback reaches it. Marks that
were pending when we sent ``clear`` are echoed too, but were not heard: they are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from voice.wire.media_stream import clear_message, frames, mark_message, media_message

log = logging.getLogger(__name__)

FRAME_MS = 20
Send = Callable[[str], Awaitable[None]]


@dataclass
class Sentence:
    text: str
    frames: list[bytes]
    mark: str = ""
    heard: bool = False  # its mark came back before any clear


@dataclass
class PlaybackReport:
    """What the caller heard of one reply."""

    heard: list[str] = field(default_factory=list)
    interrupted: bool = False
    first_frame_at: float | None = None  # event loop time of the first frame sent
    played_ms: float = 0.0


class Player:
    def __init__(self, stream_sid: str, send: Send, *, lead_ms: int = 100) -> None:
        self.stream_sid = stream_sid
        self._send = send
        self._lead_s = lead_ms / 1000
        self._sentences: list[Sentence] = []
        self._index = 0  # sentence being played
        self._frame = 0  # next frame of that sentence
        self._pending_marks: dict[str, Sentence] = {}
        self._marks = itertools.count(1)
        self._wake = asyncio.Event()
        self._paused = False
        self._closed = False
        self._report = PlaybackReport()
        self._drained = asyncio.Event()
        self._drained.set()
        self._task: asyncio.Task[None] | None = None
        self._generation = 0  # bumped by pause/stop so an in-flight send is not counted
        self._paused_partial = ""  # the words of the sentence cut short by the last pause
        self._paused_at = -1  # the sentence it was on

    # -- state --------------------------------------------------------------------------

    @property
    def speaking(self) -> bool:
        """True while a reply is being sent or its last marks are not back yet."""
        return not self._drained.is_set()

    @property
    def paused(self) -> bool:
        return self._paused

    # -- control ------------------------------------------------------------------------

    def begin(self) -> None:
        """Start a new reply (the previous one must be finished or stopped)."""
        self._sentences, self._index, self._frame = [], 0, 0
        self._report = PlaybackReport()
        self._paused, self._paused_partial, self._paused_at = False, "", -1
        self._drained.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"player-{self.stream_sid}")

    def add(self, text: str, mulaw: bytes) -> None:
        """Queue one sentence of the current reply (8 kHz mu-law bytes)."""
        self._sentences.append(Sentence(text=text, frames=frames(mulaw)))
        self._wake.set()

    def finish(self) -> None:
        """No more sentences for this reply; ``wait`` returns once they are heard."""
        self._sentences.append(Sentence(text="", frames=[]))  # end marker
        self._wake.set()

    async def pause(self) -> None:
        """Stop the caller hearing us now (clear); ``resume`` restarts the sentence."""
        if not self.speaking or self._paused:
            return
        partial = self._partial()
        if self._paused_at == self._index and len(self._paused_partial) > len(partial):
            partial = self._paused_partial  # resumed from the start of the same sentence
        self._paused_partial, self._paused_at = partial, self._index
        self._paused = True
        self._generation += 1
        # Resume from the first sentence not known to be heard (its tail may be cleared).
        pending = [
            i
            for i, s in enumerate(self._sentences)
            if any(s is p for p in self._pending_marks.values())
        ]
        if pending:
            self._index = min(pending)
        self._frame = 0
        await self._clear()

    async def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._wake.set()

    async def stop(self) -> PlaybackReport:
        """Abandon the rest of the reply; what was heard is reported, the sentence cut
        short included (its words in proportion to the audio the caller heard, then "...")."""
        if self.speaking:
            partial = self._paused_partial if self._paused else self._partial()
            await self._clear()
            self._report.interrupted = True
            if partial:
                self._report.heard.append(partial)
            self._finish_reply()
        return self._report

    def _partial(self) -> str:
        if self._index >= len(self._sentences):
            return ""
        sentence = self._sentences[self._index]
        lead_frames = round(self._lead_s * 1000 / FRAME_MS)
        heard_frames = max(0, self._frame - lead_frames)
        if not sentence.frames or heard_frames == 0:
            return ""
        words = sentence.text.split()
        count = round(len(words) * heard_frames / len(sentence.frames))
        return " ".join(words[:count]) + "..." if count else ""

    async def wait(self, timeout: float | None = None) -> PlaybackReport:
        """Until the current reply has been heard (all marks back) or stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), timeout)
        return self._report

    def on_mark(self, name: str) -> None:
        sentence = self._pending_marks.pop(name, None)
        if sentence is None:
            return  # a mark from before a clear: not heard
        sentence.heard = True
        self._report.heard.append(sentence.text)
        self._check_drained()

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):  # _run ends send errors itself
                await self._task
        self._finish_reply()

    # -- the sending loop -----------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._play()
        except Exception as exc:  # the socket is gone (hang-up): nothing more can be heard
            log.info("playback on %s ended: %s: %s", self.stream_sid, type(exc).__name__, exc)
            self._closed = True
            if self.speaking:
                self._report.interrupted = True
                self._finish_reply()

    async def _play(self) -> None:
        # The event loop's clock paces the audio (a virtual one in the spoken evaluation).
        now = asyncio.get_running_loop().time
        clock_start = now()
        sent_s = 0.0  # audio sent since clock_start, seconds
        while not self._closed:
            if self._paused or self._index >= len(self._sentences):
                self._wake.clear()
                await self._wake.wait()
                clock_start, sent_s = now(), 0.0
                continue
            sentence = self._sentences[self._index]
            if not sentence.frames and not sentence.text:  # end marker
                self._index += 1
                self._check_drained()
                continue
            if self._frame >= len(sentence.frames):
                sentence.mark = f"m{next(self._marks)}"
                self._pending_marks[sentence.mark] = sentence
                self._index, self._frame = self._index + 1, 0
                await self._send(mark_message(self.stream_sid, sentence.mark))
                continue
            ahead = sent_s - (now() - clock_start)
            if ahead > self._lead_s:
                await asyncio.sleep(ahead - self._lead_s)
                continue
            if self._report.first_frame_at is None:
                self._report.first_frame_at = now()
            generation = self._generation
            await self._send(media_message(self.stream_sid, sentence.frames[self._frame]))
            if generation != self._generation:
                continue  # paused or stopped meanwhile: positions were reset
            self._frame += 1
            sent_s += FRAME_MS / 1000
            self._report.played_ms += FRAME_MS

    async def _clear(self) -> None:
        self._pending_marks.clear()
        try:
            await self._send(clear_message(self.stream_sid))
        except Exception:  # the socket may be gone; nothing left to silence
            log.debug("clear not sent on %s", self.stream_sid)

    def _check_drained(self) -> None:
        ended = self._index >= len(self._sentences) and (
            not self._sentences or not self._sentences[-1].text
        )
        if ended and not self._pending_marks:
            self._finish_reply()

    def _finish_reply(self) -> None:
        self._generation += 1
        self._sentences, self._index, self._frame = [], 0, 0
        self._paused = False
        self._drained.set()
