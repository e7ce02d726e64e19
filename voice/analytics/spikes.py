"""Spike detection: an intent or hand-over reason suddenly far above its usual level.

**The rule.** For each key (``intent:<name>``: calls in which a caller turn matched it;
``reason:<name>``: calls handed over for it) take the count ``c`` in the latest window
(``ALERT_WINDOW_S``, default an hour) and the counts of every window of the same length in
the ``ALERT_BASELINE_DAYS`` before it (default 7 days: 168 windows, empty ones are zeros).
With ``usual`` their mean and ``spread`` their standard deviation, the key spikes when all
three hold:

1. ``c >= min_count`` (``ALERT_MIN_COUNT``, default 5): a handful is never news;
2. ``c > usual + 3 * spread``: above the key's own ups and downs, which include its daily
   rhythm (busy mornings raise the spread, so they do not alert);
3. ``P(X >= c) < 0.001`` for ``X`` Poisson with mean ``max(usual, 1)``: unlikely as chance
   even for a rare key. The floor of one per window is what makes a brand-new intent (no
   history, usual 0, spread 0) need 6 calls in one window, not 1.

Checks run every ``ALERT_CHECK_INTERVAL_S`` over a sliding window. An alert stays open
while its key keeps spiking (one alert, not one per check; see ``voice.store.alerts``) and
is sent once, when opened, to ``ALERT_WEBHOOK_URL`` through the same signed, retried and
recorded delivery as hand-over webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from voice.handoff.webhook import Notifier
from voice.store.alerts import (
    ALERT_EVENT,
    SpikeRow,
    close_quiet_alerts,
    delivery_subject,
    record_spike,
)
from voice.store.analytics import window_counts
from voice.store.repo import Store

log = logging.getLogger(__name__)


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean), summed in log space (no underflow)."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_term = -mean + count * math.log(mean) - math.lgamma(count + 1)
    term, total, k = math.exp(log_term), 0.0, count
    limit = max(count, mean) + 50 * math.sqrt(mean) + 50
    while k <= limit:
        total += term
        k += 1
        term *= mean / k
        if term < 1e-17 * total and k > mean:
            break
    return min(total, 1.0)


@dataclass(frozen=True)
class Verdict:
    count: int
    usual: float
    spread: float
    p_value: float
    spiking: bool


@dataclass(frozen=True)
class SpikeRule:
    """The three conditions of the module docstring."""

    min_count: int = 5
    sigmas: float = 3.0
    max_p: float = 0.001
    min_usual: float = 1.0

    def judge(self, count: int, baseline: Sequence[int]) -> Verdict:
        usual = sum(baseline) / len(baseline) if baseline else 0.0
        variance = sum((b - usual) ** 2 for b in baseline) / len(baseline) if baseline else 0.0
        spread = math.sqrt(variance)
        p_value = poisson_tail(count, max(usual, self.min_usual))
        spiking = (
            count >= self.min_count
            and count > usual + self.sigmas * spread
            and p_value < self.max_p
        )
        return Verdict(count, usual, spread, p_value, spiking)


@dataclass(frozen=True)
class SpikeSettings:
    window_s: int = 3600
    baseline_days: int = 7
    rule: SpikeRule = SpikeRule()

    @property
    def baseline_windows(self) -> int:
        return max(1, int(self.baseline_days * 86400 // self.window_s))


@dataclass(frozen=True)
class CheckResult:
    checked_at: datetime
    keys: int  # keys seen over the baseline and the latest window
    spikes: list[dict[str, Any]]  # every key spiking now, with its alert id and whether new

    def to_json(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at.isoformat(),
            "keys": self.keys,
            "spikes": self.spikes,
        }


def _now() -> datetime:
    return datetime.now(UTC)


class SpikeMonitor:
    """Runs the check now (``check``) or every few seconds in the background (``start``)."""

    def __init__(
        self,
        store: Store,
        notifier: Notifier | None,
        settings: SpikeSettings,
        *,
        page_url: str = "",
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.settings = settings
        self.page_url = page_url
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def evaluate(self, now: datetime) -> tuple[int, list[SpikeRow]]:
        """(keys seen, rows for the keys spiking at ``now``); blocking, reads the store."""
        settings = self.settings
        windows = settings.baseline_windows + 1
        counts = window_counts(self.store, end=now, width_s=settings.window_s, windows=windows)
        spikes = []
        for (kind, name), per_window in sorted(counts.items()):
            latest = per_window.get(windows - 1, 0)
            baseline = [per_window.get(i, 0) for i in range(windows - 1)]
            verdict = settings.rule.judge(latest, baseline)
            if verdict.spiking:
                spikes.append(
                    SpikeRow(
                        kind=kind,
                        name=name,
                        count=verdict.count,
                        usual=verdict.usual,
                        spread=verdict.spread,
                        p_value=verdict.p_value,
                        window_s=settings.window_s,
                    )
                )
        return len(counts), spikes

    async def check(self, now: datetime | None = None) -> CheckResult:
        """Find spikes, open or update their alerts, notify new ones, close quiet ones."""
        async with self._lock:
            now = now or self.clock()
            keys, spikes = await asyncio.to_thread(self.evaluate, now)
            found = []
            for spike in spikes:
                alert_id, opened = await asyncio.to_thread(record_spike, self.store, spike, now)
                if opened:
                    log.warning(
                        "spike alert %d: %s at %d calls in %d s (usual %.2f)",
                        alert_id,
                        spike.key,
                        spike.count,
                        spike.window_s,
                        spike.usual,
                    )
                    await self._notify(alert_id, spike, now)
                found.append({"alert_id": alert_id, "opened": opened, **_describe(spike)})
            await asyncio.to_thread(close_quiet_alerts, self.store, now, self.settings.window_s)
            return CheckResult(checked_at=now, keys=keys, spikes=found)

    async def _notify(self, alert_id: int, spike: SpikeRow, now: datetime) -> None:
        if self.notifier is None:
            return
        window_start = now - timedelta(seconds=spike.window_s)
        payload = {
            "alert_id": alert_id,
            **_describe(spike),
            "window_start": window_start.isoformat(),
            "window_end": now.isoformat(),
            "page": self.page_url,
        }
        await self.notifier.notify(delivery_subject(alert_id), ALERT_EVENT, payload)

    def start(self, interval_s: float) -> None:
        """Check every ``interval_s`` seconds until ``close`` (a failed check is logged)."""
        self._task = asyncio.create_task(self._loop(interval_s))

    async def _loop(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.check()
            except Exception:
                log.exception("spike check failed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def _describe(spike: SpikeRow) -> dict[str, Any]:
    return {
        "key": spike.key,
        "kind": spike.kind,
        "name": spike.name,
        "count": spike.count,
        "usual": round(spike.usual, 2),
        "spread": round(spike.spread, 2),
        "p_value": spike.p_value,
        "window_s": spike.window_s,
    }
