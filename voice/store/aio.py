"""The store for async code: the same methods as ``Store``, run in worker threads.

Each call is one ``asyncio.to_thread``, so the event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from voice.store.deliveries import Lease, Pending
from voice.store.models import TransferRecord
from voice.store.repo import Store
from voice.store.tickets import StreamClaim


class AsyncStore:
    def __init__(self, store: Store) -> None:
        self.sync = store

    @classmethod
    def from_url(cls, url: str) -> AsyncStore:
        return cls(Store(url))

    async def create_all(self) -> None:
        await asyncio.to_thread(self.sync.create_all)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def open_call(
        self,
        call_sid: str,
        *,
        account_sid: str,
        from_number: str,
        to_number: str,
        direction: str,
        status: str,
    ) -> bool:
        return await asyncio.to_thread(
            self.sync.open_call,
            call_sid,
            account_sid=account_sid,
            from_number=from_number,
            to_number=to_number,
            direction=direction,
            status=status,
        )

    async def call_ended(self, call_sid: str) -> bool:
        return await asyncio.to_thread(self.sync.call_ended, call_sid)

    async def get_state(self, call_sid: str) -> tuple[str, dict[str, Any]] | None:
        return await asyncio.to_thread(self.sync.get_state, call_sid)

    async def save_state(self, call_sid: str, phase: str, state: Mapping[str, Any]) -> None:
        await asyncio.to_thread(self.sync.save_state, call_sid, phase, state)

    async def apply_status(
        self, call_sid: str, *, status: str, sequence: int | None, duration_s: int | None
    ) -> bool:
        return await asyncio.to_thread(
            self.sync.apply_status,
            call_sid,
            status=status,
            sequence=sequence,
            duration_s=duration_s,
        )

    async def add_turn(
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
        return await asyncio.to_thread(
            self.sync.add_turn,
            call_sid,
            speaker=speaker,
            kind=kind,
            text=text,
            intent=intent,
            confidence=confidence,
            timings=timings,
            recording_url=recording_url,
        )

    async def add_transfer(self, call_sid: str, *, reason: str, target: str | None) -> int:
        return await asyncio.to_thread(
            self.sync.add_transfer, call_sid, reason=reason, target=target
        )

    async def update_transfer(
        self,
        transfer_id: int,
        *,
        status: str,
        dial_call_sid: str | None = None,
        duration_s: int | None = None,
    ) -> None:
        await asyncio.to_thread(
            self.sync.update_transfer,
            transfer_id,
            status=status,
            dial_call_sid=dial_call_sid,
            duration_s=duration_s,
        )

    async def add_verification(
        self, call_sid: str, *, factor: str, outcome: str, detail: str = ""
    ) -> None:
        await asyncio.to_thread(
            self.sync.add_verification, call_sid, factor=factor, outcome=outcome, detail=detail
        )

    async def verification_failures(self, from_number: str, *, since: datetime) -> int:
        return await asyncio.to_thread(self.sync.verification_failures, from_number, since=since)

    async def attested(self, call_sid: str) -> bool:
        return await asyncio.to_thread(self.sync.attested, call_sid)

    async def add_escalation(
        self,
        call_sid: str,
        *,
        reason: str,
        priority: str,
        outcome: str,
        evidence: str,
        detail: Mapping[str, Any],
    ) -> int:
        return await asyncio.to_thread(
            self.sync.add_escalation,
            call_sid,
            reason=reason,
            priority=priority,
            outcome=outcome,
            evidence=evidence,
            detail=detail,
        )

    async def add_delivery(
        self, call_sid: str, *, event: str, url: str, body: str, lease: Lease | None = None
    ) -> int:
        return await asyncio.to_thread(
            self.sync.add_delivery, call_sid, event=event, url=url, body=body, lease=lease
        )

    async def claim_deliveries(
        self, lease: Lease, *, events: Collection[str] | None = None, exclude: Collection[str] = ()
    ) -> list[Pending]:
        return await asyncio.to_thread(
            self.sync.claim_deliveries, lease, events=events, exclude=exclude
        )

    async def renew_lease(self, delivery_id: int, lease: Lease) -> bool:
        return await asyncio.to_thread(self.sync.renew_lease, delivery_id, lease)

    async def release_leases(self, holder: str) -> int:
        return await asyncio.to_thread(self.sync.release_leases, holder)

    async def record_attempt(
        self, delivery_id: int, *, status: str, http_status: int | None, error: str | None
    ) -> None:
        await asyncio.to_thread(
            self.sync.record_attempt,
            delivery_id,
            status=status,
            http_status=http_status,
            error=error,
        )

    async def pending_deliveries(
        self, *, events: Collection[str] | None = None, exclude: Collection[str] = ()
    ) -> list[tuple[int, str, str, int]]:
        return await asyncio.to_thread(self.sync.pending_deliveries, events=events, exclude=exclude)

    async def latest_transfer(self, call_sid: str) -> TransferRecord | None:
        return await asyncio.to_thread(self.sync.latest_transfer, call_sid)

    async def add_voicemail(
        self,
        call_sid: str,
        *,
        recording_url: str,
        recording_sid: str | None,
        duration_s: int,
        transcript: str | None,
    ) -> int:
        return await asyncio.to_thread(
            self.sync.add_voicemail,
            call_sid,
            recording_url=recording_url,
            recording_sid=recording_sid,
            duration_s=duration_s,
            transcript=transcript,
        )

    async def issue_stream_ticket(self, call_sid: str, token: str) -> bool:
        return await asyncio.to_thread(self.sync.issue_stream_ticket, call_sid, token)

    async def claim_stream_ticket(
        self, token: str, *, call_sid: str, stream_sid: str
    ) -> StreamClaim:
        return await asyncio.to_thread(
            self.sync.claim_stream_ticket, token, call_sid=call_sid, stream_sid=stream_sid
        )

    async def get_reply(self, key: str) -> str | None:
        return await asyncio.to_thread(self.sync.get_reply, key)

    async def put_reply(self, key: str, body: str) -> None:
        await asyncio.to_thread(self.sync.put_reply, key, body)

    async def list_calls(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        caller: str | None = None,
        handed_over: bool | None = None,
    ) -> list[dict[str, Any]]:
        return await asyncio.to_thread(
            self.sync.list_calls,
            limit=limit,
            offset=offset,
            search=search,
            caller=caller,
            handed_over=handed_over,
        )

    async def get_call(self, call_sid: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.sync.get_call, call_sid)

    async def caller_utterances(
        self, *, since: datetime, unsure_below: float | None = None, limit: int = 20_000
    ) -> list[dict[str, Any]]:
        return await asyncio.to_thread(
            self.sync.caller_utterances, since=since, unsure_below=unsure_below, limit=limit
        )
