"""Whether a phrase found in a caller's words is negated: "I'm not calling about fraud",
"there's no gas leak", "it won't fire", "nothing fraudulent happened".

Works on ``normalise``d words ("won't" is "will not"). A phrase starting at word ``i`` is
negated when a negator ("not", "no", "never", "nobody", "nothing", "none", "neither",
"nor") stands at most ``REACH`` words before it and every word between the two
is one that carries no meaning of its own for the topic ("calling", "about", "a", "any",
"it", "is"...). So "not sure but I think it is fraud" and "I do not know if it is fraud"
are not negated ("sure", "know" break the reach): a caller who suspects fraud is heard.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

REACH: Final = 5
NEGATORS: Final = frozenset({"not", "no", "never", "nobody", "nothing", "none", "neither", "nor"})
_BRIDGE: Final = frozenset(
    {
        "a", "an", "any", "the", "this", "that", "it", "is", "was", "be", "been", "am", "are",
        "calling", "call", "called", "ringing", "phoning", "here", "about", "regarding", "re",
        "for", "to", "do", "with", "of", "or", "anything", "sort", "kind", "some", "really",
        "reporting", "report", "related", "one", "1", "there", "going", "gonna", "at", "all",
        "in", "my", "just", "like", "even", "think", "feel", "taking", "take", "need",
        "needed", "have", "has", "had", "got", "get", "want", "making", "make", "ever",
    }
)  # fmt: skip


def negated(words: Sequence[str], start: int) -> bool:
    """True if the phrase beginning at ``words[start]`` is governed by a negator."""
    for back in range(1, REACH + 1):
        index = start - back
        if index < 0:
            return False
        word = words[index]
        if word in NEGATORS:
            return True
        if word not in _BRIDGE:
            return False
    return False


def find(phrase: Sequence[str], words: Sequence[str], *, negated_too: bool = False) -> int | None:
    """Start of the first contiguous occurrence of ``phrase`` that is not negated (any
    occurrence with ``negated_too``), or None."""
    size = len(phrase)
    if not size:
        return None
    for start in range(len(words) - size + 1):
        if tuple(words[start : start + size]) != tuple(phrase):
            continue
        if negated_too or not negated(words, start):
            return start
    return None
