"""How frustrated the caller is, turn by turn, and whether to hand over because of it.

Each caller turn gets a score in 0..1 from several signals, combined as a noisy-or
(``1 - prod(1 - s)``, so two signals add up but never pass 1):

* angry wording (weighted phrases: "ridiculous" 0.5, "this is a joke" 0.5, ...), plus the
  ``phrases`` of the admin policy file at 0.5 each;
* swearing: mild ("damn", "crap") 0.35, strong 0.65, abuse aimed at the agent ("screw
  you", "you idiot") 0.95, which alone escalates;
* negation: "no" said twice or more in one turn, and corrections ("that's not what I
  said", "not that", "you got it wrong");
* rephrasing: the turn resembles one of the caller's recent turns while the bot failed
  to understand the previous one (0.35 per similar earlier turn).

The trend folds the last ``window`` scores with the same noisy-or, the running value
decayed by ``1 - 1/(window + 1)`` (0.75 for 3) at each turn: consecutive frustrated turns
push it up, neutral turns let it fall, and turns older than the window are forgotten. With
the defaults one "this is ridiculous" (0.5) does not escalate; two such turns in a row
(0.69), or a third attempt at the same request while the bot fails (0.78), do.
``escalate`` is ``trend >= threshold`` or the last turn scoring 0.9 or more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rapidfuzz import fuzz

from voice.text.normalise import normalise
from voice.text.redaction import redact
from voice.text.stopwords import STOP_WORDS

STRONG_SCORE: Final = 0.9
POLICY_PHRASE_WEIGHT: Final = 0.5
REPHRASE_SIMILARITY: Final = 75.0  # rapidfuzz 0..100, see ``_similarity``
REPHRASE_WEIGHT: Final = 0.35
MIN_REPHRASE_WORDS: Final = 3  # "no" twice is not a rephrased request

_ANGRY: Final = {
    **dict.fromkeys(["ridiculous", "useless", "this is a joke", "waste of time"], 0.5),
    **dict.fromkeys(["are you even listening", "unacceptable", "fed up", "sick of"], 0.5),
    **dict.fromkeys(["for the third time", "absurd", "pathetic", "stupid", "i give up"], 0.5),
    **dict.fromkeys(["i already told you", "i just told you", "you are not listening"], 0.45),
    **dict.fromkeys(["terrible", "worst", "awful", "you are not understanding"], 0.45),
    **dict.fromkeys(["you do not understand", "i am so annoyed", "frustrated"], 0.45),
    **dict.fromkeys(["not helpful", "you are no help", "this is not working"], 0.4),
    **dict.fromkeys(["how many times", "i want to cancel everything", "shut up"], 0.6),
    **dict.fromkeys(["annoying", "come on", "seriously"], 0.3),
}
_MILD_SWEARS: Final = ("damn", "dammit", "hell", "crap", "bloody", "freaking", "frigging")
_STRONG_SWEARS: Final = ("fuck", "fucking", "shit", "bullshit", "fucked", "piss", "pissed")
_ABUSE: Final = (
    "fuck you",
    "fuck off",
    "screw you",
    "go to hell",
    "piece of shit",
    "you idiot",
    "you moron",
    "you stupid",
    "asshole",
    "bastard",
    "bitch",
    "dickhead",
    "motherfucker",
)
_CORRECTIONS: Final = {
    **dict.fromkeys(["that is not what i said", "that is not what i asked"], 0.35),
    **dict.fromkeys(["that is not what i meant", "that is not what i want"], 0.35),
    **dict.fromkeys(["you got it wrong", "that is wrong", "wrong again"], 0.3),
    **dict.fromkeys(["not that", "i did not say that", "i never said that"], 0.25),
}
_NEGATIONS: Final = frozenset({"no", "nope", "nah"})
_AGAIN_BANG: Final = re.compile(r"\bagain\s*!|!{2,}", re.I)


@dataclass(frozen=True)
class TurnSignal:
    """The frustration read from one caller turn."""

    score: float  # 0..1
    reasons: tuple[str, ...]  # e.g. ("angry wording: ridiculous", "repeated negation")


class FrustrationTracker:
    """Per-call frustration state; ``to_dict``/``from_dict`` carry it between requests.

    Only redacted, normalised text of recent turns is kept (for rephrase detection).
    """

    def __init__(
        self, *, window: int = 3, threshold: float = 0.6, phrases: Sequence[str] | None = None
    ) -> None:
        if window < 1 or not 0.0 < threshold <= 1.0:
            raise ValueError("window must be >= 1 and threshold in (0, 1]")
        self.window = window
        self.threshold = threshold
        self.phrases: tuple[str, ...] = tuple(phrases or ())
        weighted: dict[str, tuple[str, float]] = {}
        for phrase, weight in _ANGRY.items():
            weighted[normalise(phrase)] = ("angry wording", weight)
        for phrase in self.phrases:
            if normalise(phrase):
                weighted.setdefault(normalise(phrase), ("angry wording", POLICY_PHRASE_WEIGHT))
        weighted.update({normalise(p): ("swearing", 0.35) for p in _MILD_SWEARS})
        weighted.update({normalise(p): ("swearing", 0.65) for p in _STRONG_SWEARS})
        weighted.update({normalise(p): ("abuse", 0.95) for p in _ABUSE})
        weighted.update({normalise(p): ("correction", w) for p, w in _CORRECTIONS.items()})
        self._weighted = weighted
        self._history: list[float] = []
        self._recent: list[str] = []

    def observe(self, text: str, *, bot_failed: bool) -> TurnSignal:
        """Score one caller turn; ``bot_failed``: the bot did not understand the last one."""
        normal = normalise(redact(text))
        words = normal.split()
        found: list[tuple[str, float]] = []
        padded = f" {normal} "
        for phrase, (kind, weight) in self._weighted.items():
            if f" {phrase} " in padded:
                found.append((f"{kind}: {phrase}", weight))
        if _AGAIN_BANG.search(text):
            found.append(("exclamation", 0.3))
        negations = sum(word in _NEGATIONS for word in words)
        if negations >= 2:
            found.append(("repeated negation", 0.35 if negations == 2 else 0.45))
        content = _content(normal)
        if bot_failed and len(words) >= MIN_REPHRASE_WORDS and content:
            similar = sum(_similarity(normal, old) >= REPHRASE_SIMILARITY for old in self._recent)
            if similar:
                found.append(("rephrased the same request", min(1.0, REPHRASE_WEIGHT * similar)))
        score = _noisy_or(weight for _, weight in found)
        self._history.append(score)
        if len(words) >= MIN_REPHRASE_WORDS:
            self._recent = [*self._recent, normal][-self.window :]
        return TurnSignal(score=score, reasons=tuple(dict.fromkeys(r for r, _ in found)))

    @property
    def trend(self) -> float:
        """Decayed noisy-or of the last ``window`` scores, 0..1."""
        decay = 1.0 - 1.0 / (self.window + 1)
        trend = 0.0
        for score in self._history[-self.window :]:
            trend = 1.0 - (1.0 - decay * trend) * (1.0 - score)
        return round(trend, 4)

    @property
    def escalate(self) -> bool:
        """Hand over: the trend reached the threshold, or the last turn was strong anger."""
        last = self._history[-1] if self._history else 0.0
        return self.trend >= self.threshold or last >= STRONG_SCORE

    @property
    def history(self) -> list[float]:
        """Every turn's score, oldest first (a copy)."""
        return list(self._history)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (settings, scores, recent redacted turns)."""
        return {
            "window": self.window,
            "threshold": self.threshold,
            "phrases": list(self.phrases),
            "history": list(self._history),
            "recent": list(self._recent),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FrustrationTracker:
        """Rebuild a tracker from ``to_dict``; raises ValueError on a malformed state."""
        try:
            tracker = cls(
                window=int(data["window"]),
                threshold=float(data["threshold"]),
                phrases=[str(p) for p in data["phrases"]],
            )
            tracker._history = [float(s) for s in data["history"]]
            tracker._recent = [str(t) for t in data["recent"]]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"invalid frustration state: {exc!r}") from exc
        return tracker


def _content(normal: str) -> str:
    return " ".join(w for w in normal.split() if w not in STOP_WORDS)


def _similarity(a: str, b: str) -> float:
    """Mean of token_set_ratio on content words and token_sort_ratio on the whole text."""
    return (fuzz.token_set_ratio(_content(a), _content(b)) + fuzz.token_sort_ratio(a, b)) / 2


def _noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return round(1.0 - remaining, 4)
