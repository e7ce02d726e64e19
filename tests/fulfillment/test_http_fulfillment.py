"""HTTP fulfillment against a real loopback endpoint: answers, every way it fails, timing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.fulfillment.endpoint import ORDER_FOUND, SLOW_S, Endpoint, refused_url
from voice.errors import LookupFailed
from voice.fulfillment.base import (
    CALL_SID,
    Credentials,
    FailureKind,
    LookupFailure,
    LookupResult,
    Verification,
)
from voice.fulfillment.http import HttpFulfillment
from voice.fulfillment.pins import hash_pin
from voice.handoff.webhook import verify
from voice.metrics import Metrics

SECRET = b"fulfillment-test-secret"
TIMEOUT_S = 0.5
SLACK_S = 1.0  # generous: CI machines are busy; still far below SLOW_S
SLOTS = {"order_number": "45712"}
CALLER = "+15005550006"
SPOKEN = {"order_number_spoken": "four five seven one two"}  # filled in from the slot


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=True) as shared:  # as the app's client
        yield shared


def backend(
    client: httpx.AsyncClient, url: str, metrics: Metrics | None = None, *, reuse_s: float = 20.0
) -> HttpFulfillment:
    return HttpFulfillment(
        client, base_url=url, secret=SECRET, timeout_s=TIMEOUT_S, metrics=metrics, reuse_s=reuse_s
    )


async def test_answer_fills_the_fields_and_the_request_carries_slots_and_caller(
    endpoint: Endpoint, client: httpx.AsyncClient
) -> None:
    http = backend(client, f"{endpoint.url}/ok/")
    result = await http.fetch("order_status", SLOTS, CALLER, call_sid="CA123")
    assert result == LookupResult(found=True, fields=ORDER_FOUND["fields"])
    path, headers, body = endpoint.requests[-1]
    assert path == "/ok/order_status"
    assert endpoint.body() == {
        "version": 2,
        "lookup": "order_status",
        "slots": {"order_number": "45712"},
        "caller": {"number": CALLER},
        "call_sid": "CA123",
        "verification": {"level": "caller_id", "factors": []},
    }
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Voice-Lookup"] == "order_status"
    timestamp, signature = headers["X-Voice-Timestamp"], headers["X-Voice-Signature"]
    assert verify(SECRET, timestamp, body, signature)
    assert not verify(b"another-secret", timestamp, body, signature)
    assert not verify(SECRET, timestamp, body.replace("45712", "45713"), signature)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"found": True, "say": " Your parcel is at the depot. "},
            LookupResult(True, SPOKEN, "Your parcel is at the depot."),
        ),
        ({"found": False}, LookupResult(False, SPOKEN, None)),
        (
            {"found": False, "fields": {"order_number_spoken": "one two"}, "extra": [1]},
            LookupResult(False, {"order_number_spoken": "one two"}, None),
        ),
    ],
    ids=["say", "not-found", "not-found-with-fields"],
)
async def test_other_good_answers(
    endpoint: Endpoint,
    client: httpx.AsyncClient,
    answer: dict[str, object],
    expected: LookupResult,
) -> None:
    endpoint.answers["custom"] = answer
    http = backend(client, f"{endpoint.url}/custom")
    assert await http.fetch("order_status", SLOTS, CALLER) == expected


@pytest.mark.parametrize(
    ("mode", "kind", "status"),
    [
        ("error", FailureKind.HTTP_STATUS, 500),
        ("missing", FailureKind.HTTP_STATUS, 404),
        ("redirect", FailureKind.HTTP_STATUS, 302),  # never followed, even by a shared client
        ("garbage", FailureKind.BAD_JSON, None),
        ("huge", FailureKind.TOO_LARGE, None),
        ("huge_chunked", FailureKind.TOO_LARGE, None),
        ("hangup", FailureKind.DISCONNECTED, None),
    ],
)
async def test_failures_are_typed_never_raised(
    endpoint: Endpoint,
    client: httpx.AsyncClient,
    mode: str,
    kind: FailureKind,
    status: int | None,
) -> None:
    http = backend(client, f"{endpoint.url}/{mode}")
    outcome = await http.fetch("order_status", SLOTS, CALLER)
    assert isinstance(outcome, LookupFailure), outcome
    assert outcome.kind is kind, outcome
    assert outcome.status == status
    assert outcome.latency_ms >= 0


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"found": "yes"}, "found"),  # strict: no coercion
        ({"say": "hello"}, "found"),
        ([1, 2], "body"),
        ({"found": True}, "missing status_sentence"),
        ({"found": True, "fields": {"order_number_spoken": 45712}}, "fields"),
        ({"found": True, "fields": {"Bad Key": "x"}}, "fields"),
        ({"found": True, "say": ""}, "say"),
        ({"found": True, "say": "x" * 601}, "say"),
        (
            {"found": True, "fields": {"order_number_spoken": "one", "status_sentence": " "}},
            "empty status_sentence",
        ),
    ],
)
async def test_wrong_shapes_are_bad_shape(
    endpoint: Endpoint, client: httpx.AsyncClient, answer: object, problem: str
) -> None:
    endpoint.answers["shape"] = answer
    outcome = await backend(client, f"{endpoint.url}/shape").fetch("order_status", SLOTS, CALLER)
    assert isinstance(outcome, LookupFailure), outcome
    assert outcome.kind is FailureKind.BAD_SHAPE
    assert problem in outcome.detail


@pytest.mark.parametrize("mode", ["slow", "trickle"])
async def test_the_timeout_is_total_and_honoured(
    endpoint: Endpoint, client: httpx.AsyncClient, mode: str
) -> None:
    """A silent server and one that trickles a byte at a time both stop at the timeout."""
    http = backend(client, f"{endpoint.url}/{mode}")
    started = time.monotonic()
    outcome = await http.fetch("order_status", SLOTS, CALLER)
    took = time.monotonic() - started
    assert isinstance(outcome, LookupFailure)
    assert outcome.kind is FailureKind.TIMEOUT
    assert TIMEOUT_S * 0.9 <= took < TIMEOUT_S + SLACK_S < SLOW_S


async def test_connection_refused(client: httpx.AsyncClient) -> None:
    outcome = await backend(client, refused_url()).fetch("order_status", SLOTS, CALLER)
    assert isinstance(outcome, LookupFailure)
    assert outcome.kind is FailureKind.CONNECT


async def test_a_recent_answer_is_shared_and_a_failure_is_not(
    endpoint: Endpoint, client: httpx.AsyncClient
) -> None:
    http = backend(client, f"{endpoint.url}/ok")
    before = len(endpoint.requests)
    first, second = await asyncio.gather(
        http.fetch("order_status", SLOTS, CALLER), http.fetch("order_status", SLOTS, CALLER)
    )
    assert first == second
    await http.fetch("order_status", SLOTS, CALLER)
    assert len(endpoint.requests) == before + 1
    await http.fetch("order_status", {"order_number": "10234"}, CALLER)
    assert len(endpoint.requests) == before + 2  # other slots: asked again

    failing = backend(client, f"{endpoint.url}/error")
    await failing.fetch("order_status", SLOTS, CALLER)
    await failing.fetch("order_status", SLOTS, CALLER)
    assert len(endpoint.requests) == before + 4

    stale = backend(client, f"{endpoint.url}/ok", reuse_s=0.0)
    await stale.fetch("order_status", SLOTS, CALLER)
    await asyncio.sleep(0.01)
    await stale.fetch("order_status", SLOTS, CALLER)
    assert len(endpoint.requests) == before + 6


async def test_lookup_from_a_worker_thread(endpoint: Endpoint, client: httpx.AsyncClient) -> None:
    """The dialog's synchronous door: answers, or LookupFailed with the failure kind."""
    http = backend(client, f"{endpoint.url}/ok")

    def in_call() -> LookupResult:
        CALL_SID.set("CA-thread")
        return http.lookup("order_status", SLOTS, CALLER)

    result = await asyncio.to_thread(in_call)
    assert result.found and result.fields["status_sentence"].startswith("left our")
    assert endpoint.body()["call_sid"] == "CA-thread"

    down = backend(client, refused_url())
    with pytest.raises(LookupFailed) as err:
        await asyncio.to_thread(down.lookup, "order_status", SLOTS, CALLER)
    assert err.value.kind == "connect"


async def test_lookup_on_the_event_loop_refuses_to_block(
    endpoint: Endpoint, client: httpx.AsyncClient
) -> None:
    with pytest.raises(RuntimeError, match="worker thread"):
        backend(client, f"{endpoint.url}/ok").lookup("order_status", SLOTS, CALLER)


async def test_metrics_count_lookups_by_outcome(
    endpoint: Endpoint, client: httpx.AsyncClient
) -> None:
    metrics = Metrics()
    endpoint.answers["nothing"] = {"found": False}
    for mode in ("ok", "nothing", "error", "garbage"):
        await backend(client, f"{endpoint.url}/{mode}", metrics).fetch(
            "order_status", SLOTS, CALLER
        )

    def count(outcome: str) -> float | None:
        labels = {"lookup": "order_status", "outcome": outcome}
        return metrics.registry.get_sample_value("voice_fulfillment_lookups_total", labels)

    assert [count(o) for o in ("found", "not_found", "http_status", "bad_json")] == [1, 1, 1, 1]
    assert count("timeout") is None
    observed = metrics.registry.get_sample_value(
        "voice_fulfillment_lookup_seconds_count", {"lookup": "order_status"}
    )
    assert observed == 4


async def test_the_request_says_how_far_the_caller_was_verified_and_answers_never_cross_levels(
    endpoint: Endpoint, client: httpx.AsyncClient
) -> None:
    http = backend(client, f"{endpoint.url}/ok/")
    verified = Verification.of(("attested", "pin"))
    await http.fetch("order_status", SLOTS, CALLER, call_sid="CA9", verification=verified)
    assert endpoint.body()["verification"] == {"level": "verified", "factors": ["attested", "pin"]}
    before = len(endpoint.requests)
    await http.fetch("order_status", SLOTS, CALLER, call_sid="CA9")  # unverified: asked anew
    assert len(endpoint.requests) == before + 1


async def test_credentials_come_from_the_credentials_lookup(
    endpoint: Endpoint, client: httpx.AsyncClient
) -> None:
    stored = hash_pin("2468", iterations=1_000)
    endpoint.answers["creds"] = {"found": True, "pin_hash": stored, "sms_number": CALLER}
    endpoint.answers["nocreds"] = {"found": False}
    endpoint.answers["badcreds"] = {"found": True, "sms_number": "call me maybe"}
    got: list[Credentials | str | None] = []
    for mode in ("creds", "nocreds", "badcreds"):
        http = backend(client, f"{endpoint.url}/{mode}")
        try:
            got.append(await asyncio.to_thread(http.credentials, CALLER))
        except LookupFailed as exc:
            got.append(exc.kind)
    assert got == [Credentials(pin_hash=stored, sms_number=CALLER), None, "bad_shape"]
    assert endpoint.requests[-1][0] == "/badcreds/credentials"
