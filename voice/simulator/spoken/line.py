"""Twilio's side of a live call, in process and on the virtual clock.

What :class:`TwilioSide` does with the bot's messages is what Twilio does: ``media`` plays
from the moment it arrives at 8000 samples a second, queued behind what is still playing;
a ``mark`` is echoed when playback reaches it; ``clear`` drops the unplayed audio and
echoes every pending mark at once. It records when the caller heard bot audio, so barge-in
can be measured from the caller's side (how much bot audio they heard after they began to
speak over it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from voice.wire.media_stream import (
    OutboundClear,
    OutboundMark,
    OutboundMedia,
    parse_outbound,
)

RATE = 8000


@dataclass
class TwilioSide:
    playing_until: float = 0.0  # loop time the queued bot audio finishes
    heard: list[list[float]] = field(default_factory=list)  # [start, end] of bot audio played
    clears: list[float] = field(default_factory=list)
    closed_at: float | None = None
    _marks: list[tuple[float, str]] = field(default_factory=list)
    _echo: list[str] = field(default_factory=list)

    async def send(self, text: str) -> None:
        now = asyncio.get_running_loop().time()
        message = parse_outbound(text)
        if isinstance(message, OutboundMedia):
            start = max(now, self.playing_until)
            self.playing_until = start + len(message.payload) / RATE
            if self.heard and abs(self.heard[-1][1] - start) < 1e-9:
                self.heard[-1][1] = self.playing_until
            else:
                self.heard.append([start, self.playing_until])
        elif isinstance(message, OutboundMark):
            self._marks.append((self.playing_until, message.name))
        elif isinstance(message, OutboundClear):
            self.clears.append(now)
            self.playing_until = now
            self.heard = [[s, min(e, now)] for s, e in self.heard if s < now]
            self._echo += [name for _, name in self._marks]
            self._marks.clear()

    async def close(self) -> None:
        if self.closed_at is None:
            self.closed_at = asyncio.get_running_loop().time()

    def marks_due(self, now: float) -> list[str]:
        """Marks whose audio has played by ``now`` (and those a clear released), in order."""
        due, self._echo = self._echo, []
        while self._marks and self._marks[0][0] <= now:
            due.append(self._marks.pop(0)[1])
        return due

    def speaking(self, now: float) -> bool:
        return self.playing_until > now

    def heard_between(self, start: float, end: float) -> float:
        """Seconds of bot audio the caller heard between two loop times."""
        return sum(max(0.0, min(e, end) - max(s, start)) for s, e in self.heard)
