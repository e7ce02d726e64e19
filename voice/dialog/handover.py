"""Where a hand-over goes: a person, or a voicemail when nobody can take the call."""

from __future__ import annotations

from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Decision
from voice.handoff.escalation import EscalationPolicy
from voice.text import prompts


def hand_over(
    state: CallState,
    reason: str,
    policy: EscalationPolicy,
    *,
    agent_available: bool,
    first: str | None = None,
    priority: str | None = None,
    evidence: str = "",
) -> Decision:
    """Hand the caller to a person; outside opening hours, or with nobody to take calls
    (``agent_available`` False), to a voicemail with a promised call back. ``first`` is
    said before the hand-over's own words; ``priority`` defaults to the policy's."""
    lead = (first,) if first else ()
    priority = priority or policy.priority(reason)
    if not agent_available:
        state.move_to(Phase.VOICEMAIL)
        return Decision(
            say=(*lead, prompts.VOICEMAIL_NO_AGENT),
            action=Action.VOICEMAIL,
            reason=reason,
            priority=priority,
            evidence=evidence,
            details={"outcome": "voicemail"},
        )
    if not policy.open_now():
        state.move_to(Phase.VOICEMAIL)
        closed = prompts.CLOSED.format(when=policy.reopening_words())
        return Decision(
            say=(*lead, closed),
            action=Action.VOICEMAIL,
            reason=reason,
            priority=priority,
            evidence=evidence,
            details={"outcome": "after_hours"},
        )
    state.move_to(Phase.TRANSFERRING)
    return Decision(
        say=(*lead, prompts.CONNECTING),
        action=Action.TRANSFER,
        reason=reason,
        priority=priority,
        evidence=evidence,
        details={"outcome": "transfer"},
    )
