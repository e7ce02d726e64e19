"""The store's read models for the admin API and the suggestions: calls listed and searched,
one call in full, and the caller utterances of a period."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select

from voice.store.base import StoreBase
from voice.store.models import (
    Call,
    Delivery,
    Escalation,
    Transfer,
    Turn,
    VerificationEvent,
    Voicemail,
)


class CallReads(StoreBase):
    """Queries that read whole calls, JSON-ready; every method is one transaction."""

    def list_calls(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        caller: str | None = None,
        handed_over: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Calls newest first, with counts for a list view; timestamps are ISO 8601 strings.

        ``search`` matches (case-insensitively) the caller's number or any stored turn text;
        ``caller`` is an exact caller number; ``handed_over`` keeps calls with (or without)
        a hand-over. Each row has the latest hand-over's reason and priority, if any.
        """
        turns = Turn.call_sid == Call.call_sid
        turn_count = select(func.count(Turn.id)).where(turns).scalar_subquery()
        transferred = exists().where(Transfer.call_sid == Call.call_sid)
        escalated = exists().where(Escalation.call_sid == Call.call_sid)
        last_intent = (
            select(Turn.intent)
            .where(turns, Turn.intent.is_not(None))
            .order_by(Turn.seq.desc())
            .limit(1)
            .scalar_subquery()
        )
        latest = select(Escalation).where(Escalation.call_sid == Call.call_sid)
        latest = latest.order_by(Escalation.id.desc()).limit(1)
        reason = latest.with_only_columns(Escalation.reason).scalar_subquery()
        priority = latest.with_only_columns(Escalation.priority).scalar_subquery()
        query = select(Call, turn_count, transferred, last_intent, reason, priority)
        if search:
            pattern = f"%{search.lower()}%"
            in_turns = exists().where(turns, func.lower(Turn.text).like(pattern))
            query = query.where(or_(Call.from_number.like(f"%{search}%"), in_turns))
        if caller:
            query = query.where(Call.from_number == caller)
        if handed_over is not None:
            query = query.where(escalated if handed_over else ~escalated)
        query = (
            query.order_by(Call.started_at.desc(), Call.call_sid.desc()).limit(limit).offset(offset)
        )
        with self.transaction("list_calls") as s:
            return [
                {
                    **call.summary(),
                    "turn_count": count,
                    "transferred": bool(was_transferred),
                    "last_intent": intent,
                    "handoff_reason": why,
                    "handoff_priority": how,
                }
                for call, count, was_transferred, intent, why, how in s.execute(query)
            ]

    def get_call(self, call_sid: str) -> dict[str, Any] | None:
        """The call with its turns (in order), transfers and voicemails, JSON-ready."""
        with self.transaction("get_call") as s:
            call = s.get(Call, call_sid)
            if call is None:
                return None
            turns = s.scalars(select(Turn).where(Turn.call_sid == call_sid).order_by(Turn.seq))
            transfers = s.scalars(
                select(Transfer).where(Transfer.call_sid == call_sid).order_by(Transfer.id)
            )
            voicemails = s.scalars(
                select(Voicemail).where(Voicemail.call_sid == call_sid).order_by(Voicemail.id)
            )
            escalations = s.scalars(
                select(Escalation).where(Escalation.call_sid == call_sid).order_by(Escalation.id)
            )
            deliveries = s.scalars(
                select(Delivery).where(Delivery.call_sid == call_sid).order_by(Delivery.id)
            )
            verifications = s.scalars(
                select(VerificationEvent)
                .where(VerificationEvent.call_sid == call_sid)
                .order_by(VerificationEvent.id)
            )
            return {
                **call.summary(),
                "account_sid": call.account_sid,
                "state": call.state,
                "updated_at": call.updated_at.isoformat(),
                "turns": [turn.to_json() for turn in turns],
                "transfers": [transfer.record().to_json() for transfer in transfers],
                "voicemails": [voicemail.to_json() for voicemail in voicemails],
                "escalations": [escalation.to_json() for escalation in escalations],
                "deliveries": [delivery.to_json() for delivery in deliveries],
                "verifications": [event.to_json() for event in verifications],
            }

    def caller_utterances(
        self, *, since: datetime, unsure_below: float | None = None, limit: int = 20_000
    ) -> list[dict[str, Any]]:
        """Caller speech turns stored since ``since``, newest first: text (redacted when
        stored), intent, confidence, call_sid, created_at (ISO 8601). With
        ``unsure_below``, only turns with no intent or a confidence below it."""
        query = select(Turn).where(
            Turn.speaker == "caller", Turn.kind == "speech", Turn.created_at >= since
        )
        if unsure_below is not None:
            unsure = or_(Turn.intent.is_(None), Turn.confidence.is_(None))
            query = query.where(or_(unsure, Turn.confidence < unsure_below))
        query = query.order_by(Turn.created_at.desc(), Turn.id.desc()).limit(limit)
        with self.transaction("caller_utterances") as s:
            return [
                {
                    "text": turn.text,
                    "intent": turn.intent,
                    "confidence": turn.confidence,
                    "call_sid": turn.call_sid,
                    "created_at": turn.created_at.isoformat(),
                }
                for turn in s.scalars(query)
            ]
