"""The spoken evaluation's figures: per mode, per voice and per kind, typed beside spoken."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from voice.simulator.spoken.run import RowResult


@dataclass(frozen=True)
class Figures:
    rows: int
    typed_accuracy: float | None
    spoken_accuracy: float | None
    word_error_rate: float | None
    first_words_lost: int
    clipped_onsets: int | None
    split_turns: int
    early_replies_cut: int
    dropped: int
    false_turns: int
    onset_late_p50_ms: float | None
    onset_late_p95_ms: float | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def figures(results: Sequence[RowResult], mode: str) -> Figures:
    heard = [(r, r.heard[mode]) for r in results if mode in r.heard]
    speech = [(r, h) for r, h in heard if r.case.is_speech]
    words = sum(h.reference_words for _, h in speech)
    late = sorted(h.onset_late_ms for _, h in speech if h.onset_late_ms is not None)
    clipped = [h.clipped_onset for _, h in speech if h.clipped_onset is not None]
    return Figures(
        rows=len(heard),
        typed_accuracy=_share([r.typed_correct for r, _ in speech]),
        spoken_accuracy=_share([h.correct for _, h in speech]),
        word_error_rate=sum(h.errors for _, h in speech) / words if words else None,
        first_words_lost=sum(h.first_word_lost for _, h in speech),
        clipped_onsets=sum(clipped) if clipped else None,
        split_turns=sum(h.split for _, h in speech),
        early_replies_cut=sum(h.cut_early for _, h in speech),
        dropped=sum(h.dropped for _, h in speech),
        false_turns=sum(h.false_turn for _, h in heard),
        onset_late_p50_ms=_quantile(late, 0.5),
        onset_late_p95_ms=_quantile(late, 0.95),
    )


def grouped(
    results: Sequence[RowResult], mode: str, key: Callable[[RowResult], str]
) -> dict[str, Figures]:
    groups: dict[str, list[RowResult]] = defaultdict(list)
    for result in results:
        groups[key(result)].append(result)
    return {name: figures(rows, mode) for name, rows in sorted(groups.items())}


def report_json(results: Sequence[RowResult], modes: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": len(results), "modes": {}}
    for mode in modes:
        out["modes"][mode] = {
            "all": figures(results, mode).to_json(),
            "by_voice": {
                k: v.to_json()
                for k, v in grouped(
                    [r for r in results if r.case.is_speech], mode, lambda r: r.voice
                ).items()
            },
            "by_kind": {k: v.to_json() for k, v in grouped(results, mode, _kind).items()},
        }
    out["misheard"] = [
        {
            "id": r.case.id,
            "voice": r.voice,
            "text": r.case.text,
            "expected": r.case.intent,
            "typed": r.typed_intent,
            **{
                m: {"heard": h.text, "intent": h.intent, "turns": h.turns}
                for m, h in r.heard.items()
            },
        }
        for r in results
        if any(
            not h.correct or h.split or h.cut_early or h.dropped or h.first_word_lost
            for h in r.heard.values()
        )
    ]
    return out


def format_report(results: Sequence[RowResult], modes: Sequence[str]) -> str:
    lines = [f"{len(results)} rows"]
    header = (
        f"{'':16} {'rows':>5} {'typed':>6} {'spoken':>6} {'WER':>6} {'1st lost':>8} "
        f"{'clipped':>7} {'split':>5} {'cut':>4} {'dropped':>7} {'false':>5} {'late p50/p95':>13}"
    )
    for mode in modes:
        lines += ["", f"== {mode} ==", header]
        lines.append(_row("all", figures(results, mode)))
        speech = [r for r in results if r.case.is_speech]
        lines += [_row(f"  {k}", v) for k, v in grouped(speech, mode, lambda r: r.voice).items()]
        lines.append("by kind:")
        lines += [_row(f"  {k}", v) for k, v in grouped(results, mode, _kind).items()]
    return "\n".join(lines)


def _kind(result: RowResult) -> str:
    return result.case.kind


def _row(name: str, f: Figures) -> str:
    late = (
        f"{f.onset_late_p50_ms:.0f}/{f.onset_late_p95_ms:.0f}"
        if f.onset_late_p50_ms is not None and f.onset_late_p95_ms is not None
        else "-"
    )
    return (
        f"{name[:16]:16} {f.rows:>5} {percent(f.typed_accuracy):>6} "
        f"{percent(f.spoken_accuracy):>6} "
        f"{percent(f.word_error_rate):>6} {f.first_words_lost:>8} "
        f"{'-' if f.clipped_onsets is None else f.clipped_onsets:>7} {f.split_turns:>5} "
        f"{f.early_replies_cut:>4} {f.dropped:>7} {f.false_turns:>5} {late:>13}"
    )


def percent(value: float | None, space: str = "") -> str:
    return "-" if value is None else f"{100 * value:.1f}{space}%"


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]
