"""Spike alerts: the rule on its own (table-driven), then checks over a real database
(SQLite and PostgreSQL) with a week of history, de-duplication across checks and across
instances, and the signed webhook to a real local receiver."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.analytics.seed import bulk_intent_calls
from tests.handoff.test_webhook import Receiver
from voice.analytics.spikes import SpikeMonitor, SpikeRule, SpikeSettings, poisson_tail
from voice.handoff.webhook import Notifier, verify
from voice.store.aio import AsyncStore
from voice.store.alerts import recent_alerts
from voice.store.repo import Store

NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECRET = b"alert-test-secret"
RULE = SpikeRule()


def direct_tail(count: int, mean: float) -> float:
    return 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(count))


@pytest.mark.parametrize(("count", "mean"), [(0, 2.0), (1, 0.5), (6, 1.0), (10, 3.0), (3, 9.0)])
def test_poisson_tail_matches_the_direct_sum(count: int, mean: float) -> None:
    assert poisson_tail(count, mean) == pytest.approx(direct_tail(count, mean), rel=1e-9)


def test_poisson_tail_survives_large_means() -> None:
    assert 0 < poisson_tail(600, 500.0) < 1e-4
    assert poisson_tail(400, 500.0) == pytest.approx(1.0, abs=1e-5)


STEADY = [2, 3, 4] * 56  # a week of hours around 3 an hour
BURSTY = [0, 0, 0, 12] * 42  # quiet, then a busy hour: mean 3, large spread


@pytest.mark.parametrize(
    ("count", "baseline", "spiking", "why"),
    [
        (1, [], False, "a brand-new intent, one call"),
        (5, [], False, "a brand-new intent, a handful of calls"),
        (5, [0] * 168, False, "never seen all week, then a handful"),
        (6, [0] * 168, True, "never seen all week, then 6: Poisson(1) gives p = 0.0006"),
        (4, [0] * 167 + [1], False, "below the minimum count whatever the history"),
        (7, STEADY, False, "usual ups and downs of a steady intent"),
        (9, STEADY, False, "busy but plausible (p = 0.004)"),
        (15, STEADY, True, "five times its usual level"),
        (14, BURSTY, False, "within the spread of a bursty intent"),
        (40, BURSTY, True, "far above even a bursty intent"),
    ],
)
def test_the_rule(count: int, baseline: list[int], spiking: bool, why: str) -> None:
    assert RULE.judge(count, baseline).spiking is spiking, why


def test_verdict_reports_the_usual_level() -> None:
    verdict = RULE.judge(15, STEADY)
    assert verdict.usual == pytest.approx(3.0)
    assert verdict.spread == pytest.approx(math.sqrt(2 / 3))
    assert verdict.p_value == pytest.approx(direct_tail(15, 3.0))


# -- over a database ------------------------------------------------------------------------


def week_of_history(store: Store) -> None:
    """The week before the last hour: track_order 2, 3, 4 calls an hour in turn; one
    caller_request hand-over every other hour."""
    calls: list[tuple[datetime, str | None, str | None]] = []
    for hour in range(1, 7 * 24 + 1):
        start = NOW - (hour + 1) * HOUR
        for j in range(STEADY[hour % 3]):
            calls.append((start + timedelta(minutes=5 + 10 * j), "track_order", None))
        if hour % 2:
            calls.append((start + timedelta(minutes=30), "speak_to_agent", "caller_request"))
    bulk_intent_calls(store, calls, prefix="H")


def last_hour(store: Store, prefix: str, **counts: int) -> None:
    """``intent=count`` calls spread over the hour before NOW."""
    calls: list[tuple[datetime, str | None, str | None]] = []
    for intent, count in counts.items():
        for j in range(count):
            calls.append((NOW - HOUR + timedelta(seconds=60 + j * 3400 / count), intent, None))
    bulk_intent_calls(store, calls, prefix=prefix)


@pytest.fixture
def history(store: Store) -> Store:
    week_of_history(store)
    return store


async def test_a_real_spike_alerts_and_normal_traffic_does_not(history: Store) -> None:
    # track_order at 20 (usual 3); a new intent with 4 calls; speak_to_agent as usual.
    last_hour(history, "R", track_order=20, report_outage=4, speak_to_agent=1)
    monitor = SpikeMonitor(history, None, SpikeSettings())
    result = await monitor.check(NOW)
    assert [s["key"] for s in result.spikes] == ["intent:track_order"]
    [spike] = result.spikes
    assert (spike["count"], spike["usual"], spike["opened"]) == (20, 3.0, True)
    assert result.keys == 4  # track_order, speak_to_agent, caller_request, report_outage
    [alert] = recent_alerts(history, 10)
    assert (alert["key"], alert["count"], alert["open"], alert["webhook"]) == (
        "intent:track_order",
        20,
        True,
        None,  # no webhook configured
    )


async def test_steady_traffic_raises_nothing(history: Store) -> None:
    last_hour(history, "R", track_order=6, speak_to_agent=2)
    result = await SpikeMonitor(history, None, SpikeSettings()).check(NOW)
    assert result.spikes == []
    assert recent_alerts(history, 10) == []


async def test_one_alert_per_spike_not_one_per_check(history: Store) -> None:
    last_hour(history, "R", track_order=20)
    monitor = SpikeMonitor(history, None, SpikeSettings())
    first = await monitor.check(NOW)
    later = await monitor.check(NOW + timedelta(minutes=1))
    assert first.spikes[0]["opened"] and not later.spikes[0]["opened"]
    assert first.spikes[0]["alert_id"] == later.spikes[0]["alert_id"]
    # More calls keep the same alert open and raise its peak.
    last_hour(history, "S", track_order=5)
    await monitor.check(NOW)
    [alert] = recent_alerts(history, 10)
    assert (alert["count"], alert["peak"], alert["open"]) == (25, 25, True)
    # An hour without a spike closes it ...
    quiet = await monitor.check(NOW + 2 * HOUR + timedelta(minutes=3))
    assert quiet.spikes == []
    [alert] = recent_alerts(history, 10)
    assert alert["open"] is False and alert["closed_at"] is not None
    # ... and a new spike is a new alert.
    bulk_intent_calls(
        history,
        [(NOW + 2 * HOUR + timedelta(minutes=5 + j), "track_order", None) for j in range(25)],
        prefix="T",
    )
    again = await monitor.check(NOW + 2 * HOUR + timedelta(minutes=40))
    assert again.spikes[0]["opened"] is True
    assert [a["open"] for a in recent_alerts(history, 10)] == [True, False]


async def test_instances_checking_at_once_open_one_alert(history: Store) -> None:
    """Several service instances share the database: the unique open key lets one win."""
    last_hour(history, "R", track_order=20)
    others = [Store(str(history.engine.url.render_as_string(hide_password=False)))]
    try:
        monitors = [SpikeMonitor(s, None, SpikeSettings()) for s in [history, *others]]
        results = await asyncio.gather(*(m.check(NOW) for m in monitors))
    finally:
        for other in others:
            other.close()
    opened = [r.spikes[0]["opened"] for r in results]
    assert sorted(opened) == [False, True]
    assert len(recent_alerts(history, 10)) == 1


# -- the webhook ----------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(failures=1)  # the first attempt fails: the retry delivers
    yield receiver
    receiver.close()


async def test_a_new_alert_is_sent_once_signed_and_recorded(
    history: Store, receiver: Receiver
) -> None:
    last_hour(history, "R", track_order=20)
    async with httpx.AsyncClient() as client:
        notifier = Notifier(
            AsyncStore(history), client, url=receiver.url, secret=SECRET, retry_delays_s=(0.01,)
        )
        monitor = SpikeMonitor(
            history, notifier, SpikeSettings(), page_url="https://voice.test/admin/analytics"
        )
        await monitor.check(NOW)
        await monitor.check(NOW + timedelta(minutes=1))  # same spike: nothing more sent
        await notifier.drain(timeout=10)
    assert len(receiver.requests) == 2  # one alert: a failed attempt and its retry
    headers, body = receiver.requests[-1]
    assert verify(SECRET, headers["X-Voice-Timestamp"], body, headers["X-Voice-Signature"])
    payload = json.loads(body)
    assert payload["event"] == "spike_alert"
    assert (payload["key"], payload["count"], payload["usual"]) == ("intent:track_order", 20, 3.0)
    assert payload["window_end"] == NOW.isoformat()
    assert payload["page"] == "https://voice.test/admin/analytics"
    [alert] = recent_alerts(history, 10)
    assert payload["alert_id"] == alert["id"]
    assert alert["webhook"] == "delivered"
