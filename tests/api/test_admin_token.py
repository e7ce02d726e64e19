"""The admin token: wrong tries throttled per client address, logged without the token."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, PUBLIC_URL, Line
from voice.throttle import FREE_FAILURES, MAX_LOCKOUT_S, FailureThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_from(line: Line, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=line.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_lockouts_double_after_the_free_failures_and_a_success_clears_them() -> None:
    clock = Clock()
    throttle = FailureThrottle(clock)
    for _ in range(FREE_FAILURES):
        throttle.failed("a")
        assert throttle.retry_after("a") == 0
    waits = []
    for _ in range(12):
        throttle.failed("a")
        waits.append(throttle.retry_after("a"))
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0] and waits[-1] == MAX_LOCKOUT_S
    assert throttle.retry_after("b") == 0  # per client
    clock.now += MAX_LOCKOUT_S
    assert throttle.retry_after("a") == 0
    throttle.succeeded("a")
    throttle.failed("a")
    assert throttle.retry_after("a") == 0  # counting starts afresh


async def test_wrong_tokens_are_throttled_per_client_with_retry_after(
    line: Line, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    line.ctx.admin_throttle = FailureThrottle(clock)
    guess = "guess-0123456789"
    async with (
        client_from(line, "203.0.113.7") as attacker,
        client_from(line, "198.51.100.2") as admin,
    ):
        for _ in range(FREE_FAILURES + 1):
            assert (await attacker.get("/api/calls", headers=bearer(guess))).status_code == 401
        locked = await attacker.get("/api/calls", headers=bearer(ADMIN_TOKEN))
        assert locked.status_code == 429  # even the right token waits: no oracle
        assert int(locked.headers["Retry-After"]) >= 1
        assert (await attacker.get("/metrics")).status_code == 429  # every admin route
        # Someone else is not locked out by the attacker.
        assert (await admin.get("/api/calls", headers=bearer(ADMIN_TOKEN))).status_code == 200
        clock.now += 2
        assert (await attacker.get("/api/calls", headers=bearer(ADMIN_TOKEN))).status_code == 200
    refusals = [r for r in caplog.records if "admin token from 203.0.113.7" in r.getMessage()]
    assert len(refusals) == FREE_FAILURES + 1
    assert "failure 6 in a row" in refusals[-1].getMessage()
    assert guess not in caplog.text and ADMIN_TOKEN not in caplog.text


async def test_a_non_ascii_token_is_a_401_not_a_500(line: Line) -> None:
    response = await line.client.get(
        "/api/calls", headers={b"Authorization": "Bearer t\u00e9st".encode("latin-1")}
    )
    assert response.status_code == 401
