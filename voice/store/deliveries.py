"""Webhook deliveries (hand-overs, alerts) and who is sending them.

A delivery is stored first, then sent in the background with retries (see
``voice.handoff.webhook``). Several service instances share the database, and each takes up
pending deliveries at start-up and now and then (those whose sender stopped). So that a
delivery is sent by one instance at a time, its sender holds a lease (``delivery_leases``):
it is taken in one conditional write, renewed before every attempt and every wait, and
handed back when the instance stops. An instance that dies keeps its lease until it runs
out; then anyone may take the delivery up.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from voice.errors import StoreError
from voice.store.base import StoreBase
from voice.store.db import insert_ignoring_conflict
from voice.store.models import Delivery, DeliveryLease, utcnow


@dataclass(frozen=True)
class Lease:
    """Who holds a delivery, for how long."""

    holder: str
    seconds: float


@dataclass(frozen=True)
class Pending:
    """A delivery to send: its id, URL, body and how many attempts it already had."""

    id: int
    url: str
    body: str
    attempts: int


def _take(session: Session, delivery_id: int, lease: Lease, now: datetime) -> bool:
    """Take ``delivery_id``'s lease if nobody holds it or it ran out (one conditional write,
    so two instances taking the same delivery cannot both win), and it is still pending."""
    until = now + timedelta(seconds=lease.seconds)
    stmt = insert_ignoring_conflict(
        session,
        DeliveryLease,
        {"delivery_id": delivery_id, "holder": lease.holder, "until": until},
        ["delivery_id"],
    )
    if session.execute(stmt.returning(DeliveryLease.delivery_id)).first() is None:
        updated = session.execute(
            update(DeliveryLease)
            .where(DeliveryLease.delivery_id == delivery_id, DeliveryLease.until < now)
            .values(holder=lease.holder, until=until)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], updated).rowcount != 1:
            return False
    row = session.get(Delivery, delivery_id, populate_existing=True)
    return row is not None and row.status == "pending"  # not sent meanwhile


class Deliveries(StoreBase):
    def add_delivery(
        self, call_sid: str, *, event: str, url: str, body: str, lease: Lease | None = None
    ) -> int:
        """A webhook notification to send (status ``pending``), held by ``lease`` when given
        (its sender); returns its id."""
        now = utcnow()
        with self.transaction("add_delivery") as s:
            row = Delivery(
                call_sid=call_sid,
                event=event,
                url=url,
                body=body,
                status="pending",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            if lease is not None:
                s.add(
                    DeliveryLease(
                        delivery_id=row.id,
                        holder=lease.holder,
                        until=now + timedelta(seconds=lease.seconds),
                    )
                )
            return row.id

    def record_attempt(
        self, delivery_id: int, *, status: str, http_status: int | None, error: str | None
    ) -> None:
        """One more delivery attempt happened; ``status`` is pending, delivered or failed."""
        with self.transaction("record_attempt") as s:
            row = s.get(Delivery, delivery_id)
            if row is None:
                raise StoreError(f"record_attempt failed: unknown delivery {delivery_id}")
            row.attempts += 1
            row.status, row.last_status, row.last_error = status, http_status, error
            row.updated_at = utcnow()

    def pending_deliveries(
        self, *, events: Collection[str] | None = None, exclude: Collection[str] = ()
    ) -> list[tuple[int, str, str, int]]:
        """(id, url, body, attempts) of notifications not yet delivered or given up; only
        those of ``events`` when given, never those of ``exclude``. Leases are not looked at:
        to send them, ``claim_deliveries``."""
        query = select(Delivery).where(Delivery.status == "pending").order_by(Delivery.id)
        if events is not None:
            query = query.where(Delivery.event.in_(list(events)))
        if exclude:
            query = query.where(Delivery.event.not_in(list(exclude)))
        with self.transaction("pending_deliveries") as s:
            return [(r.id, r.url, r.body, r.attempts) for r in s.scalars(query)]

    def claim_deliveries(
        self,
        lease: Lease,
        *,
        events: Collection[str] | None = None,
        exclude: Collection[str] = (),
        now: datetime | None = None,
    ) -> list[Pending]:
        """The pending deliveries (of ``events``, not of ``exclude``) nobody is sending, now
        held by ``lease``: those without a lease, or whose lease ran out."""
        now = now or utcnow()
        query = (
            select(Delivery)
            .outerjoin(DeliveryLease, DeliveryLease.delivery_id == Delivery.id)
            .where(
                Delivery.status == "pending",
                or_(DeliveryLease.delivery_id.is_(None), DeliveryLease.until < now),
            )
            .order_by(Delivery.id)
        )
        if events is not None:
            query = query.where(Delivery.event.in_(list(events)))
        if exclude:
            query = query.where(Delivery.event.not_in(list(exclude)))
        with self.transaction("claim_deliveries") as s:
            candidates = [Pending(r.id, r.url, r.body, r.attempts) for r in s.scalars(query)]
        claimed: list[Pending] = []
        for pending in candidates:  # one short transaction each: a lost race skips one
            with self.transaction("claim_deliveries") as s:
                if _take(s, pending.id, lease, now):
                    claimed.append(pending)
        return claimed

    def renew_lease(self, delivery_id: int, lease: Lease) -> bool:
        """Extend ``lease`` on a delivery it holds; False when it no longer holds it."""
        until = utcnow() + timedelta(seconds=lease.seconds)
        with self.transaction("renew_lease") as s:
            result = s.execute(
                update(DeliveryLease)
                .where(
                    DeliveryLease.delivery_id == delivery_id,
                    DeliveryLease.holder == lease.holder,
                )
                .values(until=until)
                .execution_options(synchronize_session=False)
            )
            return cast(CursorResult[Any], result).rowcount == 1

    def release_leases(self, holder: str) -> int:
        """Hand back every lease ``holder`` has (it stops): another instance, or this one
        started again, takes the deliveries up at once. Returns how many."""
        with self.transaction("release_leases") as s:
            result = s.execute(delete(DeliveryLease).where(DeliveryLease.holder == holder))
            return cast(CursorResult[Any], result).rowcount
