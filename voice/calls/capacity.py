"""How many live calls this instance takes at once (``MAX_LIVE_CALLS``).

Every live call costs speech recognition on the same few cores: past some number of calls,
every caller on the machine waits longer for every answer. So the instance counts its live
calls, those with a stream open and those just answered whose stream is on its way, and
turns a new call away (the busy path: a person or a voicemail, as the policy says) once it
has ``capacity`` of them, instead of slowing every call down.
"""

from __future__ import annotations

import time
from collections.abc import Callable

ADMITTED_FOR_S = 60.0
"""An answered call whose stream has not opened after this long stops counting (the
stream's ticket expires then too: the stream will not come, or came to another instance)."""


class LiveLines:
    """The live calls of this instance, and whether one more fits. ``capacity`` 0: any
    number (no limit)."""

    def __init__(self, capacity: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if capacity < 0:
            raise ValueError("capacity must be 0 (no limit) or more")
        self.capacity = capacity
        self._clock = clock
        self._admitted: dict[str, float] = {}  # call sid -> when it was answered
        self._open: set[str] = set()  # call sids with a stream open here
        self.turned_away = 0

    @property
    def in_use(self) -> int:
        self._expire()
        return len(self._open | self._admitted.keys())

    def admit(self, call_sid: str) -> bool:
        """A new call: True (counted from now) if it fits, else False (turn it away)."""
        if call_sid in self._admitted or call_sid in self._open:
            return True  # Twilio's retry of the same webhook
        if self.capacity and self.in_use >= self.capacity:
            self.turned_away += 1
            return False
        self._admitted[call_sid] = self._clock()
        return True

    def opened(self, call_sid: str) -> None:
        """Its stream opened here (admitted here or, behind a proxy, by another instance)."""
        self._admitted.pop(call_sid, None)
        self._open.add(call_sid)

    def closed(self, call_sid: str) -> None:
        """Its stream closed: the line is free."""
        self._open.discard(call_sid)
        self._admitted.pop(call_sid, None)

    def _expire(self) -> None:
        cutoff = self._clock() - ADMITTED_FOR_S
        for call_sid in [sid for sid, at in self._admitted.items() if at < cutoff]:
            del self._admitted[call_sid]
