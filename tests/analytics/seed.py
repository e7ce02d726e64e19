"""Calls for the analytics tests, written the way the service writes them, then back-dated.

``DialogSeeder`` drives the real dialog core and ``CallService`` (caller turns arrive
already transcribed, so no speech engine runs) and stores exactly what a call stores: turns
with intents and timings, hand-over decisions, transfers. Afterwards every row of the call
is moved to the chosen time (the store stamps rows with the current time).
``bulk_intent_calls`` writes many small calls in one transaction for the spike tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conftest import ROOT, always_open_policy
from voice.calls.service import CallerTurn, CallService, Heard
from voice.dialog.engine import DialogEngine
from voice.dialog.turns import Action, Caller
from voice.dialog.view import DialogSettings
from voice.fulfillment.demo import DemoFulfillment
from voice.handoff.escalation import EscalationPolicy
from voice.intents.loader import load_intents
from voice.intents.matcher import Matcher
from voice.pack.policy import load_policy
from voice.speech.stt import Transcript
from voice.store.aio import AsyncStore
from voice.store.models import Call, Escalation, Transfer, Turn, Voicemail
from voice.store.repo import Store

STEP_S = 5  # seconds between the turns of a seeded call
INTENTS = load_intents(ROOT / "intents")


def backdate(store: Store, call_sid: str, started: datetime) -> None:
    """Move the call and everything in it to ``started``: turn n at started + n * STEP_S,
    hand-over rows after the last turn."""
    with Session(store.engine) as s, s.begin():
        turns = s.query(Turn.id, Turn.seq).filter(Turn.call_sid == call_sid).all()
        last = max((seq for _, seq in turns), default=0)
        s.execute(
            update(Call)
            .where(Call.call_sid == call_sid)
            .values(started_at=started, updated_at=started + timedelta(seconds=last * STEP_S))
        )
        for turn_id, seq in turns:
            when = started + timedelta(seconds=seq * STEP_S)
            s.execute(update(Turn).where(Turn.id == turn_id).values(created_at=when))
        after = started + timedelta(seconds=last * STEP_S)
        for table in (Escalation, Voicemail):
            s.execute(update(table).where(table.call_sid == call_sid).values(created_at=after))
        s.execute(
            update(Transfer)
            .where(Transfer.call_sid == call_sid)
            .values(created_at=after, updated_at=after)
        )


class DialogSeeder:
    """Calls through the real dialog core, each ended by the dialog or after its last line."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store = store
        policy = load_policy(always_open_policy(folder), INTENTS)
        engine = DialogEngine(
            INTENTS,
            Matcher(INTENTS),
            DemoFulfillment(),
            DialogSettings(max_misses=policy.failures.no_match),
            EscalationPolicy(policy),
        )
        # Speech recognition, synthesis and downloads are never reached: turns come in
        # transcribed and replies are only recorded, not spoken.
        unused = cast(Any, None)
        self.calls = CallService(AsyncStore(store), engine, unused, unused, unused)

    async def call(
        self,
        call_sid: str,
        started: datetime,
        lines: Iterable[str],
        *,
        reply_ms: float = 500.0,
        stream: bool = False,
    ) -> list[Action]:
        """Greet, then say each line (``keys:0`` presses keys); returns the bot's actions."""
        greeting = await self.calls.greet(
            call_sid,
            account_sid="AC1",
            from_number="+15005550006",
            to_number="+15005550001",
            direction="inbound",
            status="in-progress",
        )
        await self.calls.record_bot_turn(call_sid, greeting, text=greeting.text, timings={})
        actions = []
        for line in lines:
            caller = Caller(number="+15005550006")
            if line.startswith("keys:"):
                turn = CallerTurn(call_sid, caller, digits=line.removeprefix("keys:"))
            else:
                transcript = Transcript(text=line, confidence=0.9, duration_s=1.5, no_speech=False)
                heard = Heard(transcript=transcript, timings={"stt_ms": reply_ms / 2})
                turn = CallerTurn(call_sid, caller, heard=heard)
            decision = await self.calls.decide(turn)
            timings = (
                {"tts_first_ms": 80.0, "eos_to_first_audio_ms": reply_ms, "played_ms": 2000.0}
                if stream
                else {"tts_ms": 100.0, "total_ms": reply_ms}
            )
            text = decision.text
            await self.calls.record_bot_turn(call_sid, decision, text=text, timings=timings)
            actions.append(decision.action)
            if decision.action is not Action.LISTEN:
                break
        backdate(self.store, call_sid, started)
        return actions


def bulk_intent_calls(
    store: Store, calls: Iterable[tuple[datetime, str | None, str | None]], prefix: str
) -> int:
    """One short call per (when, intent, hand-over reason): a caller turn with the intent
    and, with a reason, a hand-over decision. Written in one transaction; returns the count."""
    n = 0
    with Session(store.engine) as s, s.begin():
        for n, (when, intent, reason) in enumerate(calls, start=1):
            sid = f"CA{prefix}{n:08d}"
            s.add(
                Call(
                    call_sid=sid,
                    status="completed",
                    status_sequence=None,
                    started_at=when,
                    updated_at=when,
                    ended_at=None,
                    duration_s=None,
                )
            )
            s.add(
                Turn(
                    call_sid=sid,
                    seq=1,
                    speaker="caller",
                    kind="speech",
                    text="...",
                    intent=intent,
                    confidence=0.9,
                    timings={},
                    recording_url=None,
                    created_at=when,
                )
            )
            if reason is not None:
                s.add(
                    Escalation(
                        call_sid=sid,
                        reason=reason,
                        priority="normal",
                        outcome="transfer",
                        created_at=when,
                    )
                )
    return n
