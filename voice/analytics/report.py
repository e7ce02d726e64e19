"""The analytics report: what the calls of the last N local days add up to, JSON-ready.

Definitions (the page's legend says the same):

- **Calls per day**: calls by the local day they started.
- **Containment rate**: calls the bot handled alone over all calls started. A call is *not*
  contained when it has any hand-over decision (an escalation row), transfer attempt or
  voicemail; so a caller sent to voicemail (after hours, or nobody answered) is not
  contained. Calls still in progress count as they stand now.
- **Hand-over reasons**: calls per escalation reason (``caller_request``, ``keypad_0``,
  ``frustration``, ``sensitive:fraud``...), by when the decision was made. A call handed over
  twice for different reasons (``caller_request``, then ``agent_unavailable``) counts under both.
- **Top intents**: calls in which a caller turn was matched to the intent (and the caller
  turns themselves).
- **Unmatched rate**: caller speech turns the intent matcher could not place, over all caller
  speech turns (keys, silence and unclear audio are not speech). See
  ``voice.store.analytics.unmatched_rows`` for how a miss is recognised.
- **Turns per call**: caller turns (speech, keys, silence) per call started in the window.
- **Reply latency**: for each bot turn answering a caller turn (greetings excluded): in
  stream mode, the caller's last voiced frame to the first reply frame sent
  (``eos_to_first_audio_ms``); in turn mode, the turn request in to the TwiML out
  (``total_ms``). Percentiles interpolate linearly between ranks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from voice.store.analytics import (
    DayWindow,
    caller_turns_per_call,
    daily_counts,
    intent_counts,
    reason_counts,
    reply_timings,
)
from voice.store.repo import Store

PERCENTILES = (50, 90, 95, 99)
HISTOGRAM_TOP = 10
"""Turns-per-call histogram: one bar per count from 0 to 9, then one for 10 or more."""


@dataclass(frozen=True)
class ReportRequest:
    days: int
    tz: ZoneInfo
    top_intents: int = 10


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of ascending values, interpolating between ranks."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    rank = (len(sorted_values) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    fraction = rank - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def summarise(values: Sequence[float]) -> dict[str, Any]:
    """Count, mean and percentiles in ms (one decimal); None when there are no values."""
    ordered = sorted(values)
    out: dict[str, Any] = {"count": len(ordered)}
    for p in PERCENTILES:
        out[f"p{p}"] = round(percentile(ordered, p), 1) if ordered else None
    out["mean"] = round(sum(ordered) / len(ordered), 1) if ordered else None
    return out


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def build_report(store: Store, request: ReportRequest, now: datetime) -> dict[str, Any]:
    """The whole report for the ``request.days`` local days ending with the day of ``now``."""
    window = DayWindow.ending_today(now, request.days, request.tz)
    daily = daily_counts(store, window)
    timings = reply_timings(store, window)
    replies_by_day: list[list[float]] = [[] for _ in window.days]
    stream: list[float] = []
    webhook: list[float] = []
    stt: list[float] = []
    tts: list[float] = []
    for t in timings:
        latency = t.stream_ms if t.stream_ms is not None else t.webhook_ms
        if latency is not None:
            replies_by_day[t.day].append(latency)
        if t.stream_ms is not None:
            stream.append(t.stream_ms)
        elif t.webhook_ms is not None:
            webhook.append(t.webhook_ms)
        if t.stt_ms is not None:
            stt.append(t.stt_ms)
        if t.tts_ms is not None:
            tts.append(t.tts_ms)

    days = []
    for i, day in enumerate(window.days):
        day_latency = summarise(replies_by_day[i])
        days.append(
            {
                "date": day.isoformat(),
                "calls": daily.calls[i],
                "contained": daily.contained[i],
                "containment_rate": _rate(daily.contained[i], daily.calls[i]),
                "speech_turns": daily.speech_turns[i],
                "unmatched": daily.unmatched[i],
                "unmatched_rate": _rate(daily.unmatched[i], daily.speech_turns[i]),
                "replies": day_latency["count"],
                "latency_p50_ms": day_latency["p50"],
                "latency_p95_ms": day_latency["p95"],
            }
        )

    per_call = caller_turns_per_call(store, window)
    total_calls = sum(per_call.values())
    bins = [0] * (HISTOGRAM_TOP + 1)
    for turns, calls in per_call.items():
        bins[min(turns, HISTOGRAM_TOP)] += calls
    calls = sum(daily.calls)
    contained = sum(daily.contained)
    speech = sum(daily.speech_turns)
    unmatched = sum(daily.unmatched)
    return {
        "window": {
            "days": request.days,
            "timezone": request.tz.key,
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "generated_at": now.isoformat(),
        },
        "totals": {
            "calls": calls,
            "contained": contained,
            "containment_rate": _rate(contained, calls),
            "handed_over": calls - contained,
            "speech_turns": speech,
            "unmatched": unmatched,
            "unmatched_rate": _rate(unmatched, speech),
        },
        "days": days,
        "reasons": [
            {"reason": reason, "calls": n_calls, "decisions": n_decisions}
            for reason, n_calls, n_decisions in reason_counts(store, window)
        ],
        "intents": [
            {"intent": intent, "calls": n_calls, "turns": n_turns}
            for intent, n_calls, n_turns in intent_counts(store, window, request.top_intents)
        ],
        "turns_per_call": {
            "mean": (
                round(sum(t * c for t, c in per_call.items()) / total_calls, 2)
                if total_calls
                else None
            ),
            "histogram": [
                {"turns": str(i) if i < HISTOGRAM_TOP else f"{HISTOGRAM_TOP}+", "calls": n}
                for i, n in enumerate(bins)
            ],
        },
        "latency": {
            "reply": summarise(stream + webhook),
            "stream": summarise(stream),
            "turns": summarise(webhook),
            "stt": summarise(stt),
            "tts": summarise(tts),
        },
    }
