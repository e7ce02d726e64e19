"""Webhook deliveries shared by several instances: one sender at a time (SQLite and
PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from voice.store import Store
from voice.store.deliveries import Lease
from voice.store.models import utcnow

A, B = Lease("instance-a", 60.0), Lease("instance-b", 60.0)


def _pending(store: Store, count: int = 1) -> list[int]:
    return [
        store.add_delivery(f"CA{i}", event="handoff", url="http://crm/", body="{}")
        for i in range(count)
    ]


def test_a_delivery_nobody_holds_is_taken_by_one_instance(store: Store) -> None:
    [delivery] = _pending(store)
    assert [p.id for p in store.claim_deliveries(A)] == [delivery]
    assert store.claim_deliveries(B) == []  # A is sending it
    assert store.renew_lease(delivery, A)
    assert not store.renew_lease(delivery, B)


def test_a_lease_that_ran_out_is_taken_over(store: Store) -> None:
    [delivery] = _pending(store)
    store.claim_deliveries(A)  # then instance A dies
    later = utcnow() + timedelta(seconds=61)
    assert [p.id for p in store.claim_deliveries(B, now=later)] == [delivery]
    assert not store.renew_lease(delivery, A)  # A, were it only stalled, stops sending


def test_a_delivery_stored_with_its_sender_s_lease_is_not_taken(store: Store) -> None:
    held = store.add_delivery("CA1", event="handoff", url="http://crm/", body="{}", lease=A)
    assert store.claim_deliveries(B) == []
    assert store.release_leases(A.holder) == 1  # A stops cleanly
    assert [p.id for p in store.claim_deliveries(B)] == [held]


def test_sent_or_abandoned_deliveries_are_never_taken(store: Store) -> None:
    sent, failed, pending = _pending(store, 3)
    store.record_attempt(sent, status="delivered", http_status=204, error=None)
    store.record_attempt(failed, status="failed", http_status=500, error="HTTP 500")
    store.record_attempt(pending, status="pending", http_status=500, error="HTTP 500")
    [taken] = store.claim_deliveries(A)
    assert (taken.id, taken.attempts) == (pending, 1)


def test_only_the_notifier_s_own_kind_is_taken(store: Store) -> None:
    handoff = store.add_delivery("CA1", event="handoff", url="http://a/", body="{}")
    alert = store.add_delivery("alert-1", event="spike_alert", url="http://b/", body="{}")
    assert [p.id for p in store.claim_deliveries(A, exclude={"spike_alert"})] == [handoff]
    assert [p.id for p in store.claim_deliveries(B, events={"spike_alert"})] == [alert]


def test_instances_racing_for_the_same_deliveries_split_them(db_url: str) -> None:
    # Four instances (own connection pools) take up the same 40 pending deliveries at
    # once: each delivery goes to exactly one of them.
    stores = [Store(db_url) for _ in range(4)]
    stores[0].create_all()
    try:
        deliveries = _pending(stores[0], 40)
        leases = [Lease(f"instance-{i}", 60.0) for i in range(4)]
        with ThreadPoolExecutor(4) as pool:
            taken = list(pool.map(lambda i: stores[i].claim_deliveries(leases[i]), range(4)))
    finally:
        for store in stores:
            store.close()
    ids = [p.id for claimed in taken for p in claimed]
    assert sorted(ids) == sorted(deliveries)  # none twice, none left out
