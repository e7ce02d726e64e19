"""Stream tickets: a live Media Stream is accepted only for a call a signed webhook opened.

``/twilio/voice`` issues a ticket (an unguessable token, sent back to Twilio as a
``<Parameter>`` of ``<Stream>``); the stream's ``start`` message carries it in
``customParameters``, and the WebSocket claims it here. A ticket is bound to one CallSid,
used once, and short-lived; a call gets at most one stream. The check lives in the database,
so an instance other than the one that answered the webhook can accept the stream.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, exists, select, update

from voice.store.base import StoreBase
from voice.store.models import INITIAL_PHASE, Call, StreamTicket, utcnow

STREAM_TICKET_TTL_S = 60.0
"""How long after ``/twilio/voice`` a stream may claim its ticket; Twilio connects at once."""


class Refusal(StrEnum):
    """Why a stream was refused (said in the log line; the token never is)."""

    UNKNOWN = "unknown token"
    OTHER_CALL = "token issued for another call"
    USED = "token already used (a replayed handshake?)"
    EXPIRED = "token expired"
    CALL_GONE = "call unknown, finished or already under way"
    BOUND = "call already has a stream"


@dataclass(frozen=True, slots=True)
class BoundCall:
    """The stored call a stream was bound to: who is calling comes from here."""

    call_sid: str
    account_sid: str
    from_number: str
    to_number: str


@dataclass(frozen=True, slots=True)
class StreamClaim:
    call: BoundCall | None
    refusal: Refusal | None = None


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal


def ticket_key(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _lock_fresh_call(session: Any, call_sid: str) -> bool:
    """Lock the call row if the call is open and not yet greeted (row lock on PostgreSQL,
    write lock on SQLite), so concurrent claims for one call are decided one at a time."""
    stmt = (
        update(Call)
        .where(Call.call_sid == call_sid, Call.ended_at.is_(None), Call.phase == INITIAL_PHASE)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], session.execute(stmt)).rowcount == 1


def _has_stream(session: Any, call_sid: str) -> bool:
    used = exists().where(StreamTicket.call_sid == call_sid, StreamTicket.used_at.is_not(None))
    return bool(session.scalar(select(used)))


class StreamTickets(StoreBase):
    def issue_stream_ticket(
        self, call_sid: str, token: str, *, ttl_s: float = STREAM_TICKET_TTL_S
    ) -> bool:
        """Keep a ticket for ``call_sid``; False (nothing kept) when the call is unknown,
        finished, already greeted or already has a stream (a replayed webhook)."""
        now = utcnow()
        try:
            with self.transaction("issue_stream_ticket") as s:
                if not _lock_fresh_call(s, call_sid) or _has_stream(s, call_sid):
                    raise _Refused(Refusal.CALL_GONE)
                s.add(
                    StreamTicket(
                        key=ticket_key(token),
                        call_sid=call_sid,
                        created_at=now,
                        expires_at=now + timedelta(seconds=ttl_s),
                    )
                )
        except _Refused:
            return False
        return True

    def claim_stream_ticket(self, token: str, *, call_sid: str, stream_sid: str) -> StreamClaim:
        """Use the ticket for the stream ``stream_sid`` of ``call_sid``, once. Refused (and
        nothing changed) unless the token was issued for this very call, is unused and
        unexpired, and the call is open, not yet greeted and has no stream yet."""
        now = utcnow()
        try:
            with self.transaction("claim_stream_ticket") as s:
                locked = _lock_fresh_call(s, call_sid)
                ticket = s.get(StreamTicket, ticket_key(token)) if token else None
                if ticket is None:
                    raise _Refused(Refusal.UNKNOWN)
                if ticket.call_sid != call_sid:
                    raise _Refused(Refusal.OTHER_CALL)
                if ticket.used_at is not None:
                    raise _Refused(Refusal.USED)
                if ticket.expires_at <= now:
                    raise _Refused(Refusal.EXPIRED)
                if not locked:
                    raise _Refused(Refusal.CALL_GONE)
                if _has_stream(s, call_sid):
                    raise _Refused(Refusal.BOUND)
                claimed = (
                    update(StreamTicket)
                    .where(StreamTicket.key == ticket.key, StreamTicket.used_at.is_(None))
                    .values(used_at=now, stream_sid=stream_sid)
                    .execution_options(synchronize_session=False)
                )
                if cast(CursorResult[Any], s.execute(claimed)).rowcount != 1:
                    raise _Refused(Refusal.USED)
                call = s.execute(
                    select(Call.account_sid, Call.from_number, Call.to_number).where(
                        Call.call_sid == call_sid
                    )
                ).one()
                bound = BoundCall(call_sid, call.account_sid, call.from_number, call.to_number)
        except _Refused as refused:
            return StreamClaim(None, refused.refusal)
        return StreamClaim(bound)
