"""How the escalation policy reads callers: the feelings corpus typed and spoken.

    python -m bench.feelings [--split test|dev] [--no-spoken] [--no-write]

Typed: every row of ``bench/feelings/corpus.csv`` judged by the shipped policy with the
bundled sentence model (``voice policy eval``), per split. Spoken: the rows of ``--split``
(default ``test``, the held-out rows) rendered by the caller voices in turn and placed as
live calls (``voice.simulator.spoken.feelings``). Writes the ``feelings`` section of
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from bench.turns import write_section
from voice.config import Settings
from voice.engines import load_engines
from voice.handoff.escalation import EscalationPolicy
from voice.handoff.evaluate import evaluate_policy, read_policy_cases, report
from voice.intents.loader import load_intents
from voice.pack.policy import load_policy
from voice.simulator.spoken.clock import run_virtual
from voice.simulator.spoken.feelings import SpokenVerdict, speak_cases

CORPUS = Path(__file__).with_name("corpus.csv")


def _p(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _row(name: str, f: dict[str, Any]) -> str:
    return (
        f"| {name} | {f['rows']} | **{_p(f['angry_or_distressed_detected'])}** "
        f"({f['angry_or_distressed_rows']}) | {_p(f['angry_or_distressed_to_a_person'])} | "
        f"**{_p(f['routine_flagged'])}** ({f['routine_rows']}) | "
        f"{_p(f['routine_handed_over'])} | **{f['negated_topic_triggers']}** of "
        f"{f['negated_rows']} | {_p(f['feeling_accuracy'])} | {_p(f['topic_recall'])} | "
        f"{f['topic_false_hits']} |"
    )


def render(typed: dict[str, dict[str, Any]], spoken: dict[str, Any] | None, split: str,
           voices: Counter[str], seconds: float) -> str:  # fmt: skip
    lines = [
        "<!-- feelings:start -->",
        "## Feelings and sensitive topics (issue #14)",
        "",
        f"`python -m bench.feelings --split {split}` on {platform.machine()}, "
        f"{date.today().isoformat()}, {seconds / 60:.0f} min: `bench/feelings/corpus.csv` "
        "(230 caller turns written for this, README beside it) judged by the shipped "
        "`intents/policy.yaml` with the bundled sentence model, each row as the first turn "
        "of a call. The reader's weights, thresholds and prototypes were tuned on the dev "
        f"rows only; **{split}** is the figure to quote. Spoken: the {split} rows rendered "
        "by the caller voices in turn and placed as live calls (the real `StreamSession` "
        "with Silero, end of turn, Whisper tiny.en, matcher and dialog, on the virtual "
        "clock of `bench/hearing`), judged on the feeling and hand-over the call stored.",
        "",
        "| run | rows | angry or distressed read as such | ... to a person at once | "
        "routine requests flagged | ... handed over | negated topics that triggered | "
        "feeling accuracy | topic recall | wrong topic hits |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, figures in typed.items():
        lines.append(_row(f"typed, {name}", figures))
    if spoken is not None:
        lines.append(_row(f"spoken (live path), {split}", spoken))
    lines += [
        "",
        "Targets: >= 90 % of clearly angry or distressed turns detected, <= 5 % of routine "
        "requests flagged (read as upset or worse, or given a topic), negated topics never "
        "trigger. Flagged includes `upset`, which only adds an offer of a person to the "
        "answer; handed over is what sends the caller to a person.",
        "",
        f"Per level, typed {split} (precision / recall, rows):",
        "",
        "| level | precision | recall | rows |",
        "| --- | ---: | ---: | ---: |",
    ]
    for level, score in typed[split]["per_feeling"].items():
        lines.append(
            f"| {level} | {_p(score['precision'])} | {_p(score['recall'])} | {score['support']} |"
        )
    confusion = typed[split]["confusion"]
    levels = list(confusion)
    lines += [
        "",
        f"Confusion, typed {split} (rows: label, columns: read as):",
        "",
        "| label | " + " | ".join(levels) + " |",
        "| --- | " + " | ".join("---:" for _ in levels) + " |",
    ]
    for label, row in confusion.items():
        lines.append(f"| {label} | " + " | ".join(str(row[c]) for c in levels) + " |")
    if spoken is not None:
        lines += [
            "",
            f"Spoken voices: {', '.join(f'{v} {n}' for v, n in sorted(voices.items()))}.",
        ]
    lines.append("<!-- feelings:end -->")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--no-spoken", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    settings = Settings(_env_file=None)
    engines = load_engines(settings)
    try:
        spec = load_policy(settings.policy_path, load_intents(settings.intents_dir))
        policy = EscalationPolicy(spec, embedder=engines.sentences)
        cases = read_policy_cases(CORPUS)
        typed = {
            split: report(evaluate_policy(policy, [c for c in cases if c.split == split]))
            for split in ("dev", "test")
        }
        spoken_figures = None
        voices: Counter[str] = Counter()
        if not args.no_spoken:
            chosen = [c for c in cases if c.split == args.split]
            spoken: list[SpokenVerdict] = run_virtual(
                speak_cases(chosen, settings=settings, engines=engines)
            )
            spoken_figures = report([s.verdict for s in spoken])
            voices = Counter(s.voice for s in spoken)
            for s in spoken:
                v = s.verdict
                if v.feeling != v.case.feeling or v.topic != v.case.topic:
                    print(f"{v.case.id} [{s.voice}] {v.case.feeling}/{v.case.topic} -> "
                          f"{v.feeling}/{v.topic}: heard {s.heard!r}")  # fmt: skip
    finally:
        engines.close()
    section = render(typed, spoken_figures, args.split, voices, time.monotonic() - started)
    print(section)
    if not args.no_write:
        write_section(section, "feelings")


if __name__ == "__main__":
    main()
