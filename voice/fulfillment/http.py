"""Lookups answered by the deployment's own HTTP endpoint (contract in ``contract.py``).

The request runs on the event loop with the app's shared ``httpx.AsyncClient`` inside one
strict total timeout (connect, send, wait and read together). The dialog core is
synchronous and runs in a worker thread (see ``CallService``); its ``lookup`` hands the
request to the loop and waits, so the loop itself never waits on the network.

Every failure (timeout, refused connection, non-2xx, redirect, oversized, not JSON, wrong
shape, a connection that breaks) becomes a ``LookupFailure``: ``fetch`` never raises, and
``lookup`` raises only ``LookupFailed``, which the dialog turns into a spoken apology and a
hand-over. Answers are shared for ``REUSE_S`` (a stream's speculative turn and the real one
ask the same question moments apart: the endpoint sees it once); failures are not kept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from typing import Final
from urllib.parse import quote

import httpx

from voice import __version__
from voice.errors import LookupFailed
from voice.fulfillment.base import (
    CALL_SID,
    UNVERIFIED,
    Credentials,
    FailureKind,
    LookupFailure,
    LookupResult,
    Verification,
)
from voice.fulfillment.contract import (
    CREDENTIALS,
    MAX_BODY_BYTES,
    ContractError,
    credentials_of,
    parse_answer,
    request_body,
)
from voice.handoff.webhook import sign
from voice.metrics import Metrics

log = logging.getLogger(__name__)

REUSE_S: Final = 20.0
_Key = tuple[str, tuple[tuple[str, str], ...], str, str | None, Verification]
Outcome = LookupResult | LookupFailure


class HttpFulfillment:
    """POSTs each lookup to ``{base_url}/{name}``, signed with ``secret``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        secret: bytes,
        timeout_s: float,
        metrics: Metrics | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        reuse_s: float = REUSE_S,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.timeout_s = timeout_s
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.reuse_s = reuse_s
        # The loop that owns ``client``: build this inside it (the app's lifespan does).
        self.loop = loop or asyncio.get_running_loop()
        self._recent: dict[_Key, tuple[float, asyncio.Task[Outcome]]] = {}

    def url(self, name: str) -> str:
        return f"{self.base_url}/{quote(name, safe='')}"

    # -- the Fulfillment interface (called from the dialog's worker thread) ---------------

    def lookup(
        self,
        name: str,
        slots: dict[str, str],
        caller_number: str,
        verification: Verification = UNVERIFIED,
    ) -> LookupResult:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            raise RuntimeError("HttpFulfillment.lookup blocks: call it from a worker thread")
        call_sid = CALL_SID.get()
        future = asyncio.run_coroutine_threadsafe(
            self.fetch(name, slots, caller_number, call_sid=call_sid, verification=verification),
            self.loop,
        )
        try:
            outcome = future.result(timeout=self.timeout_s + 1.0)  # fetch ends by itself
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise LookupFailed(FailureKind.TIMEOUT.value, "the event loop did not answer") from exc
        if isinstance(outcome, LookupFailure):
            raise LookupFailed(outcome.kind.value, outcome.detail)
        return outcome

    def credentials(self, caller_number: str) -> Credentials | None:
        """The ``credentials`` lookup of contract version 2."""
        return credentials_of(self.lookup(CREDENTIALS, {}, caller_number))

    # -- async ------------------------------------------------------------------------------

    async def fetch(
        self,
        name: str,
        slots: dict[str, str],
        caller_number: str,
        *,
        call_sid: str | None = None,
        verification: Verification = UNVERIFIED,
    ) -> Outcome:
        """Ask the endpoint (or share a recent or pending answer: never across levels of
        verification); never raises."""
        key: _Key = (name, tuple(sorted(slots.items())), caller_number, call_sid, verification)
        now = time.monotonic()
        self._forget(now)
        entry = self._recent.get(key)
        if entry is None:
            request = self._request(name, slots, caller_number, call_sid, verification)
            task = asyncio.create_task(request)
            entry = self._recent[key] = (now, task)
        return await asyncio.shield(entry[1])

    def _forget(self, now: float) -> None:
        """Drop failed answers at once, good ones after ``reuse_s``."""
        for key, (started, task) in list(self._recent.items()):
            if task.done() and (
                task.cancelled()
                or isinstance(task.result(), LookupFailure)
                or now - started > self.reuse_s
            ):
                del self._recent[key]

    async def _request(
        self,
        name: str,
        slots: dict[str, str],
        caller_number: str,
        call_sid: str | None,
        verification: Verification,
    ) -> Outcome:
        body = request_body(name, slots, caller_number, call_sid, verification)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"voice-assistant/{__version__}",
            "X-Voice-Lookup": name,
            "X-Voice-Timestamp": timestamp,
            "X-Voice-Signature": sign(self.secret, timestamp, body),
        }
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                outcome = await self._exchange(name, slots, body, headers, started)
        except TimeoutError:
            outcome = _failure(FailureKind.TIMEOUT, f"no answer in {self.timeout_s:g} s", started)
        except httpx.TimeoutException as exc:
            outcome = _failure(FailureKind.TIMEOUT, type(exc).__name__, started)
        except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.ProxyError) as exc:
            outcome = _failure(FailureKind.CONNECT, f"{type(exc).__name__}: {exc}", started)
        except httpx.HTTPError as exc:  # ReadError, RemoteProtocolError, WriteError, ...
            outcome = _failure(FailureKind.DISCONNECTED, f"{type(exc).__name__}: {exc}", started)
        except Exception as exc:  # the call goes on whatever happened here
            log.exception("lookup %s: unexpected error", name)
            outcome = _failure(FailureKind.ERROR, f"{type(exc).__name__}: {exc}", started)
        self._observe(name, outcome, call_sid, time.perf_counter() - started)
        return outcome

    async def _exchange(
        self, name: str, slots: dict[str, str], body: str, headers: dict[str, str], started: float
    ) -> Outcome:
        request = self.client.build_request(
            "POST", self.url(name), content=body, headers=headers, timeout=self.timeout_s
        )
        response = await self.client.send(request, stream=True, follow_redirects=False)
        try:
            if not response.is_success:
                return _failure(
                    FailureKind.HTTP_STATUS,
                    f"HTTP {response.status_code}",
                    started,
                    status=response.status_code,
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                return _failure(FailureKind.TOO_LARGE, f"{declared} bytes declared", started)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_body_bytes:
                    return _failure(
                        FailureKind.TOO_LARGE, f"over {self.max_body_bytes} bytes", started
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        try:
            result = parse_answer(name, slots, b"".join(chunks))
        except ContractError as exc:
            return _failure(exc.kind, str(exc), started)
        return result

    def _observe(self, name: str, outcome: Outcome, call_sid: str | None, took_s: float) -> None:
        if isinstance(outcome, LookupFailure):
            label = outcome.kind.value
            log.warning(
                "call %s: lookup %s at %s failed after %.0f ms: %s",
                call_sid or "-",
                name,
                self.url(name),
                took_s * 1000,
                outcome.detail,
            )
        else:
            label = "found" if outcome.found else "not_found"
            log.info(
                "call %s: lookup %s %s in %.0f ms", call_sid or "-", name, label, took_s * 1000
            )
        if self.metrics is not None:
            self.metrics.observe_lookup(name, label, took_s)


def _failure(
    kind: FailureKind, detail: str, started: float, *, status: int | None = None
) -> LookupFailure:
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return LookupFailure(kind=kind, detail=detail, latency_ms=latency_ms, status=status)
