"""Hand-over notifications to a configured webhook (a CRM, helpdesk or chat channel).

Each notification is stored first (``deliveries``), then POSTed in the background with
retries and a backoff; every attempt is recorded. Notifications still pending at start-up,
or whose sender stopped (another instance that died), are taken up then and every
``SWEEP_S``; a lease in the database (``voice.store.deliveries``) makes sure one instance at
a time sends each. Receivers check authenticity with ``X-Voice-Signature``:

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
import os
import socket
import time
import uuid
from typing import Any

import httpx

from voice.errors import StoreError
from voice.store.aio import AsyncStore
from voice.store.deliveries import Lease

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (1.0, 2.0, 5.0, 15.0, 60.0)  # after attempts 1..5; six attempts in all
TIMEOUT_S = 5.0
LEASE_SLACK_S = 30.0  # a sender's lease outlasts its next attempt or wait by this much
SWEEP_S = 30.0  # how often pending deliveries nobody is sending are looked for


def instance_name() -> str:
    """This process among the instances sharing the database (host, pid, a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
        holder: str | None = None,
        lease_slack_s: float = LEASE_SLACK_S,
    ) -> None:
        """``events``/``exclude``: which stored deliveries ``resume`` takes up (each kind of
        notification is signed with its own secret, so each notifier resends its own).
        ``holder`` names this sender in the deliveries' leases (unique per process)."""
        self.store = store
        self.client = client
        self.url = url
        self.secret = secret
        self.delays = retry_delays_s
        self.events = events
        self.exclude = exclude
        self.holder = holder or instance_name()
        self.lease_slack_s = lease_slack_s
        self._tasks: set[asyncio.Task[None]] = set()
        self._sending: set[int] = set()  # delivery ids this process is sending
        self._sweeper: asyncio.Task[None] | None = None

    async def notify(self, call_sid: str, event: str, payload: dict[str, Any]) -> None:
        """Store the notification and send it in the background (no-op without a URL)."""
        if not self.url:
            return
        body = json.dumps({"event": event, "call_sid": call_sid, **payload}, sort_keys=True)
        delivery_id = await self.store.add_delivery(
            call_sid, event=event, url=self.url, body=body, lease=self._lease(0.0)
        )
        self._start(delivery_id, self.url, body, attempts=0)

    async def resume(self) -> int:
        """Send what is pending and nobody is sending: left when the service last stopped,
        or by an instance that died. Returns how many were taken up."""
        claimed = await self.store.claim_deliveries(
            self._lease(0.0), events=self.events, exclude=self.exclude
        )
        for pending in claimed:
            if pending.id not in self._sending:
                self._start(pending.id, pending.url, pending.body, attempts=pending.attempts)
        return len(claimed)

    def sweep(self, every_s: float = SWEEP_S) -> None:
        """Call ``resume`` every ``every_s`` in the background (until ``close``)."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(every_s)
                try:
                    await self.resume()
                except StoreError as exc:
                    log.error("could not look for pending webhooks: %s", exc)

        self._sweeper = asyncio.create_task(loop(), name="webhook-sweep")

    async def drain(self, timeout: float) -> None:
        """Wait for deliveries in flight (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        """Stop sending and hand the unsent deliveries back (the next instance to look, or
        this one started again, sends them at once)."""
        tasks = [*self._tasks, *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await self.store.release_leases(self.holder)
        except StoreError as exc:  # they run out by themselves
            log.warning("could not hand back webhook leases: %s", exc)

    def _lease(self, wait_s: float) -> Lease:
        """Held for the next ``wait_s`` and one attempt, with slack."""
        return Lease(self.holder, wait_s + TIMEOUT_S + self.lease_slack_s)

    def _start(self, delivery_id: int, url: str, body: str, *, attempts: int) -> None:
        task = asyncio.create_task(self._deliver(delivery_id, url, body, attempts))
        self._tasks.add(task)
        self._sending.add(delivery_id)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._sending.discard(delivery_id))

    async def _deliver(self, delivery_id: int, url: str, body: str, attempts: int) -> None:
        while True:
            if not await self.store.renew_lease(delivery_id, self._lease(0.0)):
                log.warning(
                    "webhook %d: another instance took it over; this one stops", delivery_id
                )
                return
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
            delay = self.delays[attempts - 1]
            await self.store.renew_lease(delivery_id, self._lease(delay))
            await asyncio.sleep(delay)
