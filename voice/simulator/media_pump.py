"""The simulated caller's audio on a media stream: 20 ms ``media`` frames of 8 kHz mu-law.

Like a real call, media never pauses: in real-time mode ``run`` sends one frame every 20 ms
on an absolute clock, silence whenever the caller is not speaking, so the server always
has a clock. Otherwise frames go out as fast as they are given. Times are monotonic s.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from voice.speech.codecs import mulaw_encode
from voice.wire.media_stream import FRAME_BYTES, FRAME_SECONDS, MULAW_SILENCE, frames

SILENCE_FRAME = bytes([MULAW_SILENCE]) * FRAME_BYTES
VOICE_PEAK = 100
"""int16 peak above which a sent frame counts as voice (about -50 dBFS)."""

Send = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Sends one sequenced message: the event name and its body."""
_Outgoing = tuple[bytes, bool, "asyncio.Future[None] | None"]


def voiced_frames(pcm16_8k: np.ndarray) -> list[tuple[bytes, bool]]:
    """int16 8 kHz audio as 20 ms mu-law frames, each marked voiced when its peak exceeds
    ``VOICE_PEAK`` (the last frame is padded with silence)."""
    pcm = np.asarray(pcm16_8k, dtype=np.int16)
    if pcm.ndim != 1:
        raise ValueError(f"play() needs 1-D int16 audio at 8 kHz, got {pcm.ndim}-D")
    chunks = frames(mulaw_encode(pcm))
    if not chunks:
        return []
    padded = np.zeros(len(chunks) * FRAME_BYTES, dtype=np.int32)
    padded[: len(pcm)] = pcm
    peaks = np.abs(padded.reshape(-1, FRAME_BYTES)).max(axis=1)
    return [(c, bool(p > VOICE_PEAK)) for c, p in zip(chunks, peaks, strict=True)]


class MediaPump:
    """Sends the caller's frames and notes when voice was sent."""

    def __init__(self, send: Send, *, closed_error: Callable[[str], Exception]) -> None:
        self._send = send
        self._closed_error = closed_error  # what a frame still queued at the end raises
        self.frames_sent = 0
        self.last_voice_sent_at: float | None = None
        self.voice_onsets: list[float] = []  # when a voiced frame followed an unvoiced one
        self._last_sent_voiced = False
        self._media_lock = asyncio.Lock()  # one media sender at a time keeps chunks in order
        self._outgoing: deque[_Outgoing] = deque()

    async def send_now(self, items: list[tuple[bytes, bool]]) -> None:
        """Send ``(frame, voiced)`` items at once, in order (not in real time)."""
        async with self._media_lock:
            for frame, voiced in items:
                await self.send_media(frame, voiced)

    async def queue(self, items: list[tuple[bytes, bool]]) -> None:
        """Queue items for ``run`` and wait until the last one has been sent."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for frame, voiced in items[:-1]:
            self._outgoing.append((frame, voiced, None))
        self._outgoing.append((items[-1][0], items[-1][1], done))
        await done

    async def run(self, started_at: float) -> None:
        """Real-time sender: one frame every 20 ms on an absolute clock, silence when idle.
        Ends when the connection closes (``ConnectionClosed``, which it lets through)."""
        try:
            while True:
                delay = started_at + self.frames_sent * FRAME_SECONDS - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                item = self._outgoing[0] if self._outgoing else None
                frame, voiced = (item[0], item[1]) if item else (SILENCE_FRAME, False)
                await self.send_media(frame, voiced)
                if item is not None:
                    self._outgoing.popleft()
                    if item[2] is not None and not item[2].done():
                        item[2].set_result(None)
        finally:
            while self._outgoing:
                _, _, done = self._outgoing.popleft()
                if done is not None and not done.done():
                    done.set_exception(
                        self._closed_error("the stream ended before the audio was sent")
                    )

    async def send_media(self, frame: bytes, voiced: bool) -> None:
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
