"""Where a hand-over goes: a person, or a voicemail when nobody can take the call."""

from __future__ import annotations

from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Decision
from voice.handoff.escalation import EscalationPolicy
from voice.text import prompts

LINES_BUSY = "lines_busy"  # the reason of a call turned away (``turn_away``)


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


def turn_away(state: CallState, policy: EscalationPolicy, *, agent_available: bool) -> Decision:
    """A new call there is no line for: the policy's ``busy`` words, then a person (or a
    voicemail when nobody can take it, or out of hours) or, if the policy says so, a
    voicemail at once."""
    busy = policy.spec.busy
    if busy.action == "voicemail" or not agent_available:  # the busy words say why
        state.move_to(Phase.VOICEMAIL)
        return Decision(
            say=(busy.say, prompts.LEAVE_MESSAGE),
            action=Action.VOICEMAIL,
            reason=LINES_BUSY,
            priority=policy.priority(LINES_BUSY),
            details={"outcome": "voicemail"},
        )
    return hand_over(state, LINES_BUSY, policy, agent_available=agent_available, first=busy.say)
