"""What the caller probably said: a transcript's unknown words respelt as the pack's own.

Whisper tiny.en, hearing a robotic or muffled voice on a phone line, often writes a pack
word as a common word or a name that sounds alike: "Billie." for "billing", "Building issue"
for "billing issue", "the wife I keep dropping" for "the wifi keeps dropping", "next work"
for "network". The sentence model then reads a different request, and the lexical score's
own fuzzy spelling (``matcher.FUZZY_WORD_CUTOFF``) is not enough to get past the meaning
floor. ``SoundsLike`` respells such words as the closest word of the pack's examples, one
word or two adjacent words joined, when they look alike (Jaro-Winkler similarity, which
weighs the start of a word the most, as slips of hearing usually keep a word's onset).

The matcher tries the respelt text only when the words as heard match no intent, so a
request already understood never changes, and a respelling that matches nothing either is
dropped. Chosen on the hearing corpus's dev rows; the held-out test rows measure it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

WORD_SIMILARITY: Final = 0.88
"""A heard word unknown to the pack is respelt as a pack word at least this similar."""
PAIR_SIMILARITY: Final = 0.92
"""Two adjacent heard words are joined into a pack word at least this similar to both."""
SPELLING_RATIO: Final = 70.0
"""And at least this rapidfuzz ``ratio`` (0-100): Jaro-Winkler alone rewards a shared start
so much that "every" would become "everything"."""
MIN_WORD_LEN: Final = 4
"""Shorter words are never respelt, nor become respellings: too many look alike."""


class SoundsLike:
    """Respells heard words as the pack's words (``words``: the examples' normalised tokens;
    ``keep``: words never respelt, such as stop words)."""

    def __init__(self, words: Iterable[str], keep: Iterable[str] = ()) -> None:
        known = frozenset(words)
        self._known = known | frozenset(keep)
        self._targets: tuple[str, ...] = tuple(
            sorted(w for w in known if len(w) >= MIN_WORD_LEN and w.isalpha())
        )

    def respell(self, tokens: Sequence[str]) -> list[str] | None:
        """``tokens`` with look-alike words respelt, or None when nothing changed."""
        out: list[str] = []
        changed = False
        i = 0
        while i < len(tokens):
            word = tokens[i]
            if i + 1 < len(tokens):
                joined = self._joined(word, tokens[i + 1])
                if joined is not None:
                    out.append(joined)
                    changed = True
                    i += 2
                    continue
            respelt = self._respelt(word)
            changed = changed or respelt != word
            out.append(respelt)
            i += 1
        return out if changed else None

    def _respelt(self, word: str) -> str:
        if word in self._known or len(word) < MIN_WORD_LEN or not word.isalpha():
            return word
        best = self._closest(word, WORD_SIMILARITY)
        return best if best is not None else word

    def _joined(self, first: str, second: str) -> str | None:
        """ "next" + "work" as "network": only when the joined word is a pack word that is
        neither of the two, and longer than each (so "my" + "bill" never becomes "mybill")."""
        if not (first.isalpha() and second.isalpha()):
            return None
        joined = first + second
        if joined in self._known:
            return joined if not {first, second} <= self._known else None
        best = self._closest(joined, PAIR_SIMILARITY)
        if best is None or best in (first, second) or len(best) <= max(len(first), len(second)):
            return None
        return best

    def _closest(self, word: str, cutoff: float) -> str | None:
        found = process.extract(
            word, self._targets, scorer=JaroWinkler.normalized_similarity, score_cutoff=cutoff
        )
        for candidate, _score, _index in found:  # most similar first
            if candidate[0] == word[0] and fuzz.ratio(word, candidate) >= SPELLING_RATIO:
                return str(candidate)
        return None
