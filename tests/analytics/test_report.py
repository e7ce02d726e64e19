"""The analytics report over calls made through the real dialog core, on SQLite and
PostgreSQL: every number checked against what the seeded calls say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.analytics.seed import DialogSeeder, backdate
from voice.analytics.report import ReportRequest, build_report, percentile, summarise
from voice.dialog.turns import Action
from voice.store.repo import Store

NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def voicemail_after_hours(store: Store, sid: str, started: datetime) -> None:
    """What an after-hours hand-over leaves: the decision, a voicemail transfer, the message."""
    store.open_call(
        sid,
        account_sid="AC1",
        from_number="+15005550007",
        to_number="+15005550001",
        direction="inbound",
        status="in-progress",
    )
    store.add_turn(sid, speaker="caller", kind="dtmf", text="0", timings={"match_ms": 1.0})
    store.add_turn(sid, speaker="bot", kind="voicemail", text="We're closed.", timings={})
    store.add_escalation(
        sid, reason="keypad_0", priority="normal", outcome="after_hours", evidence="", detail={}
    )
    transfer = store.add_transfer(sid, reason="keypad_0", target="voicemail")
    store.update_transfer(transfer, status="voicemail")
    store.add_voicemail(sid, recording_url="u", recording_sid="RE1", duration_s=9, transcript="")
    backdate(store, sid, started)


@pytest.fixture
async def seeded(store: Store, tmp_path: Path) -> Store:
    seeder = DialogSeeder(store, tmp_path)
    answered = ["Where is my order?", "It's 45712", "No, that's all."]
    assert await seeder.call("CA01", at(20, 10), answered, reply_ms=400) == [
        Action.LISTEN,
        Action.LISTEN,
        Action.HANGUP,
    ]
    person = ["I forgot my password", "Can I talk to a person please?"]
    assert (await seeder.call("CA02", at(20, 11), person, reply_ms=600))[-1] is Action.TRANSFER
    nonsense = ["blue elephants dance on tuesday", "purple monkey dishwasher", "the quick fox"]
    assert (await seeder.call("CA03", at(19, 9), nonsense, reply_ms=700))[-1] is Action.TRANSFER
    assert await seeder.call("CA04", at(18, 12), ["keys:0"], reply_ms=300) == [Action.TRANSFER]
    hours = ["What are your opening hours?", "No thanks."]
    await seeder.call("CA05", at(18, 13), hours, reply_ms=900, stream=True)
    voicemail_after_hours(store, "CA06", at(17, 23))
    # Outside the window: the day before the first of the 14 days, and the future is empty.
    await seeder.call("CA07", at(6, 23), ["Where is my order?"], reply_ms=5000)
    return store


def test_report_counts_every_metric(seeded: Store) -> None:
    report = build_report(seeded, ReportRequest(days=14, tz=UTC_ZONE), NOW)
    assert report["window"]["start"] == "2026-03-07T00:00:00+00:00"
    days = {d["date"]: d for d in report["days"]}
    assert len(days) == 14 and min(days) == "2026-03-07" and max(days) == "2026-03-20"
    assert [days[f"2026-03-{n}"]["calls"] for n in (17, 18, 19, 20)] == [1, 2, 1, 2]
    assert sum(d["calls"] for d in report["days"]) == 6  # CA07 is outside
    # Contained: CA01 (answered, "no, that's all") and CA05; the rest reached a person or
    # a voicemail (CA06: after hours).
    assert (report["totals"]["calls"], report["totals"]["contained"]) == (6, 2)
    assert report["totals"]["containment_rate"] == pytest.approx(2 / 6, abs=1e-4)
    assert days["2026-03-20"]["containment_rate"] == 0.5
    assert days["2026-03-19"]["containment_rate"] == 0.0
    assert days["2026-03-16"]["containment_rate"] is None  # no calls: no rate, not 0
    reasons = {r["reason"]: r["calls"] for r in report["reasons"]}
    assert reasons == {"caller_request": 1, "repeated_no_match": 1, "keypad_0": 2}
    intents = {i["intent"]: (i["calls"], i["turns"]) for i in report["intents"]}
    # track_order: asked, then completed by the order number (two turns, one call).
    assert intents == {
        "track_order": (1, 2),
        "reset_password": (1, 1),
        "speak_to_agent": (1, 1),
        "business_hours": (1, 1),
    }
    # Speech turns: 3 + 2 + 3 + 0 + 2 (CA06 pressed a key). Unmatched: CA03's three (two
    # "sorry" replies, then the hand-over); "No, that's all" and "No thanks" were understood.
    assert (report["totals"]["speech_turns"], report["totals"]["unmatched"]) == (10, 3)
    assert days["2026-03-19"]["unmatched_rate"] == 1.0
    assert days["2026-03-20"]["unmatched_rate"] == 0.0
    histogram = {b["turns"]: b["calls"] for b in report["turns_per_call"]["histogram"]}
    assert histogram["1"] == 2 and histogram["2"] == 2 and histogram["3"] == 2
    assert sum(histogram.values()) == 6 and list(histogram)[-1] == "10+"
    assert report["turns_per_call"]["mean"] == pytest.approx(2.0)
    latency = report["latency"]
    # Replies: CA01 3x400, CA02 2x600, CA03 3x700, CA04 1x300 (turns); CA05 2x900 (stream).
    assert latency["turns"]["count"] == 9 and latency["stream"]["count"] == 2
    assert latency["reply"]["count"] == 11
    assert latency["reply"]["p50"] == 600.0
    assert latency["reply"]["p99"] == pytest.approx(900.0)
    assert latency["stream"]["p50"] == 900.0
    assert days["2026-03-19"]["latency_p50_ms"] == 700.0
    assert days["2026-03-18"]["replies"] == 3  # the greeting is not a reply


def test_days_follow_the_configured_time_zone(seeded: Store) -> None:
    """CA06 started 23:00 UTC on the 17th: in New York (UTC-4 after the DST change on the
    8th) that is the 17th at 19:00; CA04 at 12:00 UTC is the 18th at 08:00. CA07 (6th,
    23:00 UTC = 18:00 EST) is still outside."""
    zone = ZoneInfo("America/New_York")
    report = build_report(seeded, ReportRequest(days=14, tz=zone), NOW)
    assert report["window"]["start"] == "2026-03-07T00:00:00-05:00"
    assert report["window"]["end"] == "2026-03-21T00:00:00-04:00"  # DST: a 23-hour day
    days = {d["date"]: d["calls"] for d in report["days"]}
    assert (days["2026-03-17"], days["2026-03-18"], days["2026-03-19"]) == (1, 2, 1)
    # Tokyo (UTC+9): CA06 moves to the 18th, CA03 (19th 09:00 UTC) stays on the 19th.
    tokyo = build_report(seeded, ReportRequest(days=14, tz=ZoneInfo("Asia/Tokyo")), NOW)
    days = {d["date"]: d["calls"] for d in tokyo["days"]}
    assert (days["2026-03-17"], days["2026-03-18"], days["2026-03-19"]) == (0, 3, 1)


def test_a_short_window_and_an_empty_store(store: Store) -> None:
    report = build_report(store, ReportRequest(days=1, tz=UTC_ZONE), NOW)
    assert [d["date"] for d in report["days"]] == ["2026-03-20"]
    assert report["totals"]["calls"] == 0
    assert report["totals"]["containment_rate"] is None
    assert report["reasons"] == report["intents"] == []
    assert report["turns_per_call"]["mean"] is None
    assert report["latency"]["reply"] == {
        "count": 0,
        "p50": None,
        "p90": None,
        "p95": None,
        "p99": None,
        "mean": None,
    }


async def test_latency_percentiles_match_a_direct_computation(store: Store, tmp_path: Path) -> None:
    seeder = DialogSeeder(store, tmp_path)
    for n in range(20):
        await seeder.call(
            f"CA9{n:03d}", NOW - timedelta(hours=n), ["Where is my order?"], reply_ms=100.0 * n
        )
    report = build_report(store, ReportRequest(days=2, tz=UTC_ZONE), NOW)
    expected = summarise([100.0 * n for n in range(20)])
    assert report["latency"]["reply"] == expected
    assert expected["p90"] == pytest.approx(1710.0)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([5.0], 99, 5.0), ([1.0, 2.0], 50, 1.5), ([1.0, 2.0, 3.0, 4.0], 95, 3.85)],
)
def test_percentile_interpolates(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == pytest.approx(expected)
