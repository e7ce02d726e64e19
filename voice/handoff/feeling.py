"""How the caller feels, read on every caller turn: angry, distressed, upset, neutral or
pleased, with what it is about and why ("angry about a double charge, third call").

Three kinds of evidence, each 0..1 per level, combined by noisy-or (``1 - prod(1 - s)``):

* **words**: cue phrases per level (``feeling_words``, plus the policy file's own), not
  counted when negated ("I'm not angry"); for anger also the frustration tracker's score of
  the turn (swearing, "no, no", corrections, a request rephrased while the bot failed);
* **meaning** (turns of three or more content words): the sentence model's closeness to
  example sentences of the level, relative to its closest rival (for angry and distressed:
  neutral, upset or pleased; for upset: neutral or pleased; for pleased: any other), so a
  routine "my card was charged twice, can you check", close to the neutral examples, adds
  nothing: ``clip((sim(level) - sim(rival) - offset) / width, 0, 1)``; praise that opens a
  complaint ("oh great, another late fee") reads as sarcasm, anger and upset;
* **the call**: a repeated call named ("third time", "called 4 times"); the bot's failure
  to understand the previous turn and the caller talking over the bot's reply, which each
  add to anger already there.

The level: ``angry`` or ``distressed`` (whichever is larger) when either reaches
``strong``; else ``upset`` when any of angry, distressed or upset reaches ``mild``; else
``pleased`` when pleased reaches ``pleased`` and nothing negative reached 0.2; else
``neutral``. The weights and thresholds were tuned on the dev rows of
``bench/feelings/corpus.csv`` only. Pure: no I/O, the model comes in as an ``Embedder``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from voice.handoff import feeling_words
from voice.handoff.meaning import Embedder, Prototypes
from voice.handoff.negation import find
from voice.text.normalise import normalise
from voice.text.redaction import redact
from voice.text.stopwords import STOP_WORDS

Level = Literal["angry", "distressed", "upset", "neutral", "pleased"]
LEVELS: Final[tuple[Level, ...]] = ("angry", "distressed", "upset", "neutral", "pleased")
_NEGATIVE: Final = ("angry", "distressed", "upset")
MIN_CONTENT_WORDS: Final = 3  # shorter turns ("yes please", "45712") are not read by meaning
# The meaning of a level counts by how much closer the turn is to it than to its rivals.
_RIVALS: Final[dict[str, tuple[str, ...]]] = {
    "angry": ("neutral", "upset", "pleased"),
    "distressed": ("neutral", "upset", "pleased"),
    "upset": ("neutral", "pleased"),
    "pleased": ("neutral", "angry", "distressed", "upset"),
}
_PRAISE: Final = frozenset(
    {"great", "fantastic", "brilliant", "lovely", "wonderful", "perfect", "nice", "sure", "good"}
)
_SOUR: Final = frozenset(
    {"again", "another", "still", "never", "lose", "lost", "twice", "doubled", "wrong", "not",
     "nothing", "no", "late", "smashed", "broken", "blame", "hours", "robot", "menu"}
)  # fmt: skip


@dataclass(frozen=True)
class Tuning:
    """Thresholds and the semantic scale (defaults tuned on the dev split)."""

    strong: float = 0.5
    mild: float = 0.3
    pleased: float = 0.4
    offset: float = -0.05
    width: float = 0.2
    failed_weight: float = 0.2  # the bot failed last turn: added to anger already present
    interrupted_weight: float = 0.2  # the caller talked over the bot: likewise
    repeat_weight: float = 0.5  # "third time I'm calling"
    sarcasm_weight: float = 0.5  # praise that opens a complaint: "great, another late fee"


@dataclass(frozen=True)
class Feeling:
    """One turn's reading. ``why`` holds fixed words and cue phrases only, never the
    caller's free text, so it can be stored and logged as it is."""

    level: Level
    scores: dict[str, float] = field(default_factory=dict)  # angry, distressed, upset, pleased
    why: tuple[str, ...] = ()
    about: str = ""  # "a double charge", or "" when no cause was named

    @property
    def negative(self) -> bool:
        return self.level in _NEGATIVE

    def words(self) -> str:
        """ "angry about a double charge, third call"; "neutral" for a neutral turn."""
        text = self.level + (f" about {self.about}" if self.about else "")
        return ", ".join([text, *self.why[:2]])

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "scores": dict(self.scores),
            "why": list(self.why),
            "about": self.about,
            "words": self.words(),
        }


@dataclass(frozen=True)
class CallSigns:
    """What the call shows besides the words of this turn."""

    bot_failed: bool = False  # the bot did not understand the previous turn
    frustration: float = 0.0  # the frustration tracker's score of this turn, 0..1
    frustration_reasons: tuple[str, ...] = ()
    interrupted: bool = False  # the caller talked over the bot's reply to say this


_REPEAT: Final = re.compile(
    r"\b(?:(?P<nth>3rd|4th|5th|6th|third|fourth|fifth|sixth|tenth)\s+(?:time|call)"
    r"|called\s+(?:you\s+)?(?P<n>\d+|several|many|so many)\s+times"
    r"|(?P<n2>\d+)\s+(?:times|calls)\s+(?:now|already|this|about))\b"
)
_ABOUT: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"charged (?:me )?(?:twice|2 times|double)|double charge|paid twice|taken twice"
         r"|went out twice", "a double charge"),
        (r"refund|money back", "a refund"),
        (r"late fee|overcharg|charge|bill|fee|invoice|payment", "a bill"),
        (r"parcel|package|deliver|order", "an order"),
        (r"internet|router|wifi|broadband|connection|signal|line went dead|phone line"
         r"|outage|power|electricity|heating", "the service"),
        (r"engineer|technician|repair", "a repair"),
        (r"password|log in|login|locked out", "logging in"),
        (r"on hold|waiting|wait|weeks|call back|called back|callback", "a long wait"),
        (r"account", "the account"),
    )
)  # fmt: skip


class FeelingReader:
    """Reads a ``Feeling`` from one turn. Thread-safe once built."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        tuning: Tuning | None = None,
        cues: Mapping[str, Mapping[str, float]] | None = None,
        examples: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``cues`` and ``examples`` (level -> phrases / sentences) add to the built-in
        ones, e.g. from the policy file."""
        self.tuning = tuning or Tuning()
        built_in = {
            "angry": feeling_words.ANGRY_CUES,
            "distressed": feeling_words.DISTRESS_CUES,
            "upset": feeling_words.UPSET_CUES,
            "pleased": feeling_words.PLEASED_CUES,
        }
        self._cues: dict[str, list[tuple[tuple[str, ...], str, float]]] = {}
        for level, table in built_in.items():
            merged = {**table, **dict((cues or {}).get(level, {}))}
            self._cues[level] = [
                (_phrase_words(p), p, w) for p, w in merged.items() if _phrase_words(p)
            ]
        groups = {
            level: (*feeling_words.PROTOTYPES.get(level, ()), *(examples or {}).get(level, ()))
            for level in ("angry", "distressed", "upset", "pleased", "neutral")
        }
        self.prototypes = Prototypes(embedder, groups)

    def read(self, text: str, signs: CallSigns | None = None) -> Feeling:
        signs = signs or CallSigns()
        tuning = self.tuning
        normal = normalise(redact(text))
        words = normal.split()
        evidence: dict[str, list[float]] = {level: [] for level in self._cues}
        why: list[str] = []
        denied: set[str] = set()  # "I'm not angry": the meaning of "angry" does not count
        for level, table in self._cues.items():
            for phrase, written, weight in table:
                if find(phrase, words) is not None:
                    evidence[level].append(weight)
                    if level != "pleased" and len(why) < 4:
                        why.append(f'said "{written}"')
                elif find(phrase, words, negated_too=True) is not None:
                    denied.add(level)
        repeat = _repeat_words(normal)
        if repeat:
            evidence["angry"].append(tuning.repeat_weight)
            why.insert(0, repeat)
        if signs.frustration > 0:
            evidence["angry"].append(signs.frustration)
            why.extend(_frustration_words(signs.frustration_reasons))
        if _sarcastic(words):
            evidence["angry"].append(tuning.sarcasm_weight)
            evidence["upset"].append(tuning.sarcasm_weight)
            evidence["pleased"] = []
            why.insert(0, "sounded sarcastic")
        content = [w for w in words if w not in STOP_WORDS and not w.isdigit()]
        by_meaning = self.prototypes.enabled and len(content) >= MIN_CONTENT_WORDS
        similarity = self.prototypes.similarity(
            self.prototypes.vector(text) if by_meaning else None
        )
        for level in evidence if by_meaning else ():
            if level in denied:
                continue
            rival = max(similarity[name] for name in _RIVALS[level])
            margin = similarity[level] - rival - tuning.offset
            semantic = min(1.0, max(0.0, margin / tuning.width))
            if semantic > 0:
                evidence[level].append(round(semantic, 4))
        scores = {level: _noisy_or(values) for level, values in evidence.items()}
        if signs.bot_failed and scores["angry"] > 0:
            scores["angry"] = _noisy_or([scores["angry"], tuning.failed_weight])
            why.append("the bot did not understand")
        if signs.interrupted and scores["angry"] > 0:
            scores["angry"] = _noisy_or([scores["angry"], tuning.interrupted_weight])
            why.append("talked over the bot")
        level = self._level(scores)
        if level in _NEGATIVE and not why:
            why.append(f"sounds {level}")
        about = _about(normal) if level != "neutral" else ""
        return Feeling(level, scores, tuple(dict.fromkeys(why)), about)

    def _level(self, scores: Mapping[str, float]) -> Level:
        tuning = self.tuning
        angry, distressed = scores["angry"], scores["distressed"]
        if max(angry, distressed) >= tuning.strong:
            return "angry" if angry >= distressed else "distressed"
        if max(angry, distressed, scores["upset"]) >= tuning.mild:
            return "upset"
        if scores["pleased"] >= tuning.pleased and max(angry, distressed, scores["upset"]) < 0.2:
            return "pleased"
        return "neutral"


def _sarcastic(words: Sequence[str]) -> bool:
    """Praise in the first three words, then a sour word: "oh great, broken again"."""
    return any(w in _PRAISE for w in words[:3]) and any(w in _SOUR for w in words[1:])


def _phrase_words(phrase: str) -> tuple[str, ...]:
    """A cue phrase as normalised words; a leading "so" or "well" is kept (``normalise``
    drops such openers at the start of a turn, not inside one)."""
    return tuple(normalise(f"x {phrase}").split()[1:])


def _repeat_words(normal: str) -> str:
    match = _REPEAT.search(normal)
    if match is None:
        return ""
    nth = match.group("nth")
    if nth:
        return f"{nth} call"
    count = match.group("n") or match.group("n2")
    return f"called {count} times"


def _frustration_words(reasons: Iterable[str]) -> list[str]:
    out = []
    for reason in reasons:
        if reason.startswith("rephrased"):
            out.append("repeated the request")
        elif reason == "repeated negation":
            out.append('said "no, no"')
        elif reason.startswith(("swearing", "abuse")):
            out.append("swore")
        elif reason.startswith("correction"):
            out.append("corrected the bot")
    return out


def _about(normal: str) -> str:
    for pattern, words in _ABOUT:
        if pattern.search(normal):
            return words
    return ""


def _noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - min(1.0, max(0.0, weight))
    return round(1.0 - remaining, 4)
