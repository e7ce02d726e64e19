"""Spike alerts: the ``alerts`` table and its queries.

One alert stays open per key (``intent:<name>`` or ``reason:<name>``) for as long as the key
keeps spiking: checks that find the same spike update it instead of adding rows. The
database enforces this across instances: ``open_key`` holds the key while the alert is
open and is unique (NULLs are not, so closed alerts pile up freely). An alert closes once
its key has not spiked for a whole window; a later spike opens a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update

from voice.errors import StoreError
from voice.store.db import insert_ignoring_conflict
from voice.store.models import Alert, Delivery
from voice.store.repo import Store

ALERT_EVENT = "spike_alert"
"""The ``event`` of an alert's webhook body and delivery row."""


def delivery_subject(alert_id: int) -> str:
    """What an alert's delivery row holds where a hand-over's holds its call SID."""
    return f"alert-{alert_id}"


@dataclass(frozen=True)
class SpikeRow:
    """What a check found for one key (see ``voice.analytics.spikes``)."""

    kind: str
    name: str
    count: int
    usual: float
    spread: float
    p_value: float
    window_s: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


def record_spike(store: Store, spike: SpikeRow, now: datetime) -> tuple[int, bool]:
    """Open an alert for the spike's key, or update the one already open.

    Returns (alert id, True if this call opened it). Only the opener should notify.
    """
    row = {
        "key": spike.key,
        "kind": spike.kind,
        "name": spike.name,
        "open_key": spike.key,
        "count": spike.count,
        "peak": spike.count,
        "usual": spike.usual,
        "spread": spike.spread,
        "p_value": spike.p_value,
        "window_s": spike.window_s,
        "opened_at": now,
        "last_seen_at": now,
    }
    with store.transaction("record_spike") as s:
        stmt = insert_ignoring_conflict(s, Alert, row, ["open_key"])
        new_id = s.execute(stmt.returning(Alert.id)).scalar()
        if new_id is not None:
            return new_id, True
        bigger = case((Alert.peak < spike.count, spike.count), else_=Alert.peak)
        changes = update(Alert).where(Alert.open_key == spike.key)
        changes = changes.values(count=spike.count, peak=bigger, last_seen_at=now)
        s.execute(changes.execution_options(synchronize_session=False))
        alert_id = s.scalar(select(Alert.id).where(Alert.open_key == spike.key))
        if alert_id is None:  # closed in between by another instance; the next check reopens
            raise StoreError(f"record_spike failed: alert for {spike.key} vanished")
        return alert_id, False


def close_quiet_alerts(store: Store, now: datetime, quiet_s: float) -> int:
    """Close open alerts whose key has not spiked for ``quiet_s`` seconds; returns how many."""
    cutoff = now - timedelta(seconds=quiet_s)
    with store.transaction("close_quiet_alerts") as s:
        stmt = (
            update(Alert)
            .where(Alert.open_key.is_not(None), Alert.last_seen_at < cutoff)
            .values(open_key=None, closed_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(s.execute(stmt).rowcount)  # type: ignore[attr-defined]


def recent_alerts(store: Store, limit: int) -> list[dict[str, Any]]:
    """Newest first, each with the status of its webhook delivery (None when not sent)."""
    with store.transaction("recent_alerts") as s:
        alerts = list(s.scalars(select(Alert).order_by(Alert.id.desc()).limit(limit)))
        subjects = {delivery_subject(a.id): a.id for a in alerts}
        delivered: dict[int, str] = {}
        if subjects:
            rows = s.execute(
                select(Delivery.call_sid, Delivery.status).where(
                    Delivery.call_sid.in_(subjects), Delivery.event == ALERT_EVENT
                )
            )
            delivered = {subjects[subject]: status for subject, status in rows}
        return [{**a.to_json(), "webhook": delivered.get(a.id)} for a in alerts]
