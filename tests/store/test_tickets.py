"""Stream tickets on every backend: single use, bound to one call, short-lived, and shared
by every instance of the database (two ``Store`` objects stand for two instances)."""

from __future__ import annotations

import secrets
import threading
import time

from sqlalchemy import select

from voice.store import Store
from voice.store.models import StreamTicket
from voice.store.tickets import Refusal, ticket_key

CALL = "CA00000000000000000000000000000001"
OTHER = "CA00000000000000000000000000000002"


def open_call(store: Store, call_sid: str = CALL) -> None:
    store.open_call(
        call_sid,
        account_sid="AC123",
        from_number="+15005550006",
        to_number="+15005550001",
        direction="inbound",
        status="in-progress",
    )


def issued(store: Store, call_sid: str = CALL, **kwargs: float) -> str:
    token = secrets.token_urlsafe(32)
    assert store.issue_stream_ticket(call_sid, token, **kwargs)
    return token


def test_a_ticket_binds_the_stream_to_the_stored_caller(store: Store) -> None:
    open_call(store)
    token = issued(store)
    claim = store.claim_stream_ticket(token, call_sid=CALL, stream_sid="MZ1")
    assert claim.refusal is None and claim.call is not None
    assert (claim.call.from_number, claim.call.to_number) == ("+15005550006", "+15005550001")
    assert claim.call.account_sid == "AC123"


def test_only_the_hash_of_the_token_is_stored(store: Store) -> None:
    open_call(store)
    token = issued(store)
    with store.transaction("read") as s:
        keys = list(s.scalars(select(StreamTicket.key)))
    assert keys == [ticket_key(token)] and token not in keys


def test_a_ticket_is_used_once_even_through_another_instance(store: Store) -> None:
    open_call(store)
    token = issued(store)
    other_instance = Store(str(store.engine.url.render_as_string(hide_password=False)))
    try:
        first = other_instance.claim_stream_ticket(token, call_sid=CALL, stream_sid="MZ1")
        again = store.claim_stream_ticket(token, call_sid=CALL, stream_sid="MZ2")
    finally:
        other_instance.close()
    assert first.call is not None
    assert again.call is None and again.refusal is Refusal.USED


def test_refusals_say_why(store: Store) -> None:
    open_call(store)
    open_call(store, OTHER)
    token = issued(store)
    guessed = store.claim_stream_ticket(secrets.token_urlsafe(32), call_sid=CALL, stream_sid="M")
    assert guessed.refusal is Refusal.UNKNOWN
    assert store.claim_stream_ticket("", call_sid=CALL, stream_sid="M").refusal is Refusal.UNKNOWN
    moved = store.claim_stream_ticket(token, call_sid=OTHER, stream_sid="M")
    assert moved.refusal is Refusal.OTHER_CALL
    # The refused attempts changed nothing: the right stream still gets in.
    assert store.claim_stream_ticket(token, call_sid=CALL, stream_sid="M").call is not None


def test_an_expired_ticket_is_refused(store: Store) -> None:
    open_call(store)
    token = issued(store, ttl_s=0.05)
    time.sleep(0.1)
    assert store.claim_stream_ticket(token, call_sid=CALL, stream_sid="M").refusal is (
        Refusal.EXPIRED
    )


def test_no_ticket_for_an_unknown_finished_or_greeted_call(store: Store) -> None:
    assert not store.issue_stream_ticket(CALL, "t1")  # never opened
    open_call(store)
    store.save_state(CALL, "listening", {})  # already under way: a replayed webhook
    assert not store.issue_stream_ticket(CALL, "t2")
    open_call(store, OTHER)
    store.apply_status(OTHER, status="completed", sequence=None, duration_s=3)
    assert not store.issue_stream_ticket(OTHER, "t3")
    with store.transaction("read") as s:
        assert list(s.scalars(select(StreamTicket.key))) == []


def test_a_ticket_for_a_call_that_ended_since_is_refused(store: Store) -> None:
    open_call(store)
    token = issued(store)
    store.apply_status(CALL, status="completed", sequence=None, duration_s=3)
    claim = store.claim_stream_ticket(token, call_sid=CALL, stream_sid="M")
    assert claim.refusal is Refusal.CALL_GONE


def test_a_call_gets_one_stream_however_many_tickets(store: Store) -> None:
    """Two tickets for one call (a webhook retried without its idempotency token), claimed
    at the same moment: exactly one stream is bound, and no new ticket is issued after."""
    open_call(store)
    tokens = [issued(store), issued(store)]
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def claim(token: str) -> None:
        barrier.wait()
        results.append(
            store.claim_stream_ticket(token, call_sid=CALL, stream_sid="M").call is not None
        )

    threads = [threading.Thread(target=claim, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert not store.issue_stream_ticket(CALL, "later")
