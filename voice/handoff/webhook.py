"""Hand-over notifications to a configured webhook (a CRM, helpdesk or chat channel).

Each notification is stored first (``deliveries``), then POSTed in the background with
retries and a backoff; every attempt is recorded, and notifications still pending at
start-up are sent then. Receivers check authenticity with ``X-Voice-Signature``:

    X-Voice-Timestamp: 1764000000
    X-Voice-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

Reject a request whose signature differs (compare in constant time) or whose timestamp is
more than a few minutes old.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx

from voice.store.aio import AsyncStore

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (1.0, 2.0, 5.0, 15.0, 60.0)  # after attempts 1..5; six attempts in all
TIMEOUT_S = 5.0


def sign(secret: bytes, timestamp: str, body: str) -> str:
    digest = hmac.new(secret, f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: bytes, timestamp: str, body: str, signature: str, *, max_age_s: int = 300
) -> bool:
    """What a receiver does (also used by the tests)."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class Notifier:
    def __init__(
        self,
        store: AsyncStore,
        client: httpx.AsyncClient,
        *,
        url: str | None,
        secret: bytes,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
        events: frozenset[str] | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> None:
        """``events``/``exclude``: which stored deliveries ``resume`` takes up (each kind of
        notification is signed with its own secret, so each notifier resends its own)."""
        self.store = store
        self.client = client
        self.url = url
        self.secret = secret
        self.delays = retry_delays_s
        self.events = events
        self.exclude = exclude
        self._tasks: set[asyncio.Task[None]] = set()

    async def notify(self, call_sid: str, event: str, payload: dict[str, Any]) -> None:
        """Store the notification and send it in the background (no-op without a URL)."""
        if not self.url:
            return
        body = json.dumps({"event": event, "call_sid": call_sid, **payload}, sort_keys=True)
        delivery_id = await self.store.add_delivery(call_sid, event=event, url=self.url, body=body)
        self._start(delivery_id, self.url, body, attempts=0)

    async def resume(self) -> None:
        """Send what was still pending when the service last stopped."""
        pending = await self.store.pending_deliveries(events=self.events, exclude=self.exclude)
        for delivery_id, url, body, attempts in pending:
            self._start(delivery_id, url, body, attempts=attempts)

    async def drain(self, timeout: float) -> None:
        """Wait for deliveries in flight (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, delivery_id: int, url: str, body: str, *, attempts: int) -> None:
        task = asyncio.create_task(self._deliver(delivery_id, url, body, attempts))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery_id: int, url: str, body: str, attempts: int) -> None:
        while True:
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-Voice-Timestamp": timestamp,
                "X-Voice-Signature": sign(self.secret, timestamp, body),
                "X-Voice-Delivery": str(delivery_id),
            }
            status: int | None = None
            error: str | None = None
            try:
                response = await self.client.post(  # a redirect is a failure, not followed
                    url, content=body, headers=headers, timeout=TIMEOUT_S, follow_redirects=False
                )
                status = response.status_code
                if not response.is_success:
                    error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            attempts += 1
            done = error is None
            last = attempts > len(self.delays)
            outcome = "delivered" if done else ("failed" if last else "pending")
            await self.store.record_attempt(
                delivery_id, status=outcome, http_status=status, error=error
            )
            if done or last:
                if not done:
                    log.error(
                        "webhook %d to %s gave up after %d attempts: %s",
                        delivery_id,
                        url,
                        attempts,
                        error,
                    )
                return
            await asyncio.sleep(self.delays[attempts - 1])
