"""Analytics wired into the app: the report off the event loop, the spike monitor and its
webhook, started and stopped with the app (``start_analytics`` from the lifespan)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from voice.analytics.report import ReportRequest, build_report
from voice.analytics.spikes import SpikeMonitor, SpikeRule, SpikeSettings
from voice.deps import AppContext
from voice.handoff.webhook import Notifier
from voice.store.alerts import ALERT_EVENT, recent_alerts
from voice.store.repo import Store

PAGE_PATH = "/admin/analytics"


@dataclass
class Analytics:
    store: Store
    monitor: SpikeMonitor
    tz: ZoneInfo

    async def report(
        self, days: int, *, top_intents: int = 10, now: datetime | None = None
    ) -> dict[str, Any]:
        request = ReportRequest(days=days, tz=self.tz, top_intents=top_intents)
        return await asyncio.to_thread(build_report, self.store, request, now or datetime.now(UTC))

    async def alerts(self, limit: int) -> list[dict[str, Any]]:
        return await asyncio.to_thread(recent_alerts, self.store, limit)


async def start_analytics(
    ctx: AppContext, closers: list[Callable[[], Awaitable[None]]]
) -> Analytics:
    """Prepare the tables, start the background spike check (unless its interval is 0) and
    register what must stop before the store closes at the front of ``closers``."""
    settings, store = ctx.settings, ctx.store.sync
    notifier: Notifier | None = None
    if settings.alert_webhook_url:
        client = httpx.AsyncClient()
        notifier = Notifier(
            ctx.store,
            client,
            url=settings.alert_webhook_url,
            secret=ctx.secrets.alert_secret,
            events=frozenset({ALERT_EVENT}),
        )
        closers.insert(0, client.aclose)
        closers.insert(0, notifier.close)
        await notifier.resume()  # alerts still pending when the service last stopped
        notifier.sweep()  # ... or that another instance stopped sending
    monitor = SpikeMonitor(
        store,
        notifier,
        SpikeSettings(
            window_s=settings.alert_window_s,
            baseline_days=settings.alert_baseline_days,
            rule=SpikeRule(min_count=settings.alert_min_count),
        ),
        page_url=settings.public_base_url + PAGE_PATH,
    )
    if settings.alert_check_interval_s > 0:
        monitor.start(settings.alert_check_interval_s)
    closers.insert(0, monitor.close)
    return Analytics(store=store, monitor=monitor, tz=ZoneInfo(settings.analytics_timezone))
