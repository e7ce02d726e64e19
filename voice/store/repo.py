"""The synchronous store: one short transaction per method, plain values out.

Every method may block on the database; async code goes through ``AsyncStore``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voice.errors import StoreError
from voice.store.db import insert_ignoring_conflict
from voice.store.deliveries import Deliveries
from voice.store.models import (
    INITIAL_PHASE,
    TERMINAL_STATUSES,
    Call,
    Escalation,
    Transfer,
    TransferRecord,
    Turn,
    VerificationEvent,
    Voicemail,
    WebhookReply,
    utcnow,
)
from voice.store.reads import CallReads
from voice.store.tickets import StreamTickets

_TURN_RETRIES = 5


def _update(session: Session, entity: Any, *where: Any, **values: Any) -> int:
    """UPDATE matching rows without touching the session's objects; returns the row count."""
    stmt = update(entity).where(*where).values(**values)
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


class Store(CallReads, StreamTickets, Deliveries):
    """Calls, turns, transfers, voicemails and webhook replies in one database.

    Safe to share between threads and between service instances using the same database.
    The connection and transactions are ``StoreBase``'s, the read models ``CallReads``',
    the stream tickets ``StreamTickets``', the webhook deliveries ``Deliveries``'.
    """

    # Calls and dialog state

    def open_call(
        self,
        call_sid: str,
        *,
        account_sid: str,
        from_number: str,
        to_number: str,
        direction: str,
        status: str,
    ) -> bool:
        """Insert the call unless present; True if newly created.

        A row made earlier by a status callback gets its numbers filled in; status is kept.
        """
        now = utcnow()
        details: dict[str, Any] = {
            "account_sid": account_sid,
            "from_number": from_number,
            "to_number": to_number,
            "direction": direction,
            "updated_at": now,
        }
        row: dict[str, Any] = {"call_sid": call_sid, "status": status, "phase": INITIAL_PHASE}
        row |= {**details, "state": {}, "started_at": now}
        with self.transaction("open_call") as s:
            stmt = insert_ignoring_conflict(s, Call, row, ["call_sid"])
            if s.execute(stmt.returning(Call.call_sid)).first() is not None:
                return True
            _update(s, Call, Call.call_sid == call_sid, Call.from_number == "", **details)
            return False

    def call_ended(self, call_sid: str) -> bool:
        """True once a final status callback (or the dialog) ended the call."""
        with self.transaction("call_ended") as s:
            row = s.execute(select(Call.ended_at, Call.status).where(Call.call_sid == call_sid))
            found = row.first()
            return found is not None and (
                found.ended_at is not None or found.status in TERMINAL_STATUSES
            )

    def get_state(self, call_sid: str) -> tuple[str, dict[str, Any]] | None:
        with self.transaction("get_state") as s:
            row = s.execute(select(Call.phase, Call.state).where(Call.call_sid == call_sid)).first()
            return None if row is None else (row.phase, dict(row.state))

    def save_state(self, call_sid: str, phase: str, state: Mapping[str, Any]) -> None:
        """Replace phase and state (last writer wins; Twilio serialises requests per call)."""
        with self.transaction("save_state") as s:
            changes = {"phase": phase, "state": dict(state), "updated_at": utcnow()}
            if _update(s, Call, Call.call_sid == call_sid, **changes) == 0:
                raise StoreError(f"save_state failed: unknown call {call_sid!r}")

    def apply_status(
        self, call_sid: str, *, status: str, sequence: int | None, duration_s: int | None
    ) -> bool:
        """Apply a Twilio status callback; False if it was stale, a duplicate or too late.

        Ignored when ``sequence`` is not above the stored SequenceNumber, when the call already
        ended, or (without a sequence) when the status is unchanged. Decided in one conditional
        UPDATE, so concurrent callbacks cannot interleave. Unknown calls get a minimal row.
        """
        now = utcnow()
        terminal = status in TERMINAL_STATUSES
        changes: dict[str, Any] = {"status": status, "updated_at": now}
        if sequence is not None:
            changes["status_sequence"] = sequence
        if terminal:
            changes["ended_at"] = now
        if duration_s is not None:
            changes["duration_s"] = duration_s
        with self.transaction("apply_status") as s:
            row = {"call_sid": call_sid, "phase": INITIAL_PHASE, "state": {}, "started_at": now}
            stmt = insert_ignoring_conflict(s, Call, {**row, **changes}, ["call_sid"])
            if s.execute(stmt.returning(Call.call_sid)).first() is not None:
                return True
            newer = (
                or_(Call.status_sequence.is_(None), Call.status_sequence < sequence)
                if sequence is not None
                else Call.status != status
            )
            where = (Call.call_sid == call_sid, Call.ended_at.is_(None), newer)
            return _update(s, Call, *where, **changes) == 1

    # Turns

    def add_turn(
        self,
        call_sid: str,
        *,
        speaker: str,
        kind: str,
        text: str,
        intent: str | None = None,
        confidence: float | None = None,
        timings: Mapping[str, float] | None = None,
        recording_url: str | None = None,
    ) -> int:
        """Append a turn and return its sequence number (1, 2, 3... per call).

        ``timings`` maps a stage name to milliseconds. Writers to one call are serialised by
        updating the call row first (row lock on PostgreSQL, write lock on SQLite) before
        reading max(seq); should two still collide on the unique (call_sid, seq), the loser
        retries with the next number.
        """
        if speaker not in ("caller", "bot"):
            raise ValueError(f"speaker must be 'caller' or 'bot', not {speaker!r}")
        for attempt in range(_TURN_RETRIES):
            try:
                with self.transaction("add_turn") as s:
                    now = utcnow()
                    if _update(s, Call, Call.call_sid == call_sid, updated_at=now) == 0:
                        raise StoreError(f"add_turn failed: unknown call {call_sid!r}")
                    last = s.scalar(select(func.max(Turn.seq)).where(Turn.call_sid == call_sid))
                    seq = (last or 0) + 1
                    s.add(
                        Turn(
                            call_sid=call_sid,
                            seq=seq,
                            speaker=speaker,
                            kind=kind,
                            text=text,
                            intent=intent,
                            confidence=confidence,
                            timings=dict(timings or {}),
                            recording_url=recording_url,
                            created_at=now,
                        )
                    )
                return seq
            except StoreError as exc:
                if not isinstance(exc.__cause__, IntegrityError) or attempt == _TURN_RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise AssertionError("unreachable")

    # Transfers and voicemail

    def add_transfer(self, call_sid: str, *, reason: str, target: str | None) -> int:
        """Record a transfer in status ``initiated``; returns its id."""
        now = utcnow()
        with self.transaction("add_transfer") as s:
            transfer = Transfer(
                call_sid=call_sid,
                reason=reason,
                target=target,
                status="initiated",
                created_at=now,
                updated_at=now,
            )
            s.add(transfer)
            s.flush()
            return transfer.id

    def update_transfer(
        self,
        transfer_id: int,
        *,
        status: str,
        dial_call_sid: str | None = None,
        duration_s: int | None = None,
    ) -> None:
        """Set the status; ``dial_call_sid`` and ``duration_s`` only overwrite when given."""
        changes: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if dial_call_sid is not None:
            changes["dial_call_sid"] = dial_call_sid
        if duration_s is not None:
            changes["duration_s"] = duration_s
        with self.transaction("update_transfer") as s:
            if _update(s, Transfer, Transfer.id == transfer_id, **changes) == 0:
                raise StoreError(f"update_transfer failed: unknown transfer {transfer_id}")

    def add_escalation(
        self,
        call_sid: str,
        *,
        reason: str,
        priority: str,
        outcome: str,
        evidence: str,
        detail: Mapping[str, Any],
    ) -> int:
        """Record a decision to hand the caller over (the policy's audit trail)."""
        with self.transaction("add_escalation") as s:
            row = Escalation(
                call_sid=call_sid,
                reason=reason,
                priority=priority,
                outcome=outcome,
                evidence=evidence,
                detail=dict(detail),
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return row.id

    def add_verification(
        self, call_sid: str, *, factor: str, outcome: str, detail: str = ""
    ) -> None:
        """Audit one verification step (never the digits the caller gave)."""
        with self.transaction("add_verification") as s:
            s.add(
                VerificationEvent(
                    call_sid=call_sid,
                    factor=factor,
                    outcome=outcome,
                    detail=detail[:200],
                    created_at=utcnow(),
                )
            )

    def attested(self, call_sid: str) -> bool:
        """Whether the carrier attested the call's number (``StirVerstat`` A, as recorded)."""
        with self.transaction("attested") as s:
            found = s.scalar(
                select(VerificationEvent.id).where(
                    VerificationEvent.call_sid == call_sid,
                    VerificationEvent.factor == "attested",
                    VerificationEvent.outcome == "passed",
                )
            )
            return found is not None

    def verification_failures(self, from_number: str, *, since: datetime) -> int:
        """Wrong PINs and codes given on calls from ``from_number`` since ``since``."""
        with self.transaction("verification_failures") as s:
            count = s.scalar(
                select(func.count(VerificationEvent.id))
                .join(Call, Call.call_sid == VerificationEvent.call_sid)
                .where(
                    Call.from_number == from_number,
                    VerificationEvent.factor.in_(("pin", "sms_code")),
                    VerificationEvent.outcome.in_(("failed", "expired")),
                    VerificationEvent.created_at >= since,
                )
            )
            return int(count or 0)

    def latest_transfer(self, call_sid: str) -> TransferRecord | None:
        with self.transaction("latest_transfer") as s:
            transfer = s.scalars(
                select(Transfer).where(Transfer.call_sid == call_sid).order_by(Transfer.id.desc())
            ).first()
            return None if transfer is None else transfer.record()

    def add_voicemail(
        self,
        call_sid: str,
        *,
        recording_url: str,
        recording_sid: str | None,
        duration_s: int,
        transcript: str | None,
    ) -> int:
        """Store a voicemail; a repeated ``recording_sid`` returns the existing id."""
        row = {
            "call_sid": call_sid,
            "recording_url": recording_url,
            "recording_sid": recording_sid,
            "duration_s": duration_s,
            "transcript": transcript,
            "created_at": utcnow(),
        }
        with self.transaction("add_voicemail") as s:
            stmt = insert_ignoring_conflict(s, Voicemail, row, ["recording_sid"])
            new_id = s.execute(stmt.returning(Voicemail.id)).scalar()
            if new_id is not None:
                return new_id
            existing = select(Voicemail.id).where(Voicemail.recording_sid == recording_sid)
            return s.execute(existing).scalar_one()

    # Idempotent webhook replies

    def get_reply(self, key: str) -> str | None:
        with self.transaction("get_reply") as s:
            return s.scalar(select(WebhookReply.body).where(WebhookReply.key == key))

    def put_reply(self, key: str, body: str) -> None:
        """Store the reply for ``key``; the first one stored wins."""
        with self.transaction("put_reply") as s:
            row = {"key": key, "body": body, "created_at": utcnow()}
            s.execute(insert_ignoring_conflict(s, WebhookReply, row, ["key"]))
