"""Measure the escalation policy on labelled caller turns: ``voice policy eval FILE.csv``.

Rows come from a CSV with the columns ``text`` and ``feeling`` (angry, distressed, upset,
neutral, pleased) and optionally ``topic`` (a sensitive topic of the policy, or empty),
``kind`` (a label the report groups by; ``neutral`` rows are the routine requests that
must not be flagged, ``negated`` rows name a topic only to deny it), ``split`` (dev or
test) and ``id``. Each row is judged as the first turn of a fresh call.

The headline figures: the share of angry or distressed turns read as angry or distressed
(handed to a person at once by the shipped policy), the share of ``neutral``-kind turns
flagged (read as upset or worse, or given a topic), and the negated turns that raised a
topic. Then per level precision, recall and F1 with the confusion matrix, and per topic.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from voice.handoff.escalation import EscalationPolicy
from voice.handoff.feeling import LEVELS

STRONG: Final = frozenset({"angry", "distressed"})
FLAGGED: Final = frozenset({"angry", "distressed", "upset"})
NO_TOPIC: Final = "(none)"


@dataclass(frozen=True)
class PolicyCase:
    id: str
    text: str
    feeling: str
    topic: str  # "" when none
    kind: str
    split: str


@dataclass(frozen=True)
class Verdict:
    """What the policy made of one case."""

    case: PolicyCase
    feeling: str
    topic: str  # "" when none
    handed_over: bool
    why: str = ""  # the feeling in words


def read_policy_cases(path: Path) -> list[PolicyCase]:
    """Raises ``ValueError`` naming the file and line of a bad header or value."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip().lower() for name in reader.fieldnames or []]
        if not {"text", "feeling"} <= set(header):
            raise ValueError(f"{path}:1: the header must name the columns text and feeling")
        reader.fieldnames = header
        cases = []
        for number, row in enumerate(reader, start=1):
            text = (row.get("text") or "").strip()
            if not text:
                continue
            feeling = (row.get("feeling") or "").strip().lower()
            if feeling not in LEVELS:
                raise ValueError(
                    f"{path}:{reader.line_num}: feeling must be one of {', '.join(LEVELS)}, "
                    f"got {feeling!r}"
                )
            split = (row.get("split") or "").strip() or "dev"
            if split not in ("dev", "test"):
                raise ValueError(f"{path}:{reader.line_num}: split must be dev or test")
            cases.append(
                PolicyCase(
                    id=(row.get("id") or "").strip() or f"row-{number}",
                    text=text,
                    feeling=feeling,
                    topic=(row.get("topic") or "").strip(),
                    kind=(row.get("kind") or "").strip() or feeling,
                    split=split,
                )
            )
    return cases


def judge_typed(policy: EscalationPolicy, case: PolicyCase) -> Verdict:
    """The case as the first caller turn of a call."""
    judged = policy.judge(case.text, {}, bot_failed=False)
    return Verdict(
        case,
        judged.feeling.level,
        judged.topic.topic if judged.topic else "",
        judged.escalation is not None,
        judged.feeling.words(),
    )


def evaluate_policy(
    policy: EscalationPolicy,
    cases: Sequence[PolicyCase],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[Verdict]:
    known = {t.topic for t in policy.spec.sensitive_topics}
    unknown = sorted({c.topic for c in cases if c.topic and c.topic not in known})
    if unknown:
        raise ValueError(f"the rows name topics the policy does not have: {unknown}")
    out = []
    for done, case in enumerate(cases, start=1):
        out.append(judge_typed(policy, case))
        if progress is not None:
            progress(done, len(cases))
    return out


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _prf(pairs: Iterable[tuple[str, str]], labels: Sequence[str]) -> dict[str, dict[str, Any]]:
    pairs = list(pairs)
    out: dict[str, dict[str, Any]] = {}
    for label in labels:
        tp = sum(e == label and p == label for e, p in pairs)
        predicted = sum(p == label for _, p in pairs)
        support = sum(e == label for e, _ in pairs)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
            "predicted": predicted,
        }
    return out


def report(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """The figures as a JSON-ready dict."""
    strong = [v for v in verdicts if v.case.feeling in STRONG]
    routine = [v for v in verdicts if v.case.kind == "neutral"]
    negated = [v for v in verdicts if v.case.kind == "negated"]
    with_topic = [v for v in verdicts if v.case.topic]
    pairs = [(v.case.feeling, v.feeling) for v in verdicts]
    confusion = Counter(pairs)
    topics = sorted(
        {v.case.topic for v in verdicts if v.case.topic} | {v.topic for v in verdicts if v.topic}
    )
    topic_pairs = [(v.case.topic or NO_TOPIC, v.topic or NO_TOPIC) for v in verdicts]
    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted({v.case.kind for v in verdicts}):
        rows = [v for v in verdicts if v.case.kind == kind]
        kinds[kind] = {
            "rows": len(rows),
            "feeling_right": _share(sum(v.feeling == v.case.feeling for v in rows), len(rows)),
            "handed_over": _share(sum(v.handed_over for v in rows), len(rows)),
        }
    return {
        "rows": len(verdicts),
        "splits": sorted({v.case.split for v in verdicts}),
        "angry_or_distressed_detected": _share(
            sum(v.feeling in STRONG for v in strong), len(strong)
        ),
        "angry_or_distressed_rows": len(strong),
        "angry_or_distressed_to_a_person": _share(sum(v.handed_over for v in strong), len(strong)),
        "routine_flagged": _share(
            sum(v.feeling in FLAGGED or bool(v.topic) for v in routine), len(routine)
        ),
        "routine_handed_over": _share(sum(v.handed_over for v in routine), len(routine)),
        "routine_rows": len(routine),
        "negated_topic_triggers": sum(bool(v.topic) for v in negated),
        "negated_rows": len(negated),
        "feeling_accuracy": _share(sum(e == p for e, p in pairs), len(pairs)),
        "per_feeling": _prf(pairs, LEVELS),
        "confusion": {e: {p: confusion[(e, p)] for p in LEVELS} for e in LEVELS},
        "topic_recall": _share(sum(v.topic == v.case.topic for v in with_topic), len(with_topic)),
        "topic_false_hits": sum(bool(v.topic) and v.topic != v.case.topic for v in verdicts),
        "per_topic": _prf(topic_pairs, topics),
        "per_kind": kinds,
        "misses": [
            {
                "id": v.case.id,
                "text": v.case.text,
                "expected": [v.case.feeling, v.case.topic],
                "got": [v.feeling, v.topic],
                "why": v.why,
            }
            for v in verdicts
            if v.feeling != v.case.feeling or v.topic != v.case.topic
        ],
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def format_report(figures: dict[str, Any], *, misses: int = 15) -> str:
    lines = [
        f"{figures['rows']} rows (split: {', '.join(figures['splits'])})",
        f"angry or distressed read as such: {_pct(figures['angry_or_distressed_detected'])} "
        f"of {figures['angry_or_distressed_rows']} "
        f"(to a person at once: {_pct(figures['angry_or_distressed_to_a_person'])})",
        f"routine requests flagged (upset or worse, or a topic): "
        f"{_pct(figures['routine_flagged'])} of {figures['routine_rows']} "
        f"(handed over: {_pct(figures['routine_handed_over'])})",
        f"negated topics that triggered: {figures['negated_topic_triggers']} "
        f"of {figures['negated_rows']}",
        f"feeling accuracy: {_pct(figures['feeling_accuracy'])}; topic recall: "
        f"{_pct(figures['topic_recall'])}, wrong topic hits: {figures['topic_false_hits']}",
        "",
        f"{'feeling':<12}{'precision':>10}{'recall':>8}{'f1':>7}{'rows':>6}",
    ]
    for label, score in figures["per_feeling"].items():
        lines.append(
            f"{label:<12}{score['precision']:>10.2f}{score['recall']:>8.2f}"
            f"{score['f1']:>7.2f}{score['support']:>6}"
        )
    lines += ["", "confusion (rows: expected, columns: read as)"]
    lines.append(" " * 12 + "".join(f"{p[:8]:>10}" for p in LEVELS))
    for expected, row in figures["confusion"].items():
        lines.append(f"{expected:<12}" + "".join(f"{row[p]:>10}" for p in LEVELS))
    lines += ["", f"{'topic':<14}{'precision':>10}{'recall':>8}{'rows':>6}"]
    for label, score in figures["per_topic"].items():
        if label != NO_TOPIC:
            lines.append(
                f"{label:<14}{score['precision']:>10.2f}{score['recall']:>8.2f}"
                f"{score['support']:>6}"
            )
    if figures["misses"]:
        lines += ["", f"misread (first {misses}):"]
        for miss in figures["misses"][:misses]:
            expected = "/".join(x for x in miss["expected"] if x)
            got = "/".join(x for x in miss["got"] if x)
            lines.append(f"  {miss['id']}: {expected} -> {got}  {miss['text']!r}")
    return "\n".join(lines)
