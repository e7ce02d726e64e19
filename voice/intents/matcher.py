"""Match a caller's words to an intent, or refuse when unsure.

The confidence of an intent (0..1) blends a lexical score (rapidfuzz, always there) with a
semantic score (sentence embeddings, when an ``Encoder`` is given; see ``semantic.py``):
``SEMANTIC_WEIGHT`` x semantic + the rest x lexical. The lexical score is the mean of:

* **example score**: the best rapidfuzz similarity to one of its examples, itself the mean
  of ``token_set_ratio`` on content words (stop words removed, crude stemming) and
  ``token_sort_ratio`` on the whole normalised text. The set score forgives extra words,
  the sort score penalises sentences that share one word but little else.
* **keyword score**: the share of the caller's content words that occur in the intent's
  examples, each word weighted by how specific it is (inverse intent frequency; a word in
  no intent weighs the most). This is what keeps "order a pizza" from matching
  track_order on the word "order", and lets "outage" outweigh "right now".

With the semantic layer, the example score is computed only for the ``CANDIDATES`` intents
closest in meaning (the others score 0 there): rapidfuzz over every example of a large pack
is what used to cost most of the time.

Digit runs of 4 or more digits become the token ``#`` (order numbers look alike to the
matcher); shorter numbers are ignored in content words. The answer is ``None`` when the
best confidence is below ``threshold``, leads the runner-up by less than ``margin``, or
(with the semantic layer) when the best intent's semantic score is below ``MEANING_FLOOR``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from voice.intents.loader import IntentSet
from voice.intents.semantic import SemanticIndex, SentenceVectors
from voice.text.normalise import joined_digit_runs, normalised_tokens
from voice.text.stopwords import STOP_WORDS


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Lexical only (no encoder): tuned on the starter pack's held-out wordings.
LEXICAL_THRESHOLD: Final = 0.59
LEXICAL_MARGIN: Final = 0.08
# With the semantic layer: tuned on BANKING77 and the starter pack (see BENCHMARKS.md).
DEFAULT_THRESHOLD: Final = 0.50
DEFAULT_MARGIN: Final = 0.01
# The best intent must also be this close in meaning alone: words an intent shares with an
# unrelated request ("what's the *date* today" vs "delivery date") lift its lexical score,
# never its meaning. Separates the starter pack's out-of-scope wordings from its held-out
# in-scope ones: <= 0.50 and >= 0.54 on the machine it was tuned on (0.52), but the int8
# encoder's scores move by a few hundredths with the CPU (an AMD EPYC without AVX-512
# read "I'd like to order a pizza" at 0.529, the in-scope ones at >= 0.587), so the floor
# sits at 0.535, inside the gap on both. Scores that depend on the CPU: see the notes.
MEANING_FLOOR: Final = 0.535
SEMANTIC_WEIGHT: Final = 0.7
CANDIDATES: Final = 8

NUMBER_TOKEN: Final = "#"
FUZZY_WORD_CUTOFF: Final = 85.0  # rapidfuzz ratio for "same word, misspelt or re-spelt"
# Speech-to-text slips usually keep a word's onset ("tract" for "track"), so a word that
# starts with the same letter may be a little further off ("tower" is not "power").
FUZZY_SAME_ONSET_CUTOFF: Final = 80.0
MIN_FUZZY_WORD_LEN: Final = 4

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
    refused: str | None = None  # why ``intent`` is None: see ``REFUSALS``
    meaning: float | None = None  # semantic score of the best intent (None: lexical only)

    @property
    def close_in_meaning(self) -> bool:
        """The best intent passes the meaning floor (always true for a lexical matcher)."""
        return self.meaning is None or self.meaning >= MEANING_FLOOR


REFUSALS: Final = {
    "nothing": "no request in the words (empty, or only a reply such as 'yes' or 'thanks')",
    "threshold": "the best confidence is below the threshold",
    "margin": "the best intent leads the runner-up by less than the margin",
    "meaning": "the best intent is not close enough in meaning",
}


@dataclass(frozen=True)
class _Text:
    full: str  # normalised, digit runs as "#"
    content: tuple[str, ...]  # stemmed words without stop words


class Matcher:
    """Intent matcher over the examples of an ``IntentSet``, lexical or lexical + semantic."""

    def __init__(
        self,
        intents: IntentSet,
        *,
        threshold: float | None = None,
        margin: float | None = None,
        semantic: SentenceVectors | None = None,
    ) -> None:
        lexical_only = semantic is None
        threshold = (
            threshold
            if threshold is not None
            else (LEXICAL_THRESHOLD if lexical_only else DEFAULT_THRESHOLD)
        )
        margin = (
            margin if margin is not None else (LEXICAL_MARGIN if lexical_only else DEFAULT_MARGIN)
        )
        if not 0.0 <= threshold <= 1.0 or not 0.0 <= margin <= 1.0:
            raise ValueError("threshold and margin are fractions between 0 and 1")
        self.threshold = threshold
        self.margin = margin
        self._names: tuple[str, ...] = tuple(intents.intents)
        self._full: list[list[str]] = [[] for _ in self._names]
        self._content: list[list[str]] = [[] for _ in self._names]
        vocab: list[set[str]] = [set() for _ in self._names]
        for index, spec in enumerate(intents.intents.values()):
            for example in spec.examples:
                text = _prepare(example)
                self._full[index].append(text.full)
                self._content[index].append(" ".join(text.content))
                vocab[index].update(text.content)
        self._vocab: tuple[frozenset[str], ...] = tuple(frozenset(v) for v in vocab)
        self._all_words: tuple[str, ...] = tuple(sorted(set().union(*vocab)))
        count = len(self._names)
        self._idf: dict[str, float] = {
            word: math.log(1 + count / sum(word in v for v in vocab)) for word in self._all_words
        }
        self._unknown_idf = math.log(1 + count)
        self._semantic = (
            SemanticIndex(semantic, [spec.examples for spec in intents.intents.values()])
            if semantic is not None
            else None
        )

    @property
    def semantic(self) -> bool:
        """Whether the semantic layer takes part in the scores."""
        return self._semantic is not None

    def match(self, text: str) -> Match:
        """Rank every intent for ``text`` (a raw transcript) and pick one if sure enough."""
        scores, meaning = self._scores(text)
        ranked = tuple(sorted(zip(self._names, scores, strict=True), key=lambda p: -p[1]))
        if not ranked:
            return Match(None, 0.0, None, 0.0, (), "nothing")
        best, confidence = ranked[0]
        runner_up, runner_up_confidence = ranked[1] if len(ranked) > 1 else (None, 0.0)
        best_meaning = None if meaning is None else meaning[self._names.index(best)]
        refused: str | None = None
        if confidence == 0.0:
            refused = "nothing"
        elif confidence < self.threshold:
            refused = "threshold"
        elif confidence - runner_up_confidence < self.margin:
            refused = "margin"
        elif best_meaning is not None and best_meaning < MEANING_FLOOR:
            refused = "meaning"
        return Match(
            intent=None if refused else best,
            confidence=confidence,
            runner_up=runner_up,
            runner_up_confidence=runner_up_confidence,
            ranked=ranked,
            refused=refused,
            meaning=best_meaning,
        )

    def scores(self, text: str) -> list[float]:
        """Confidence 0..1 for each intent, in ``IntentSet`` order."""
        return self._scores(text)[0]

    def _scores(self, text: str) -> tuple[list[float], list[float] | None]:
        """Confidences, and the semantic scores when the semantic layer is on."""
        query = _prepare(text)
        if not query.full or not self._names or _is_reply(query.full):
            return [0.0] * len(self._names), None
        keywords = self._keyword_scores(query.content)
        if self._semantic is None:
            examples = self._example_scores(query, range(len(self._names)))
            scores = [round((e + k) / 2.0, 4) for e, k in zip(examples, keywords, strict=True)]
            return scores, None
        meaning = self._semantic.scores(_sentence_form(text))
        closest = sorted(range(len(self._names)), key=lambda i: -meaning[i])[:CANDIDATES]
        examples = self._example_scores(query, closest)
        scores = [
            round(SEMANTIC_WEIGHT * m + (1.0 - SEMANTIC_WEIGHT) * (e + k) / 2.0, 4)
            for m, e, k in zip(meaning, examples, keywords, strict=True)
        ]
        return scores, meaning

    def _example_scores(self, query: _Text, intents: Iterable[int]) -> list[float]:
        """Best rapidfuzz example similarity 0..1 of each of ``intents`` (0 for the rest)."""
        owners: list[int] = []
        full: list[str] = []
        content: list[str] = []
        for index in intents:
            owners += [index] * len(self._full[index])
            full += self._full[index]
            content += self._content[index]
        best = [0.0] * len(self._names)
        if not owners:
            return best
        words = " ".join(query.content)
        set_scores = process.cdist([words], content, scorer=fuzz.token_set_ratio)[0]
        sort_scores = process.cdist([query.full], full, scorer=fuzz.token_sort_ratio)[0]
        for owner, s, t in zip(owners, set_scores, sort_scores, strict=True):
            best[owner] = max(best[owner], (float(s) + float(t)) / 200.0)
        return best

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


def _sentence_form(text: str) -> str:
    """``text`` as the sentence model should read it: digit runs joined, and without the
    full stop or question mark Whisper ends every transcript with. The examples have none,
    and on a one-word request the stop alone moved the score below the meaning floor
    ("tracking" was understood, Whisper's "Tracking." refused)."""
    return joined_digit_runs(text).strip().rstrip(".?!").rstrip()


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
