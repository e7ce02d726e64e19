"""The analytics page in a real headless Chromium (Debian's, driven by Playwright): seeded
calls become charts with the expected bars and labels, a spike is listed, and an empty
window says so. Screenshots go to $ANALYTICS_SCREENSHOTS (default /tmp)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.analytics.conftest import Served
from tests.analytics.seed import DialogSeeder
from tests.analytics.test_routes import spike_now
from tests.browser import CHROMIUM, chromium
from tests.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium: apt-get install chromium"
)
SCREENSHOTS = Path(os.environ.get("ANALYTICS_SCREENSHOTS", "/tmp"))

CALLS = [
    ["Where is my order?", "It's 45712", "No, that's all."],
    ["I forgot my password", "No thanks."],
    ["Can I talk to a person please?"],
    ["blue elephants dance on tuesday", "purple monkey dishwasher", "the quick fox"],
    ["keys:0"],
    ["What are your opening hours?", "Where is my order?", "88120", "No."],
    ["I want a refund for my order"],
    ["my account was hacked and someone stole money"],
]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def test_charts_and_alerts_render(served: Served, browser: Any, tmp_path: Path) -> None:
    from playwright.async_api import expect

    seeder = DialogSeeder(served.store, tmp_path)
    now = datetime.now(UTC)
    for n in range(40):  # 40 calls over 12 days, not every day, with varied latency
        day = (n * 7) % 12
        if day == 5:
            continue
        started = now - timedelta(days=day, hours=2 + n % 5)
        await seeder.call(
            f"CA{n:04d}",
            started,
            CALLS[n % len(CALLS)],
            reply_ms=350 + 37 * (n % 11),
            stream=n % 3 == 0,
        )
    spike_now(served.store, now)
    check = await served.client.post("/api/analytics/check-spikes", headers=served.auth)
    assert check.json()["spikes"][0]["key"] == "intent:track_order"

    page = await browser.new_page(viewport={"width": 1360, "height": 900})
    await page.goto(f"{served.base}/admin/analytics#token={ADMIN_TOKEN}")
    await expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    calls = page.locator('svg[data-chart="calls"]')
    await expect(calls.locator("rect.bar")).to_have_count(14)
    assert "Calls per day" in (await calls.locator("title").first.text_content() or "")
    assert await calls.get_attribute("role") == "img"
    # A day without calls is a gap in the containment line, not a zero.
    containment = page.locator('svg[data-chart="containment"]')
    points = await containment.locator("circle.point").count()
    assert 0 < points < 14
    reasons = page.locator('svg[data-chart="reasons"]')
    labels = await reasons.locator("text.name").all_text_contents()
    assert {"caller request", "keypad 0", "repeated no match"} <= set(labels)
    assert await reasons.locator("rect.bar").count() == len(labels)
    intents = page.locator('svg[data-chart="intents"]')
    intent_labels = await intents.locator("text.name").all_text_contents()
    assert intent_labels[0] == "track order"  # the seeded week of orders, and the spike
    await expect(page.locator('svg[data-chart="turns"] rect.bar')).to_have_count(11)
    await expect(page.locator('svg[data-chart="latency"] path.line')).to_have_count(2)
    await expect(page.locator('svg[data-chart="unmatched"] path.line')).to_have_count(1)
    await expect(page.locator("#latency-table")).to_contain_text("live audio")
    alert = page.locator('#alerts-table tr.alert[data-key="intent:track_order"]')
    await expect(alert).to_contain_text("20 in 60 min")
    await expect(alert).to_contain_text("open")
    await expect(page.locator("#kpi-calls .value")).not_to_have_text("0")
    await page.screenshot(path=str(SCREENSHOTS / "analytics.png"), full_page=True)

    # Without the token the page shows no data.
    other = await browser.new_page()
    await other.goto(f"{served.base}/admin/analytics")
    await expect(other.locator("#error")).to_contain_text("admin token")
    assert await other.locator("svg.chart").count() == 0


async def test_an_empty_window_says_so(served: Served, browser: Any) -> None:
    from playwright.async_api import expect

    page = await browser.new_page(viewport={"width": 1360, "height": 900})
    await page.goto(f"{served.base}/admin/analytics#token={ADMIN_TOKEN}")
    await expect(page.locator("#empty")).to_contain_text("No calls in the last 14 days")
    await expect(page.locator("#alerts")).to_contain_text("No spikes")
    assert await page.locator("svg.chart").count() == 0
    await page.screenshot(path=str(SCREENSHOTS / "analytics-empty.png"), full_page=True)
