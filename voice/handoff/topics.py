"""Sensitive or urgent topics that a person must handle: fraud, data leaks, legal threats,
emergencies, and outages that cause serious harm.

Phrases and the caller's words are compared after ``normalise`` (lower case, contractions
expanded, number words as digits; digit runs are then joined, so "nine one one" is "911").
A phrase of ``k`` words matches when its words occur in order within ``k + gap`` words of
the text, where ``gap`` is 0 for phrases of one or two words ("sue you" must be
contiguous) and ``min(2, k - 1)`` for longer ones ("someone stole my credit card" matches
"someone stole my card"). Two words match when they are equal, equal but for an -s,
-es, -d, -ed or -ing ending, or, for words of six letters or more with the same first letter,
have a rapidfuzz ratio >= 88 ("attorny", "unauthorised"). Short words never match
fuzzily: "court" is not "count".

``TopicDetector.detect`` returns the most urgent hit (urgent > high > normal); among equal
priorities the rule listed first (``DEFAULT_RULES`` lists emergencies first), then the
longest phrase of that rule; or None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from rapidfuzz import fuzz

from voice.text.normalise import normalised_tokens

Priority = Literal["urgent", "high", "normal"]

FUZZY_WORD_RATIO: Final = 88.0
MIN_FUZZY_LEN: Final = 6
_RANK: Final[dict[str, int]] = {"urgent": 0, "high": 1, "normal": 2}
_ENDINGS: Final = frozenset({"s", "es", "d", "ed", "ing"})


@dataclass(frozen=True)
class TopicRule:
    """Phrases (any wording; normalised when the detector is built) that mean ``topic``."""

    topic: str
    priority: Priority
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class TopicHit:
    """The topic found, its priority, and the rule phrase that matched (as written)."""

    topic: str
    priority: Priority
    phrase: str


DEFAULT_RULES: Final[tuple[TopicRule, ...]] = (
    TopicRule(
        "emergency",
        "urgent",
        (
            "emergency",
            "someone is hurt",
            "someone is injured",
            "somebody is hurt",
            "i am going to hurt",
            "hurt myself",
            "suicide",
            "suicidal",
            "kill myself",
            "end my life",
            "want to die",
            "on fire",
            "there is a fire",
            "house fire",
            "caught fire",
            "gas leak",
            "smell gas",
            "in danger",
            "immediate danger",
            "ambulance",
            "call 911",
            "call 999",
            "threatening me",
            "threatened to kill",
            "not breathing",
            "heart attack",
        ),
    ),
    TopicRule(
        "fraud",
        "urgent",
        (
            "fraud",
            "fraudulent",
            "scammed",
            "someone stole my card",
            "stole my card",
            "stole my wallet",
            "my card was stolen",
            "stolen card",
            "unauthorized charges",
            "unauthorized transaction",
            "charge i did not make",
            "card i did not make",
            "charge i do not recognize",
            "transaction i do not recognize",
            "transaction i did not make",
            "did not make these transactions",
            "did not authorize",
            "i did not make this purchase",
            "my account was hacked",
            "hacked",
            "someone got into my account",
            "identity theft",
            "stole my identity",
        ),
    ),
    TopicRule(
        "data_leak",
        "urgent",
        (
            "data breach",
            "my data was leaked",
            "my details were leaked",
            "leaked my",
            "someone has my personal information",
            "someone has my details",
            "privacy violation",
            "violated my privacy",
            "gdpr",
        ),
    ),
    TopicRule(
        "outage_harm",
        "high",
        (
            "medical equipment",
            "medical device",
            "oxygen machine",
            "oxygen concentrator",
            "life support",
            "dialysis",
            "ventilator",
            "elderly parent without heat",
            "elderly without heat",
            "elderly no heat",
            "baby no heat",
            "business losing money",
            "losing money",
            "losing business",
        ),
    ),
    TopicRule(
        "legal",
        "high",
        (
            "lawyer",
            "attorney",
            "solicitor",
            "sue you",
            "going to sue",
            "lawsuit",
            "legal action",
            "court",
            "small claims",
            "ombudsman",
        ),
    ),
)


class TopicDetector:
    """Finds the most urgent sensitive topic in a caller's transcript."""

    def __init__(self, rules: Sequence[TopicRule] = DEFAULT_RULES) -> None:
        self._phrases: list[tuple[int, TopicRule, str, tuple[str, ...]]] = []
        for rule_index, rule in enumerate(rules):
            if rule.priority not in _RANK:
                raise ValueError(f"topic {rule.topic!r}: unknown priority {rule.priority!r}")
            for phrase in rule.phrases:
                words = _tokens(phrase)
                if not words:
                    raise ValueError(f"topic {rule.topic!r}: empty phrase {phrase!r}")
                self._phrases.append((rule_index, rule, phrase, words))

    def detect(self, text: str) -> TopicHit | None:
        """The most urgent topic ``text`` mentions, or None."""
        words = _tokens(text)
        best: tuple[int, int, int] | None = None
        hit: TopicHit | None = None
        for rule_index, rule, phrase, phrase_words in self._phrases:
            if not _occurs(phrase_words, words):
                continue
            key = (_RANK[rule.priority], rule_index, -len(phrase_words))
            if best is None or key < best:
                best, hit = key, TopicHit(rule.topic, rule.priority, phrase)
        return hit


def _tokens(text: str) -> tuple[str, ...]:
    """Normalised words with digit runs joined ("9 1 1" -> "911")."""
    out: list[str] = []
    for token in normalised_tokens(text):
        if token.isdigit() and out and out[-1].isdigit():
            out[-1] += token
        else:
            out.append(token)
    return tuple(out)


def _occurs(phrase: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """``phrase`` in order inside ``words``, spread over at most ``len(phrase) + gap``."""
    size = len(phrase)
    gap = 0 if size <= 2 else min(2, size - 1)
    for start, word in enumerate(words):
        if not _same(phrase[0], word):
            continue
        next_word = 1
        for position in range(start + 1, min(len(words), start + size + gap)):
            if next_word == size:
                break
            if _same(phrase[next_word], words[position]):
                next_word += 1
        if next_word == size:
            return True
    return False


def _same(expected: str, word: str) -> bool:
    short, long = sorted((expected, word), key=len)
    if long == short or (len(short) >= 3 and long.removeprefix(short) in _ENDINGS):
        return True
    return (
        min(len(expected), len(word)) >= MIN_FUZZY_LEN
        and expected[0] == word[0]
        and fuzz.ratio(expected, word) >= FUZZY_WORD_RATIO
    )
