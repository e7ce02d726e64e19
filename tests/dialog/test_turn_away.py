"""A call there is no live line for (MAX_LIVE_CALLS): told the lines are busy, then a person
or a voicemail as the policy says; never greeted by the bot."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from voice.dialog.engine import DialogEngine
from voice.dialog.handover import LINES_BUSY
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action
from voice.dialog.view import DialogSettings
from voice.fulfillment.demo import DemoFulfillment
from voice.handoff.escalation import EscalationPolicy
from voice.handoff.policy import BusySpec, HoursSpec, PolicySpec
from voice.intents.loader import load_intents
from voice.intents.matcher import Matcher
from voice.text import prompts

INTENTS = load_intents(Path(__file__).resolve().parents[2] / "intents")
SUNDAY_NOON = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # 12:00 in New York


def engine(spec: PolicySpec, *, agent_available: bool = True) -> DialogEngine:
    policy = EscalationPolicy(spec, clock=lambda: SUNDAY_NOON)
    return DialogEngine(
        INTENTS,
        Matcher(INTENTS),
        DemoFulfillment(),
        DialogSettings(agent_available=agent_available),
        policy,
    )


def test_by_default_the_caller_hears_the_lines_are_busy_and_goes_to_a_person() -> None:
    state = CallState()
    decision = engine(PolicySpec(priorities={LINES_BUSY: "high"})).turn_away(state)
    assert decision.action is Action.TRANSFER
    assert decision.say == (BusySpec().say, prompts.CONNECTING)
    assert (decision.reason, decision.priority) == (LINES_BUSY, "high")
    assert state.phase is Phase.TRANSFERRING


def test_the_policy_can_send_busy_calls_to_a_voicemail() -> None:
    state = CallState()
    spec = PolicySpec(busy=BusySpec(action="voicemail", say="Sorry, we're very busy."))
    decision = engine(spec).turn_away(state)
    assert decision.action is Action.VOICEMAIL
    assert decision.say == ("Sorry, we're very busy.", prompts.LEAVE_MESSAGE)
    assert decision.reason == LINES_BUSY
    assert state.phase is Phase.VOICEMAIL


def test_with_nobody_to_take_calls_or_out_of_hours_it_is_a_voicemail() -> None:
    nobody = engine(PolicySpec(), agent_available=False).turn_away(CallState())
    assert nobody.action is Action.VOICEMAIL
    assert nobody.say == (BusySpec().say, prompts.LEAVE_MESSAGE)  # "busy" says why once
    closed_on_sunday = PolicySpec(
        hours=HoursSpec(timezone="America/New_York", open={"mon-fri": "08:00-20:00"})
    )
    closed = engine(closed_on_sunday).turn_away(CallState())
    assert closed.action is Action.VOICEMAIL
    assert closed.details["outcome"] == "after_hours"
