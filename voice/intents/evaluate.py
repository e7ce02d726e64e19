"""Measure a ``Matcher`` on labelled sentences, and suggest a threshold and margin.

Cases come from a CSV with the header ``text,intent``; an empty intent means the sentence
is out of scope and the matcher should refuse it. The matcher runs once per case and the
full ranking is kept, so a threshold/margin sweep is recomputed from the stored scores
(the decision rule is the matcher's own: accept the best intent when its confidence is
>= threshold and leads the runner-up by >= margin).

Scoring: an in-scope case is right only when the expected intent is chosen (a refusal is
wrong); an out-of-scope case is right only when refused. For precision, recall and F1 a
refusal and an out-of-scope case share the label ``(none)``.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

from voice.intents.matcher import Matcher

NONE_LABEL: Final = "(none)"
HEADER: Final = ("text", "intent")
TOP_CONFUSIONS: Final = 10
# Default sweep grid, in hundredths (0.30..0.90 and 0.00..0.20).
DEFAULT_THRESHOLDS: Final = tuple(round(t / 100, 2) for t in range(30, 91))
DEFAULT_MARGINS: Final = tuple(round(m / 100, 2) for m in range(0, 21))


@dataclass(frozen=True)
class Case:
    """One labelled sentence; ``intent`` is None when the matcher should refuse it."""

    text: str
    intent: str | None


@dataclass(frozen=True)
class Outcome:
    """The matcher's full ranking for one case (best first) and the time it took."""

    case: Case
    ranked: tuple[tuple[str, float], ...]
    ms: float
    close_in_meaning: bool = True  # the semantic layer's veto, independent of the settings

    @property
    def confidence(self) -> float:
        return self.ranked[0][1] if self.ranked else 0.0

    @property
    def gap(self) -> float:
        """Lead of the best intent over the runner-up (0..1)."""
        runner_up = self.ranked[1][1] if len(self.ranked) > 1 else 0.0
        return self.confidence - runner_up

    def predict(self, threshold: float, margin: float) -> str | None:
        """The intent the matcher would answer with these settings, or None (refusal)."""
        if not self.ranked or not self.close_in_meaning:
            return None
        if self.confidence < threshold or self.gap < margin:
            return None
        return self.ranked[0][0]


@dataclass(frozen=True)
class IntentScore:
    label: str  # an intent name, or NONE_LABEL
    precision: float
    recall: float
    f1: float
    support: int  # cases that expect this label


@dataclass(frozen=True)
class Confusion:
    expected: str
    got: str
    count: int


@dataclass(frozen=True)
class SweepPoint:
    threshold: float
    margin: float
    accuracy: float
    in_scope_recall: float | None  # None when there are no in-scope cases
    out_of_scope_refusal: float | None  # None when there are no out-of-scope cases


@dataclass(frozen=True)
class Report:
    """Results of one evaluation at the matcher's ``threshold`` and ``margin``."""

    outcomes: tuple[Outcome, ...]
    threshold: float
    margin: float

    @cached_property
    def predictions(self) -> tuple[str | None, ...]:
        return tuple(o.predict(self.threshold, self.margin) for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        return self.at(self.threshold, self.margin).accuracy

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(o.ms for o in self.outcomes) if self.outcomes else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(o.ms for o in self.outcomes) if self.outcomes else 0.0

    @cached_property
    def per_intent(self) -> tuple[IntentScore, ...]:
        """Scores per label, intents by name with ``(none)`` last."""
        expected = [_label(o.case.intent) for o in self.outcomes]
        got = [_label(p) for p in self.predictions]
        support = Counter(expected)
        predicted = Counter(got)
        hits = Counter(e for e, g in zip(expected, got, strict=True) if e == g)
        labels = sorted(set(support) | set(predicted), key=lambda s: (s == NONE_LABEL, s))
        scores = []
        for label in labels:
            precision = _ratio(hits[label], predicted[label])
            recall = _ratio(hits[label], support[label])
            total = precision + recall
            f1 = 2 * precision * recall / total if total else 0.0
            scores.append(IntentScore(label, precision, recall, f1, support[label]))
        return tuple(scores)

    @cached_property
    def confusions(self) -> tuple[Confusion, ...]:
        """The ``TOP_CONFUSIONS`` most frequent wrong answers, most frequent first."""
        pairs = Counter(
            (_label(o.case.intent), _label(p))
            for o, p in zip(self.outcomes, self.predictions, strict=True)
            if o.case.intent != p
        )
        ordered = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
        return tuple(Confusion(e, g, n) for (e, g), n in ordered[:TOP_CONFUSIONS])

    @cached_property
    def _decisions(self) -> tuple[tuple[float, float, str | None, str | None], ...]:
        """(confidence, gap, best intent, expected) per case: all a sweep point needs. The
        best intent is None when the semantic layer vetoes it (no setting changes that)."""
        return tuple(
            (
                o.confidence,
                o.gap,
                o.ranked[0][0] if o.ranked and o.close_in_meaning else None,
                o.case.intent,
            )
            for o in self.outcomes
        )

    def at(self, threshold: float, margin: float) -> SweepPoint:
        """Scores with other settings, from the stored rankings (no matching)."""
        right = in_scope = in_scope_right = out_scope = refused = 0
        for confidence, gap, top, expected in self._decisions:
            sure = confidence >= threshold and gap >= margin
            got = top if sure else None
            right += got == expected
            if expected is None:
                out_scope += 1
                refused += got is None
            else:
                in_scope += 1
                in_scope_right += got == expected
        return SweepPoint(
            threshold=threshold,
            margin=margin,
            accuracy=_ratio(right, len(self.outcomes)),
            in_scope_recall=in_scope_right / in_scope if in_scope else None,
            out_of_scope_refusal=refused / out_scope if out_scope else None,
        )

    def sweep(
        self,
        thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
        margins: Iterable[float] = DEFAULT_MARGINS,
    ) -> list[SweepPoint]:
        """One point per (threshold, margin) pair, thresholds outer, in the order given."""
        margin_list = list(margins)
        return [self.at(t, m) for t in thresholds for m in margin_list]

    def best(
        self,
        thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
        margins: Iterable[float] = DEFAULT_MARGINS,
    ) -> SweepPoint:
        """Highest accuracy; ties go to higher out-of-scope refusal, then to the stricter
        settings (higher threshold, then higher margin)."""
        points = self.sweep(thresholds, margins)
        if not points:
            raise ValueError("the sweep needs at least one threshold and one margin")
        return max(
            points,
            key=lambda p: (p.accuracy, p.out_of_scope_refusal or 0.0, p.threshold, p.margin),
        )


def read_cases(path: Path) -> list[Case]:
    """Read ``text,intent`` rows; blank lines are skipped, an empty intent is out of scope.

    Raises ``ValueError`` naming the file and line of a bad header or row.
    """
    cases: list[Case] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(h.strip().lower() for h in header) != HEADER:
            raise ValueError(f"{path}:1: the first line must be the header 'text,intent'")
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != 2:
                raise ValueError(
                    f"{path}:{line}: expected 2 columns (text,intent), found {len(row)}; "
                    "quote a text that contains a comma"
                )
            text, intent = row[0].strip(), row[1].strip()
            if not text:
                raise ValueError(f"{path}:{line}: the text is empty")
            cases.append(Case(text=text, intent=intent or None))
    return cases


def evaluate(
    matcher: Matcher,
    cases: Sequence[Case],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Match every case once. ``progress(done, total)`` is called about every 1 % of cases
    and after the last one.

    Raises ``ValueError`` when a case expects an intent the matcher does not know.
    """
    total = len(cases)
    step = max(1, total // 100)
    outcomes: list[Outcome] = []
    known: frozenset[str] | None = None
    for done, case in enumerate(cases, start=1):
        started = time.perf_counter()
        match = matcher.match(case.text)
        ms = (time.perf_counter() - started) * 1000
        if known is None:
            known = frozenset(name for name, _ in match.ranked)
            _check_known(cases, known)
        outcomes.append(
            Outcome(case=case, ranked=match.ranked, ms=ms, close_in_meaning=match.close_in_meaning)
        )
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)
    return Report(outcomes=tuple(outcomes), threshold=matcher.threshold, margin=matcher.margin)


def format_report(
    report: Report,
    *,
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
    margins: Iterable[float] = DEFAULT_MARGINS,
) -> str:
    """Plain-text report: summary, per-intent table, confusions, and the settings that
    score best over the sweep grid."""
    cases = len(report.outcomes)
    out_scope = sum(o.case.intent is None for o in report.outcomes)
    current = report.at(report.threshold, report.margin)
    best = report.best(thresholds, margins)
    lines = [
        f"Cases: {cases} ({cases - out_scope} in scope, {out_scope} out of scope)",
        f"Settings: threshold {report.threshold:.2f}, margin {report.margin:.2f}",
        f"Accuracy: {_pct(current.accuracy)}  "
        f"(in-scope recall {_pct(current.in_scope_recall)}, "
        f"out-of-scope refusal {_pct(current.out_of_scope_refusal)})",
        f"Time: mean {report.mean_ms:.2f} ms/query, median {report.median_ms:.2f} ms/query",
        "",
        "Per intent:",
        *_table(
            ("intent", "precision", "recall", "f1", "support"),
            [
                (s.label, _pct(s.precision), _pct(s.recall), _pct(s.f1), str(s.support))
                for s in report.per_intent
            ],
        ),
        "",
        "Most confused (expected -> got):",
    ]
    if report.confusions:
        lines += _table(
            ("expected", "got", "count"),
            [(c.expected, c.got, str(c.count)) for c in report.confusions],
        )
    else:
        lines.append("  none")
    lines += [
        "",
        f"Suggested: threshold {best.threshold:.2f}, margin {best.margin:.2f} "
        f"-> accuracy {_pct(best.accuracy)} "
        f"(in-scope recall {_pct(best.in_scope_recall)}, "
        f"out-of-scope refusal {_pct(best.out_of_scope_refusal)})",
    ]
    return "\n".join(lines)


def _check_known(cases: Sequence[Case], known: frozenset[str]) -> None:
    unknown = sorted({c.intent for c in cases if c.intent is not None} - known)
    if unknown:
        raise ValueError(f"cases expect intents the matcher does not know: {', '.join(unknown)}")


def _label(intent: str | None) -> str:
    return NONE_LABEL if intent is None else intent


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Indented columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  " + "  ".join([first, *rest]).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]
