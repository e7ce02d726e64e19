"""Read-only queries behind the analytics page and the spike check (SQLite and PostgreSQL).

Counting and grouping happen in SQL. Days are local days of a time zone: the window's day
boundaries are computed in Python (so daylight-saving days are 23 or 25 hours long) and each
row is put in its day by one ``CASE`` over those boundaries, the same on both backends.
Latency percentiles are computed by the caller from the extracted values (SQLite has no
percentile function). Every function takes the synchronous ``Store`` and may block.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from voice.store.models import Call, Escalation, Transfer, Turn, Voicemail
from voice.store.repo import Store

NO_MATCH_ESCALATION = "repeated_no_match"
"""The hand-over reason the dialog engine gives when the last of several no-matches ends it."""

# -- local days ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DayWindow:
    """``days`` consecutive local days ending with the day of ``now``; ``bounds`` holds the
    UTC instant each day starts, plus the end of the last day."""

    days: tuple[date, ...]
    bounds: tuple[datetime, ...]

    @classmethod
    def ending_today(cls, now: datetime, days: int, tz: ZoneInfo) -> DayWindow:
        today = now.astimezone(tz).date()
        first = today - timedelta(days=days - 1)
        dates = tuple(first + timedelta(days=i) for i in range(days + 1))
        bounds = tuple(datetime(d.year, d.month, d.day, tzinfo=tz) for d in dates)
        return cls(days=dates[:-1], bounds=bounds)

    @property
    def start(self) -> datetime:
        return self.bounds[0]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]

    def contains(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)

    def day_of(self, column: Any) -> ColumnElement[int]:
        """The index of the local day ``column`` falls in (rows must be inside the window)."""
        whens = [(column < bound, i) for i, bound in enumerate(self.bounds[1:-1])]
        if not whens:
            return literal(0, Integer())
        return case(*whens, else_=len(self.days) - 1)


# -- aggregates over a window -------------------------------------------------------------


@dataclass(frozen=True)
class DailyCounts:
    calls: list[int]
    contained: list[int]
    speech_turns: list[int]
    unmatched: list[int]


def handed_over(call_sid: Any) -> ColumnElement[bool]:
    """True for a call that reached a person or a voicemail: any escalation (the policy's
    decision), transfer attempt or voicemail row."""
    return or_(
        exists().where(Escalation.call_sid == call_sid),
        exists().where(Transfer.call_sid == call_sid),
        exists().where(Voicemail.call_sid == call_sid),
    )


def daily_counts(store: Store, window: DayWindow) -> DailyCounts:
    """Per local day: calls started, calls contained (never handed over), caller speech
    turns, and unmatched speech turns (see ``unmatched_rows``)."""
    n = len(window.days)
    calls, contained = [0] * n, [0] * n
    speech, unmatched = [0] * n, [0] * n
    started = (
        select(
            window.day_of(Call.started_at).label("day"),
            case((handed_over(Call.call_sid), 0), else_=1).label("contained"),
        )
        .where(window.contains(Call.started_at))
        .subquery()
    )
    said = (
        select(window.day_of(Turn.created_at).label("day"))
        .where(Turn.speaker == "caller", Turn.kind == "speech", window.contains(Turn.created_at))
        .subquery()
    )
    missed = unmatched_rows(window).subquery()
    with store.transaction("daily_counts") as s:
        for day, count, kept in s.execute(
            select(started.c.day, func.count(), func.sum(started.c.contained)).group_by(
                started.c.day
            )
        ):
            calls[day], contained[day] = count, int(kept or 0)
        for day, count in s.execute(select(said.c.day, func.count()).group_by(said.c.day)):
            speech[day] = count
        for day, count in s.execute(select(missed.c.day, func.count()).group_by(missed.c.day)):
            unmatched[day] = count
    return DailyCounts(calls, contained, speech, unmatched)


def unmatched_rows(window: DayWindow) -> Any:
    """One row (``day``) per caller utterance the intent matcher could not place.

    The dialog engine answers such a turn with a "sorry, I didn't get that" reply: a bot
    turn with no intent but with the matcher's best confidence (the only intent-less reply
    that carries one); the last miss of a run is instead a hand-over with reason
    ``repeated_no_match``. Counting those, rather than caller turns without an intent, leaves
    out utterances that were understood without an intent ("no, that's all", a spoken order
    number, an urgent topic).
    """
    replies = select(window.day_of(Turn.created_at).label("day")).where(
        Turn.speaker == "bot",
        Turn.intent.is_(None),
        Turn.confidence.is_not(None),
        window.contains(Turn.created_at),
    )
    escalations = select(window.day_of(Escalation.created_at).label("day")).where(
        Escalation.reason == NO_MATCH_ESCALATION, window.contains(Escalation.created_at)
    )
    return replies.union_all(escalations)


def reason_counts(store: Store, window: DayWindow) -> list[tuple[str, int, int]]:
    """(reason, calls, hand-over decisions) in the window, most calls first."""
    query = (
        select(Escalation.reason, func.count(func.distinct(Escalation.call_sid)), func.count())
        .where(window.contains(Escalation.created_at))
        .group_by(Escalation.reason)
        .order_by(func.count(func.distinct(Escalation.call_sid)).desc(), Escalation.reason)
    )
    with store.transaction("reason_counts") as s:
        return [(reason, calls, total) for reason, calls, total in s.execute(query)]


def intent_counts(store: Store, window: DayWindow, limit: int) -> list[tuple[str, int, int]]:
    """(intent, calls, caller turns) of the ``limit`` intents heard in the most calls."""
    calls = func.count(func.distinct(Turn.call_sid))
    query = (
        select(Turn.intent, calls, func.count())
        .where(Turn.speaker == "caller", Turn.intent.is_not(None), window.contains(Turn.created_at))
        .group_by(Turn.intent)
        .order_by(calls.desc(), func.count().desc(), Turn.intent)
        .limit(limit)
    )
    with store.transaction("intent_counts") as s:
        return [(str(intent), n_calls, n_turns) for intent, n_calls, n_turns in s.execute(query)]


def caller_turns_per_call(store: Store, window: DayWindow) -> dict[int, int]:
    """{caller turns: calls} over the calls started in the window (0 included)."""
    per_call = (
        select(func.count(Turn.id).label("n"))
        .select_from(Call)
        .outerjoin(Turn, and_(Turn.call_sid == Call.call_sid, Turn.speaker == "caller"))
        .where(window.contains(Call.started_at))
        .group_by(Call.call_sid)
        .subquery()
    )
    with store.transaction("caller_turns_per_call") as s:
        query = select(per_call.c.n, func.count()).group_by(per_call.c.n)
        return {int(n): count for n, count in s.execute(query)}


@dataclass(frozen=True)
class ReplyTiming:
    """One bot reply to a caller turn; milliseconds, None where the turn did not record it."""

    day: int
    stream_ms: float | None  # stream: caller's last voiced frame to first reply frame sent
    webhook_ms: float | None  # turns: the turn's request in to TwiML out
    stt_ms: float | None  # recognition of the caller turn
    tts_ms: float | None  # synthesis (stream: of the first sentence)


def reply_timings(store: Store, window: DayWindow) -> list[ReplyTiming]:
    """Timings of every bot turn answering a caller turn (greetings are not replies)."""
    said = aliased(Turn)
    timing = Turn.timings
    query = (
        select(
            window.day_of(Turn.created_at),
            timing["eos_to_first_audio_ms"].as_float(),
            timing["total_ms"].as_float(),
            said.timings["stt_ms"].as_float(),
            func.coalesce(timing["tts_first_ms"].as_float(), timing["tts_ms"].as_float()),
        )
        .join(
            said,
            and_(
                said.call_sid == Turn.call_sid,
                said.seq == Turn.seq - 1,
                said.speaker == "caller",
            ),
        )
        .where(Turn.speaker == "bot", window.contains(Turn.created_at))
    )
    with store.transaction("reply_timings") as s:
        return [ReplyTiming(*row) for row in s.execute(query)]


# -- fixed-length windows for the spike check ---------------------------------------------


class _WindowIndex(FunctionElement[int]):
    """floor((epoch seconds of a timestamp - start) / width), per dialect."""

    type = Integer()
    inherit_cache = True
    name = "window_index"


@compiles(_WindowIndex, "sqlite")
def _window_index_sqlite(element: _WindowIndex, compiler: SQLCompiler, **kw: Any) -> str:
    column, start, width = (compiler.process(c, **kw) for c in element.clauses)
    # Rows are never before the start, so truncation is floor.
    return f"CAST(((julianday({column}) - 2440587.5) * 86400.0 - {start}) / {width} AS INTEGER)"


@compiles(_WindowIndex, "postgresql")
def _window_index_pg(element: _WindowIndex, compiler: SQLCompiler, **kw: Any) -> str:
    column, start, width = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(FLOOR((EXTRACT(EPOCH FROM {column}) - {start}) / {width}) AS INTEGER)"


def _window_index(column: Any, start: datetime, width_s: float) -> _WindowIndex:
    return _WindowIndex(column, literal(start.timestamp()), literal(float(width_s)))


KeyCounts = dict[tuple[str, str], dict[int, int]]
"""{(kind, name): {window index: count}}; kind is ``intent`` or ``reason``."""


def window_counts(store: Store, *, end: datetime, width_s: float, windows: int) -> KeyCounts:
    """Calls per intent and per hand-over reason in each of ``windows`` back-to-back windows
    of ``width_s`` seconds ending at ``end`` (index ``windows - 1`` is the latest).

    An intent counts once per call (a caller repeating it is one caller); a reason counts the
    calls handed over for it.
    """
    start = end - timedelta(seconds=width_s * windows)
    found: KeyCounts = {}
    intents = (
        select(
            Turn.intent.label("name"),
            Turn.call_sid.label("call_sid"),
            _window_index(Turn.created_at, start, width_s).label("w"),
        )
        .where(
            Turn.speaker == "caller",
            Turn.intent.is_not(None),
            Turn.created_at >= start,
            Turn.created_at < end,
        )
        .subquery()
    )
    reasons = (
        select(
            Escalation.reason.label("name"),
            Escalation.call_sid.label("call_sid"),
            _window_index(Escalation.created_at, start, width_s).label("w"),
        )
        .where(Escalation.created_at >= start, Escalation.created_at < end)
        .subquery()
    )
    with store.transaction("window_counts") as s:
        for kind, sub in (("intent", intents), ("reason", reasons)):
            query = select(sub.c.name, sub.c.w, func.count(func.distinct(sub.c.call_sid)))
            for name, index, count in s.execute(query.group_by(sub.c.name, sub.c.w)):
                slot = min(max(int(index), 0), windows - 1)  # float edge at the very end
                per_window = found.setdefault((kind, str(name)), {})
                per_window[slot] = per_window.get(slot, 0) + count
    return found
