"""``voice intents suggest``: what callers said that the bot did not understand, grouped,
with the intent each group most likely meant.

**Which utterances**: caller speech turns of the last ``days`` stored with no intent, or
with an intent whose confidence was below ``threshold + margin`` of the matcher (accepted,
but by a hair: a slightly different wording would have been refused). They are matched
again with the *current* matcher and dropped when it now accepts them with that comfort,
so a group shrinks as examples are added. Also dropped: replies and courtesies ("yes",
"no thanks", "that's all"; ``yes_or_no``), and utterances of fewer than ``MIN_WORDS``
words once normalised, digits aside ("four five seven one two" answers a question).

**Grouping**: utterances are de-duplicated after ``normalise`` (digit runs of 4+ as
``#``), then clustered greedily, most frequent first: each joins the group whose leader
(its first member) is most similar, when rapidfuzz ``token_set_ratio`` on content words
(the matcher's stop words out) is at least ``cutoff`` (default 70); otherwise it leads a new group.

**Per group**: the example is its most central member (highest summed similarity to the
other utterances of the group, repeats included). Stored text is already redacted, but a
member holding a redaction tag (``[card]``) or a run of 4+ digits is never proposed as it
is: the example is the most central *clean* member, and a group with none is shown (long
numbers masked) and marked not addable.
The proposed intent is the one with the best mean confidence over the members (each
weighted by its count) in the matcher's ranking; below ``near`` (default: 0.1 under the
matcher's threshold with the semantic layer, two thirds of it for the lexical matcher)
nothing is close and the proposal is a new intent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from rapidfuzz import fuzz

from voice.intents.matcher import Matcher
from voice.intents.replies import yes_or_no
from voice.store.repo import Store
from voice.text.normalise import normalise
from voice.text.redaction import REDACTION_TAG
from voice.text.stopwords import STOP_WORDS

MIN_WORDS: Final = 3
CLUSTER_CUTOFF: Final = 70.0
MAX_MEMBERS_SHOWN: Final = 8
NEAR_SHARE: Final = 2 / 3
SEMANTIC_NEAR_GAP: Final = 0.1

_LONG_DIGITS: Final = re.compile(r"\d{4,}")


@dataclass(frozen=True)
class Utterance:
    """One stored caller utterance (already redacted when it was stored)."""

    text: str
    intent: str | None = None
    confidence: float | None = None


@dataclass
class Suggestion:
    """A group of similar utterances and what to do about it."""

    example: str  # the most central clean member, or a masked one when ``addable`` is False
    count: int  # utterances in the group, repeats included
    proposed: str | None  # the intent it most likely meant; None: a new intent?
    score: float  # mean confidence of ``proposed`` (of the best intent when None)
    addable: bool  # False when every member holds personal data or a long number
    members: list[tuple[str, int]] = field(default_factory=list)  # distinct texts, counts

    def to_json(self) -> dict[str, Any]:
        return {
            "example": self.example,
            "count": self.count,
            "proposed": self.proposed,
            "score": round(self.score, 4),
            "addable": self.addable,
            "members": [{"text": text, "count": count} for text, count in self.members],
        }


def suggest(
    utterances: Iterable[Utterance],
    matcher: Matcher,
    *,
    cutoff: float = CLUSTER_CUTOFF,
    near: float | None = None,
) -> list[Suggestion]:
    """Group the utterances the matcher is unsure of; biggest groups first."""
    near = near_score(matcher) if near is None else near
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}  # normalised key -> first text seen
    for utterance in utterances:
        text = " ".join(utterance.text.split())
        if not _worth_a_look(text, matcher):
            continue
        key = _mask_numbers(normalise(text))
        counts[key] += 1
        shown.setdefault(key, text)
    groups = _cluster([(shown[k], n) for k, n in counts.most_common()], cutoff)
    suggestions = [_describe(members, matcher, near) for members in groups]
    return sorted(suggestions, key=lambda s: (-s.count, s.example))


def near_score(matcher: Matcher) -> float:
    """Below this mean confidence nothing is close enough to propose. With the semantic
    layer, out-of-scope requests score about 0.2 to 0.45 and near misses above 0.4 (the
    starter pack's held-out wordings score 0.59 or more): 0.1 under the threshold."""
    if matcher.semantic:
        return max(0.0, matcher.threshold - SEMANTIC_NEAR_GAP)
    return matcher.threshold * NEAR_SHARE


def unsure_below(matcher: Matcher) -> float:
    """Stored confidences below this count as unsure (accepted by a hair, or refused)."""
    return matcher.threshold + matcher.margin


def load_utterances(store: Store, matcher: Matcher, *, days: int) -> list[Utterance]:
    """The candidate utterances of the last ``days`` days from the store (blocking)."""
    since = datetime.now(UTC) - timedelta(days=days)
    rows = store.caller_utterances(since=since, unsure_below=unsure_below(matcher))
    return [Utterance(r["text"], r["intent"], r["confidence"]) for r in rows]


def format_table(suggestions: Sequence[Suggestion], *, width: int = 60) -> str:
    """A plain-text table: count, example, proposed intent, score."""
    if not suggestions:
        return "Nothing to suggest: every recent caller utterance was understood."
    lines = [f"{'count':>5}  {'example':<{width}}  {'proposed intent':<20}  score"]
    for s in suggestions:
        example = s.example if len(s.example) <= width else s.example[: width - 1] + "…"
        if not s.addable:
            example = (example + " (personal data)")[:width]
        proposed = s.proposed or "new intent?"
        lines.append(f"{s.count:>5}  {example:<{width}}  {proposed:<20}  {s.score:.2f}")
    return "\n".join(lines)


def _worth_a_look(text: str, matcher: Matcher) -> bool:
    words = [w for w in normalise(text).split() if not w.isdigit()]
    if len(words) < MIN_WORDS or yes_or_no(text) is not None:
        return False
    match = matcher.match(text)
    return match.intent is None or match.confidence < unsure_below(matcher)


def _content(text: str) -> str:
    words = [w for w in normalise(REDACTION_TAG.sub(" ", text)).split() if w not in STOP_WORDS]
    return " ".join(words)


def _cluster(items: list[tuple[str, int]], cutoff: float) -> list[list[tuple[str, int]]]:
    """Greedy leader clustering; ``items`` come most frequent first."""
    groups: list[list[tuple[str, int]]] = []
    leaders: list[str] = []
    for text, count in items:
        content = _content(text)
        scores = [fuzz.token_set_ratio(content, leader) for leader in leaders]
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        if best is not None and scores[best] >= cutoff:
            groups[best].append((text, count))
        else:
            groups.append([(text, count)])
            leaders.append(content)
    return groups


def _describe(members: list[tuple[str, int]], matcher: Matcher, near: float) -> Suggestion:
    total = sum(count for _, count in members)
    contents = [_content(text) for text, _ in members]

    def centrality(index: int) -> float:
        """Summed similarity to every other utterance of the group, repeats included."""
        repeats = 100.0 * (members[index][1] - 1)
        return repeats + sum(
            fuzz.token_set_ratio(contents[index], other) * members[j][1]
            for j, other in enumerate(contents)
            if j != index
        )

    clean = [i for i, (text, _) in enumerate(members) if _is_clean(text)]
    pool = clean or list(range(len(members)))
    central = max(pool, key=lambda i: (centrality(i), members[i][1], -len(members[i][0])))
    example = members[central][0]
    if not clean:
        example = _LONG_DIGITS.sub("#", example)
    sums: dict[str, float] = {}
    for text, count in members:
        for intent, score in matcher.match(text).ranked:
            sums[intent] = sums.get(intent, 0.0) + score * count
    best, best_sum = max(sums.items(), key=lambda p: p[1], default=("", 0.0))
    score = best_sum / total
    return Suggestion(
        example=example,
        count=total,
        proposed=best if best and score >= near else None,
        score=score,
        addable=bool(clean),
        members=sorted(members, key=lambda m: -m[1])[:MAX_MEMBERS_SHOWN],
    )


def _is_clean(text: str) -> bool:
    """No redaction tag and no number of 4+ digits, written or spoken ("four five ...")."""
    if REDACTION_TAG.search(text) or _LONG_DIGITS.search(text):
        return False
    return "#" not in _mask_numbers(normalise(text)).split()


def _mask_numbers(normalised: str) -> str:
    """Digit tokens in a row joined; a run of 4+ digits becomes ``#``."""
    out: list[str] = []
    run = ""
    for token in [*normalised.split(), ""]:
        if token.isdigit():
            run += token
            continue
        if run:
            out.append("#" if len(run) >= 4 else run)
            run = ""
        if token:
            out.append(token)
    return " ".join(out)
