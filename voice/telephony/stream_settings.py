"""The live call's timing: the ``STREAM_*`` and ``TURN_*`` settings, and fixed waits."""

from __future__ import annotations

from dataclasses import dataclass

from voice.config import Settings
from voice.turntaking.ending import TurnLimits

KEY_TIMEOUT_S = 3.0  # between keypad digits of a slot value
CLOSE_AFTER_S = 15.0  # longest wait for the last words before a hand-over
# A decision still pending after this long (a lookup at a slow endpoint) gets a spoken
# "one moment": the caller never sits in silence wondering whether the line is dead.
HOLD_ON_AFTER_S = 0.6
# A shorter "One moment." while the caller's words are still being recognised (speech
# recognition backed up on a busy machine): once this much silence followed their last
# word. Later than for a decision: the turn's own end takes 0.45-1.1 s and a long utterance
# decodes in about 1 s on an idle 2-core machine, and the answer waits for the filler to
# end, so a filler said too soon delays answers that were nearly ready.
HOLD_ON_SILENCE_S = 1.8


@dataclass(frozen=True)
class StreamSettings:
    end_ms: int = 600  # silence that ends a turn not yet read (see voice.turntaking.ending)
    min_ms: int = 450  # silence before a turn read as a finished request is answered
    max_ms: int = 1100  # silence that ends a turn read as unfinished
    start_ms: int = 80  # voice that starts one (and pauses the bot: cheap to undo)
    pause_ms: int = 120  # silence that starts speculative recognition
    silence_s: float = 6.0  # no answer at all for this long: a silent turn
    recover_ms: int = 450  # after an early reply began, silence before its turn is taken

    @property
    def limits(self) -> TurnLimits:
        return TurnLimits(
            min_ms=self.min_ms, end_ms=self.end_ms, max_ms=self.max_ms, recover_ms=self.recover_ms
        )


def stream_settings(settings: Settings) -> StreamSettings:
    """The live-call settings of the service's ``STREAM_*`` and ``TURN_*`` settings."""
    return StreamSettings(
        end_ms=settings.stream_end_ms,
        min_ms=settings.turn_min_ms,
        max_ms=settings.turn_max_ms,
        silence_s=settings.stream_silence_s,
        recover_ms=settings.turn_recover_ms,
        pause_ms=settings.stream_pause_ms,
    )
