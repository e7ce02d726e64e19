"""Database tables: calls, turns, transfers, voicemails, stream tickets and stored webhook
replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
"""Twilio call statuses after which a call is over; a later non-terminal status never wins."""

INITIAL_PHASE = "greeting"
"""Phase of a call row the dialog core has not touched yet."""

_JSON = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are stored as naive
    UTC and get their ``tzinfo`` back on the way out. Naive input is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: _JSON}


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_started_at", "started_at"),)

    call_sid: Mapped[str] = mapped_column(primary_key=True)
    account_sid: Mapped[str] = mapped_column(default="")
    from_number: Mapped[str] = mapped_column(default="")
    to_number: Mapped[str] = mapped_column(default="")
    direction: Mapped[str] = mapped_column(default="")
    status: Mapped[str]
    status_sequence: Mapped[int | None]
    phase: Mapped[str] = mapped_column(default=INITIAL_PHASE)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[int | None]

    def summary(self) -> dict[str, Any]:
        return {
            "call_sid": self.call_sid,
            "from": self.from_number,
            "to": self.to_number,
            "direction": self.direction,
            "status": self.status,
            "phase": self.phase,
            "started_at": self.started_at.isoformat(),
            "ended_at": _iso(self.ended_at),
            "duration_s": self.duration_s,
        }


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("call_sid", "seq", name="uq_turns_call_seq"),
        Index("ix_turns_created_at", "created_at"),  # the analytics window queries
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(ForeignKey("calls.call_sid", ondelete="CASCADE"))
    seq: Mapped[int]
    speaker: Mapped[str]
    kind: Mapped[str]
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None]
    confidence: Mapped[float | None]
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recording_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "speaker": self.speaker,
            "kind": self.kind,
            "text": self.text,
            "intent": self.intent,
            "confidence": self.confidence,
            "timings": self.timings,
            "recording_url": self.recording_url,
            "created_at": self.created_at.isoformat(),
        }


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(
        ForeignKey("calls.call_sid", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None]
    status: Mapped[str]
    dial_call_sid: Mapped[str | None]
    duration_s: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def record(self) -> TransferRecord:
        return TransferRecord(
            id=self.id,
            call_sid=self.call_sid,
            reason=self.reason,
            target=self.target,
            status=self.status,
            dial_call_sid=self.dial_call_sid,
            duration_s=self.duration_s,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class Escalation(Base):
    """The audit trail: each decision to hand a caller over, with why and how urgently."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(
        ForeignKey("calls.call_sid", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    priority: Mapped[str]
    outcome: Mapped[str]  # transfer, voicemail, after_hours
    evidence: Mapped[str] = mapped_column(Text, default="")  # redacted words that triggered it
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # summary, scores
    created_at: Mapped[datetime]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reason": self.reason,
            "priority": self.priority,
            "outcome": self.outcome,
            "evidence": self.evidence,
            "detail": self.detail,
            "created_at": self.created_at.isoformat(),
        }


class VerificationEvent(Base):
    """The audit trail of caller verification: each factor asked, passed, failed or sent,
    and the carrier's attestation of the number. Never the digits a caller gave."""

    __tablename__ = "verification_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(
        ForeignKey("calls.call_sid", ondelete="CASCADE"), index=True
    )
    factor: Mapped[str]  # attested, pin, sms_code
    outcome: Mapped[str]  # asked, passed, failed, expired, declined, sent, not_sent
    detail: Mapped[str] = mapped_column(Text, default="")  # e.g. the StirVerstat value
    created_at: Mapped[datetime]

    def to_json(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "outcome": self.outcome,
            "detail": self.detail,
            "created_at": self.created_at.isoformat(),
        }


class Delivery(Base):
    """One webhook notification and what became of it (pending, delivered, failed)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(index=True)
    event: Mapped[str]
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "url": self.url,
            "status": self.status,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class DeliveryLease(Base):
    """Which service instance is sending a pending delivery, until when. Another instance
    takes a delivery up only when its lease has run out (its sender stopped without handing
    it back) or there is none: a webhook is sent by one instance at a time."""

    __tablename__ = "delivery_leases"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str]
    until: Mapped[datetime]


class Voicemail(Base):
    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(
        ForeignKey("calls.call_sid", ondelete="CASCADE"), index=True
    )
    recording_url: Mapped[str] = mapped_column(Text)
    recording_sid: Mapped[str | None] = mapped_column(unique=True)
    duration_s: Mapped[int]
    transcript: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "recording_url": self.recording_url,
            "recording_sid": self.recording_sid,
            "duration_s": self.duration_s,
            "transcript": self.transcript,
            "created_at": self.created_at.isoformat(),
        }


class StreamTicket(Base):
    """A single-use token that binds one Media Stream to the call a signed webhook opened.

    Only the token's SHA-256 is kept (``key``): a copy of the database opens no stream.
    """

    __tablename__ = "stream_tickets"

    key: Mapped[str] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(
        ForeignKey("calls.call_sid", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    stream_sid: Mapped[str | None]


class WebhookReply(Base):
    __tablename__ = "webhook_replies"

    key: Mapped[str] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class TransferRecord:
    id: int
    call_sid: str
    reason: str
    target: str | None
    status: str
    dial_call_sid: str | None
    duration_s: int | None
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reason": self.reason,
            "target": self.target,
            "status": self.status,
            "dial_call_sid": self.dial_call_sid,
            "duration_s": self.duration_s,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class Alert(Base):
    """A spike alert (see ``voice.store.alerts``): one open per key while it lasts."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(index=True)
    kind: Mapped[str]  # intent or reason
    name: Mapped[str] = mapped_column(Text)
    open_key: Mapped[str | None] = mapped_column(unique=True)  # key while open, else NULL
    count: Mapped[int]  # calls in the latest window that spiked
    peak: Mapped[int]  # most calls in one window while open
    usual: Mapped[float]  # mean calls per window over the baseline
    spread: Mapped[float]  # their standard deviation
    p_value: Mapped[float]  # Poisson chance of ``count`` or more at the usual level
    window_s: Mapped[int]
    opened_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "kind": self.kind,
            "name": self.name,
            "open": self.closed_at is None,
            "count": self.count,
            "peak": self.peak,
            "usual": round(self.usual, 2),
            "spread": round(self.spread, 2),
            "p_value": self.p_value,
            "window_s": self.window_s,
            "opened_at": self.opened_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }
