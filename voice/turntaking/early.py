"""Recovery bookkeeping: a reply begun before its turn was taken, and the replies cut off.

The answer to a finished request may begin ``min_ms`` into the caller's silence, while the
turn is taken only ``recover_ms`` later (see ``ending``). A caller who goes on before then
cuts the early reply off: what they said is one turn, and the cut reply is not an answer.
"""

from __future__ import annotations

from typing import Generic, TypeVar

Reply = TypeVar("Reply")


class EarlyReplies(Generic[Reply]):
    """The reply begun early (at most one at a time) and how many were cut off."""

    def __init__(self) -> None:
        self.reply: Reply | None = None
        self.cut = 0  # early replies cut off because the caller went on

    @property
    def playing(self) -> bool:
        return self.reply is not None

    def begin(self, reply: Reply) -> None:
        self.reply = reply

    def cut_off(self) -> bool:
        """The caller went on: True if an early reply was under way (stop it now)."""
        if self.reply is None:
            return False
        self.reply = None
        self.cut += 1
        return True

    def take(self) -> Reply | None:
        """The turn is taken: its early reply, if one began (it is no longer early)."""
        reply, self.reply = self.reply, None
        return reply
