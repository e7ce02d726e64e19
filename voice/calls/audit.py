"""What a turn leaves in the audit trail beside its turns: the hand-over record (reason,
priority, the agent's summary, the webhook) and the caller-verification steps, with the
one-time code the dialog asked to text."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from voice.dialog.engine import DialogEngine
from voice.dialog.state import CallState
from voice.dialog.turns import Caller, Decision
from voice.handoff.summary import build_summary
from voice.handoff.webhook import Notifier
from voice.store.aio import AsyncStore
from voice.text import prompts
from voice.text.redaction import redact


class TextMessages(Protocol):
    """Where a one-time code is texted from (``voice.wire.messaging`` in service)."""

    async def send(self, to: str, body: str) -> bool:
        """Send ``body`` to ``to``; False (logged, without the body) when it was not sent."""
        ...


log = logging.getLogger(__name__)

Redecide = Callable[[CallState, Caller], Awaitable[Decision]]


async def identity_at_greeting(
    store: AsyncStore, engine: DialogEngine, call_sid: str, state: CallState, from_number: str
) -> None:
    """What the call starts with: the carrier's attestation (recorded when the call was
    opened), and no PIN for a number that gave too many wrong ones in the last day."""
    engine.verifier.attested(state, passed=await store.attested(call_sid))
    if not from_number:
        return
    since = datetime.now(UTC) - timedelta(days=1)
    failures = await store.verification_failures(from_number, since=since)
    if failures >= engine.policy.spec.verification.daily_failures:
        log.warning(
            "call %s: %d wrong PINs or codes from this number in a day; no PIN is taken",
            call_sid,
            failures,
        )
        engine.verifier.lock_pin(state)


async def verification_steps(
    store: AsyncStore,
    engine: DialogEngine,
    texts: TextMessages | None,
    call_sid: str,
    state: CallState,
    decision: Decision,
    caller: Caller,
    code_not_sent: Redecide,
) -> Decision:
    """Audit the turn's verification step and text a code the dialog asked to send. A code
    that cannot be sent is void: the dialog then decides again without it."""
    for step in filter(None, decision.details.get("verification", "").split(",")):
        factor, _, outcome = step.partition(":")
        await store.add_verification(call_sid, factor=factor, outcome=outcome)
    send_to = decision.details.get("send_code_to")
    if not send_to:
        return decision
    decision = replace(
        decision, details={k: v for k, v in decision.details.items() if k != "send_code_to"}
    )
    spec = engine.policy.spec.verification
    code = engine.verifier.issue_code(state, spec)  # only its keyed hash stays in the state
    body = prompts.code_message(engine.settings.company, code, spec.code_minutes)
    sent = texts is not None and await texts.send(send_to, body)
    await store.add_verification(
        call_sid, factor="sms_code", outcome="sent" if sent else "not_sent"
    )
    if sent:
        return decision
    return await code_not_sent(state, caller)


async def audit_handover(
    store: AsyncStore,
    engine: DialogEngine,
    notifier: Notifier | None,
    call_sid: str,
    state: CallState,
    decision: Decision,
    caller: Caller | None,
) -> None:
    """Store the hand-over decision with its reason and the summary for the agent."""
    assert decision.reason is not None
    call = await store.get_call(call_sid)
    number = caller.number if caller and caller.number else (call or {}).get("from") or ""
    priority = decision.priority or "normal"
    summary = build_summary(
        caller_number=number,
        reason=decision.reason,
        priority=priority,
        state=state,
        turns=(call or {}).get("turns", []),
        sentiment=state.sentiment,
        evidence=redact(decision.evidence),
        handover_intents=engine.policy.spec.caller_request.intents,
        feelings=state.feelings,
        verification=state.verification,
    )
    outcome = decision.details.get("outcome", decision.action.value)
    await store.add_escalation(
        call_sid,
        reason=decision.reason,
        priority=priority,
        outcome=outcome,
        evidence=redact(decision.evidence),
        detail={"summary": summary, **_lookup_detail(decision)},
    )
    if notifier is not None:
        payload = {
            "reason": decision.reason,
            "priority": priority,
            "outcome": outcome,
            "caller": number,
            "summary": summary,
        }
        await notifier.notify(call_sid, "handoff", payload)


def _lookup_detail(decision: Decision) -> dict[str, str]:
    """What a lookup behind a hand-over did (name, outcome, ms), for the audit record."""
    return {
        k: v for k, v in decision.details.items() if k in ("lookup", "lookup_outcome", "lookup_ms")
    }
