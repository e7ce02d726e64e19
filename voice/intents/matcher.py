"""Match a caller's words to an intent, or refuse when unsure.

The confidence of an intent (0..1) is the mean of two scores:

* **example score**: the best rapidfuzz similarity to one of its examples, itself the mean
  of ``token_set_ratio`` on content words (stop words removed, crude stemming) and
  ``token_sort_ratio`` on the whole normalised text. The set score forgives extra words,
  the sort score penalises sentences that share one word but little else.
* **keyword score**: the share of the caller's content words that occur in the intent's
  examples, each word weighted by how specific it is (inverse intent frequency; a word in
  no intent weighs the most). This is what keeps "order a pizza" from matching
  track_order on the word "order", and lets "outage" outweigh "right now".

Digit runs of 4 or more digits become the token ``#`` (order numbers look alike to the
matcher); shorter numbers are ignored in content words. The answer is ``None`` when the
best confidence is below ``threshold`` or leads the runner-up by less than ``margin``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from voice.intents.loader import IntentSet
from voice.intents.normalise import normalised_tokens


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


DEFAULT_THRESHOLD: Final = 0.59
DEFAULT_MARGIN: Final = 0.08

NUMBER_TOKEN: Final = "#"
FUZZY_WORD_CUTOFF: Final = 85.0  # rapidfuzz ratio for "same word, misspelt or re-spelt"
# Speech-to-text slips usually keep a word's onset ("tract" for "track"), so a word that
# starts with the same letter may be a little further off ("tower" is not "power").
FUZZY_SAME_ONSET_CUTOFF: Final = 80.0
MIN_FUZZY_WORD_LEN: Final = 4

STOP_WORDS: Final = _word_set(
    "i me my mine a an the to is am are was were be been it its of for on in at and or "
    "can could would will you your we us our do does did have has had that this these "
    "there what how when where why which just about with from get got some any want "
    "need like know should tell guys right now today tomorrow tonight yesterday morning "
    "yet still again also here"
)
# A query made only of these is a reply or a courtesy, never a request: "No." must not
# match report_outage through "no service", nor "Thanks." anything.
REPLY_WORDS: Final = _word_set(
    "no nope nah not yes yeah yep yup ok okay thanks thank you please sure hi hello hey bye "
    "goodbye right alright fine good great cool that's that is it all i'm am good"
)
_SUFFIXES: Final = ("ing", "ed", "es", "s")


@dataclass(frozen=True)
class Match:
    """The matcher's verdict. ``ranked`` lists every intent, best first."""

    intent: str | None
    confidence: float  # 0..1 of the best intent, even when ``intent`` is None
    runner_up: str | None
    runner_up_confidence: float
    ranked: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class _Text:
    full: str  # normalised, digit runs as "#"
    content: tuple[str, ...]  # stemmed words without stop words


class Matcher:
    """Fuzzy intent matcher over the examples of an ``IntentSet``; well under 5 ms a query."""

    def __init__(
        self,
        intents: IntentSet,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        if not 0.0 <= threshold <= 1.0 or not 0.0 <= margin <= 1.0:
            raise ValueError("threshold and margin are fractions between 0 and 1")
        self.threshold = threshold
        self.margin = margin
        self._names: tuple[str, ...] = tuple(intents.intents)
        self._owner: list[int] = []
        self._full: list[str] = []
        self._content: list[str] = []
        vocab: list[set[str]] = [set() for _ in self._names]
        for index, spec in enumerate(intents.intents.values()):
            for example in spec.examples:
                text = _prepare(example)
                self._owner.append(index)
                self._full.append(text.full)
                self._content.append(" ".join(text.content))
                vocab[index].update(text.content)
        self._vocab: tuple[frozenset[str], ...] = tuple(frozenset(v) for v in vocab)
        self._all_words: tuple[str, ...] = tuple(sorted(set().union(*vocab)))
        count = len(self._names)
        self._idf: dict[str, float] = {
            word: math.log(1 + count / sum(word in v for v in vocab)) for word in self._all_words
        }
        self._unknown_idf = math.log(1 + count)

    def match(self, text: str) -> Match:
        """Rank every intent for ``text`` (a raw transcript) and pick one if sure enough."""
        scores = self.scores(text)
        ranked = tuple(sorted(zip(self._names, scores, strict=True), key=lambda p: -p[1]))
        if not ranked:
            return Match(None, 0.0, None, 0.0, ())
        best, confidence = ranked[0]
        runner_up, runner_up_confidence = ranked[1] if len(ranked) > 1 else (None, 0.0)
        sure = confidence >= self.threshold and confidence - runner_up_confidence >= self.margin
        return Match(
            intent=best if sure else None,
            confidence=confidence,
            runner_up=runner_up,
            runner_up_confidence=runner_up_confidence,
            ranked=ranked,
        )

    def scores(self, text: str) -> list[float]:
        """Confidence 0..1 for each intent, in ``IntentSet`` order."""
        query = _prepare(text)
        if not query.full or not self._names or _is_reply(query.full):
            return [0.0] * len(self._names)
        content = " ".join(query.content)
        set_scores = process.cdist([content], self._content, scorer=fuzz.token_set_ratio)[0]
        sort_scores = process.cdist([query.full], self._full, scorer=fuzz.token_sort_ratio)[0]
        best = [0.0] * len(self._names)
        for owner, s, t in zip(self._owner, set_scores, sort_scores, strict=True):
            best[owner] = max(best[owner], (float(s) + float(t)) / 200.0)
        keywords = self._keyword_scores(query.content)
        return [round((e + k) / 2.0, 4) for e, k in zip(best, keywords, strict=True)]

    def _keyword_scores(self, words: Sequence[str]) -> list[float]:
        total = 0.0
        earned = [0.0] * len(self._names)
        for word in words:
            known = self._known_forms(word)
            weight = min((self._idf[k] for k in known), default=self._unknown_idf)
            total += weight
            for index, vocab in enumerate(self._vocab):
                if not known.isdisjoint(vocab):
                    earned[index] += weight
        return [e / total if total else 0.0 for e in earned]

    def _known_forms(self, word: str) -> frozenset[str]:
        """Vocabulary words that ``word`` stands for: itself, or close spellings of it."""
        if word in self._idf:
            return frozenset((word,))
        if len(word) < MIN_FUZZY_WORD_LEN:
            return frozenset()
        near = process.extract(
            word, self._all_words, scorer=fuzz.ratio, score_cutoff=FUZZY_SAME_ONSET_CUTOFF, limit=3
        )
        return frozenset(
            candidate
            for candidate, score, _ in near
            if score >= FUZZY_WORD_CUTOFF or candidate[0] == word[0]
        )


def _prepare(text: str) -> _Text:
    full: list[str] = []
    content: list[str] = []
    for token in _group_digits(normalised_tokens(text)):
        full.append(token)
        if token == NUMBER_TOKEN or not (token in STOP_WORDS or token.isdigit()):
            content.append(_stem(token))
    return _Text(full=" ".join(full), content=tuple(content))


def _is_reply(full: str) -> bool:
    return all(word in REPLY_WORDS for word in full.split())


def _group_digits(tokens: Iterable[str]) -> list[str]:
    """Join digit tokens in a row; a run of 4+ digits becomes ``#``, shorter ones stay."""
    out: list[str] = []
    run = ""
    for token in [*tokens, ""]:
        if token.isdigit():
            run += token
            continue
        if run:
            out.append(NUMBER_TOKEN if len(run) >= 4 else run)
            run = ""
        if token:
            out.append(token)
    return out


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word
