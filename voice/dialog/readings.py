"""Which reading of the caller's words the dialog acts on.

Whisper hands on its best reading of an utterance and, from the same beam search, the
runners-up (``voice.speech.hypotheses``). When the best reading asks for nothing the line
knows, the first runner-up that the matcher accepts is taken instead: on phone audio the
recogniser's near misses ("Billie.", "Building issue with my last statement") often have the
right words one place down its list. A runner-up must pass the matcher's own threshold,
margin and meaning floor, as a first reading would, and lead the next intent by
``RUNNER_UP_LEAD``: a reading the recogniser itself ranked lower needs clearer evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voice.intents.matcher import Match, Matcher

RUNNER_UP_LEAD = 0.15
"""How far a runner-up reading's intent must lead the next intent in confidence. Chosen on
the hearing corpus's dev rows: the runners-up that named the caller's request led by 0.24 or
more, bar one (0.09); the one that turned an out-of-scope request into a routine one ("Can
you order me a taxi?" read as "Can you order me, it taxy?": track_order) led by 0.10."""


@dataclass(frozen=True)
class Reading:
    """The words acted on, their match, and their place in Whisper's list (0 = its best)."""

    text: str
    match: Match
    rank: int = 0


def understood(matcher: Matcher, best: Reading, alternatives: Sequence[str]) -> Reading:
    """``best`` when it names an intent (or nothing else does), else the first runner-up
    that does."""
    if best.match.intent is not None:
        return best
    for rank, text in enumerate(alternatives, start=1):
        match = matcher.match(text)
        if match.intent is not None and match.confidence - match.runner_up_confidence >= (
            RUNNER_UP_LEAD
        ):
            return Reading(text, match, rank)
    return best
