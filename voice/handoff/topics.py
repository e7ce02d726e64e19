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

A phrase governed by a negation does not count ("I'm not calling about fraud", "there's
no gas leak", "it won't fire"; see ``voice.handoff.negation``).

By meaning: with a sentence model, a turn also hits a topic when its mean cosine to the two
closest of the topic's phrases and ``examples`` is at least ``similarity`` and leads the
closest routine request (``ROUTINE``: "can you check a charge on my account") by at least
``margin``, unless the turn negates a word of the topic ("this isn't a scam"). Such a hit
says ``phrase="(meaning)"``. The defaults were tuned on the dev rows of
``bench/feelings/corpus.csv``.

``TopicDetector.detect`` returns the most urgent hit (urgent > high > normal); among equal
priorities the rule listed first (``DEFAULT_RULES`` lists emergencies first), then the
longest phrase of that rule; or None. Phrase hits come before hits by meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from rapidfuzz import fuzz

from voice.handoff.meaning import Embedder, Prototypes
from voice.handoff.negation import NEGATORS, negated
from voice.text.normalise import normalised_tokens
from voice.text.stopwords import STOP_WORDS

Priority = Literal["urgent", "high", "normal"]

FUZZY_WORD_RATIO: Final = 88.0
MIN_FUZZY_LEN: Final = 6
SIMILARITY: Final = 0.5
MARGIN: Final = 0.1
MEANING: Final = "(meaning)"
ROUTINE: Final[tuple[str, ...]] = (
    "can you check a charge on my account",
    "I'd like to know my balance",
    "where is my order",
    "my internet isn't working, can you help",
    "I need to reset my password",
    "I want to return an item",
    "there's a problem with my bill",
    "my payment didn't go through",
    "I think I've been charged the wrong amount",
    "my router has stopped working",
    "can I update my card details",
    "I lost my card and need a new one",
    "my account is locked",
    "is there an outage near me",
    "I'd like to book an engineer",
    "I want to close my account",
    "I want to change the email on my account",
    "can you explain this fee",
)
_RANK: Final[dict[str, int]] = {"urgent": 0, "high": 1, "normal": 2}
_ENDINGS: Final = frozenset({"s", "es", "d", "ed", "ing"})


@dataclass(frozen=True)
class TopicRule:
    """Phrases (any wording; normalised when the detector is built) that mean ``topic``."""

    topic: str
    priority: Priority
    phrases: tuple[str, ...]
    examples: tuple[str, ...] = ()  # whole sentences, for matching by meaning


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

    def __init__(
        self,
        rules: Sequence[TopicRule] = DEFAULT_RULES,
        *,
        embedder: Embedder | None = None,
        similarity: float = SIMILARITY,
        margin: float = MARGIN,
    ) -> None:
        self.similarity, self.margin = similarity, margin
        self._rules = tuple(rules)
        self._phrases: list[tuple[int, TopicRule, str, tuple[str, ...]]] = []
        self._vocabulary: dict[str, frozenset[str]] = {}
        for rule_index, rule in enumerate(rules):
            if rule.priority not in _RANK:
                raise ValueError(f"topic {rule.topic!r}: unknown priority {rule.priority!r}")
            for phrase in rule.phrases:
                words = _tokens(phrase)
                if not words:
                    raise ValueError(f"topic {rule.topic!r}: empty phrase {phrase!r}")
                self._phrases.append((rule_index, rule, phrase, words))
            self._vocabulary[rule.topic] = frozenset(
                w
                for text in (*rule.phrases, *rule.examples)
                for w in _tokens(text)
                if w not in STOP_WORDS and len(w) > 2
            )
        groups = {rule.topic: (*rule.phrases, *rule.examples) for rule in self._rules}
        self._meaning = Prototypes(embedder, {**groups, "(routine)": ROUTINE})

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
        return hit or self._by_meaning(text, words)

    def closeness(self, text: str) -> dict[str, float]:
        """Similarity of ``text`` to each topic and to routine requests (all 0 without a
        model), for tuning."""
        return self._meaning.similarity(self._meaning.vector(text))

    def _by_meaning(self, text: str, words: tuple[str, ...]) -> TopicHit | None:
        if not self._meaning.enabled:
            return None
        close = self.closeness(text)
        routine = close.pop("(routine)")
        ranked = sorted(
            (r for r in self._rules if close[r.topic] >= self.similarity),
            key=lambda r: (_RANK[r.priority], -close[r.topic]),
        )
        for rule in ranked:
            if close[rule.topic] - routine < self.margin:
                continue
            vocabulary = self._vocabulary[rule.topic]
            if any(w in vocabulary and negated(words, i) for i, w in enumerate(words)):
                continue
            return TopicHit(rule.topic, rule.priority, MEANING)
        return None


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
    """``phrase`` in order inside ``words``, spread over at most ``len(phrase) + gap``, with
    no negation before it or in a gap inside it ("card was not stolen")."""
    size = len(phrase)
    gap = 0 if size <= 2 else min(2, size - 1)
    for start, word in enumerate(words):
        if not _same(phrase[0], word):
            continue
        next_word, skipped = 1, False
        for position in range(start + 1, min(len(words), start + size + gap)):
            if next_word == size:
                break
            if _same(phrase[next_word], words[position]):
                next_word += 1
            elif words[position] in NEGATORS:
                skipped = True
        if next_word == size and not skipped and not negated(words, start):
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
