"""The analytics API over real HTTP: the token, the report, the check, the background task
and its webhook, and the page shell."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.analytics.conftest import Served, serve
from tests.analytics.seed import DialogSeeder, bulk_intent_calls
from tests.conftest import make_settings
from tests.handoff.test_webhook import Receiver
from voice.engines import Engines
from voice.handoff.webhook import verify
from voice.store.repo import Store

SECRET = "alert-webhook-secret"


def spike_now(store: Store, now: datetime) -> None:
    """A week of 2 track_order calls an hour, then 20 in the last hour."""
    calls: list[tuple[datetime, str | None, str | None]] = [
        (now - timedelta(hours=h, minutes=20 + 15 * j), "track_order", None)
        for h in range(1, 7 * 24)
        for j in range(2)
    ]
    calls += [(now - timedelta(minutes=50 - 2 * j), "track_order", None) for j in range(20)]
    bulk_intent_calls(store, calls, prefix="B")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/analytics"),
        ("GET", "/api/analytics/alerts"),
        ("POST", "/api/analytics/check-spikes"),
    ],
)
async def test_the_api_needs_the_token(served: Served, method: str, path: str) -> None:
    response = await served.client.request(method, path)
    assert response.status_code == 401
    wrong = await served.client.request(method, path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


async def test_report_over_http(served: Served, tmp_path: Path) -> None:
    seeder = DialogSeeder(served.store, tmp_path)
    now = datetime.now(UTC)
    await seeder.call("CA1", now - timedelta(days=1), ["Where is my order?", "45712", "No."])
    await seeder.call("CA2", now - timedelta(days=20), ["Where is my order?"])
    response = await served.client.get("/api/analytics?days=14", headers=served.auth)
    assert response.status_code == 200
    report = response.json()
    assert len(report["days"]) == 14
    assert report["totals"]["calls"] == 1
    assert report["intents"] == [{"intent": "track_order", "calls": 1, "turns": 2}]
    longer = (await served.client.get("/api/analytics?days=30", headers=served.auth)).json()
    assert longer["totals"]["calls"] == 2
    for bad in ("0", "91", "x"):
        invalid = await served.client.get(f"/api/analytics?days={bad}", headers=served.auth)
        assert invalid.status_code == 422, bad


async def test_check_now_opens_an_alert_listed_by_the_api(served: Served) -> None:
    spike_now(served.store, datetime.now(UTC))
    response = await served.client.post("/api/analytics/check-spikes", headers=served.auth)
    assert response.status_code == 200
    [spike] = response.json()["spikes"]
    assert (spike["key"], spike["count"], spike["opened"]) == ("intent:track_order", 20, True)
    again = (await served.client.post("/api/analytics/check-spikes", headers=served.auth)).json()
    assert again["spikes"][0]["opened"] is False
    alerts = (await served.client.get("/api/analytics/alerts", headers=served.auth)).json()
    [alert] = alerts["alerts"]
    assert alert["key"] == "intent:track_order" and alert["open"] is True
    assert alert["webhook"] is None


async def test_the_background_check_alerts_the_webhook(
    tmp_path: Path, shared_data: Path, engines: Engines
) -> None:
    receiver = Receiver()
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        alert_check_interval_s=1,
        alert_webhook_url=receiver.url,
        alert_webhook_secret=SECRET,
    )
    try:
        async with serve(settings, engines) as running:
            spike_now(running.store, datetime.now(UTC))
            for _ in range(100):  # the check runs every second; give it up to 20 s
                if receiver.requests:
                    break
                await asyncio.sleep(0.2)
            alerts = await running.client.get("/api/analytics/alerts", headers=running.auth)
    finally:
        receiver.close()
    [(headers, body)] = receiver.requests
    assert verify(SECRET.encode(), headers["X-Voice-Timestamp"], body, headers["X-Voice-Signature"])
    payload = json.loads(body)
    assert (payload["event"], payload["key"]) == ("spike_alert", "intent:track_order")
    assert payload["page"].endswith("/admin/analytics")
    [alert] = alerts.json()["alerts"]
    assert alert["id"] == payload["alert_id"]


async def test_the_page_is_a_shell_without_data(served: Served) -> None:
    spike_now(served.store, datetime.now(UTC))
    response = await served.client.get("/admin/analytics")  # no token needed for the shell
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    assert "<title>Call analytics</title>" in response.text
    assert "track_order" not in response.text  # the data comes from the API, with the token
