"""The policy file and the escalation decisions the dialog makes with it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from voice.dialog.engine import DialogEngine
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Caller, CallerInput, Decision, InputKind
from voice.dialog.view import DialogSettings
from voice.errors import IntentFileError
from voice.fulfillment.demo import DemoFulfillment
from voice.handoff.escalation import FRUSTRATED_LEAD, URGENT_LEAD, EscalationPolicy
from voice.handoff.policy import FeelingRule, PolicySpec
from voice.intents.loader import load_intents
from voice.intents.matcher import Matcher
from voice.pack.policy import load_policy
from voice.text import prompts

ROOT = Path(__file__).resolve().parents[2]
INTENTS = load_intents(ROOT / "intents")
POLICY = load_policy(ROOT / "intents" / "policy.yaml", INTENTS)
MONDAY_10AM_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SUNDAY_NOON_NY = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)


def engine(spec: PolicySpec = POLICY, at: datetime = MONDAY_10AM_NY) -> DialogEngine:
    policy = EscalationPolicy(spec, clock=lambda: at)
    return DialogEngine(INTENTS, Matcher(INTENTS), DemoFulfillment(), DialogSettings(), policy)


def talk(bot: DialogEngine, *texts: str) -> tuple[CallState, list[Decision]]:
    state = CallState()
    bot.greet(state)
    decisions = []
    for text in texts:
        turn = CallerInput(kind=InputKind.SPEECH, text=text, confidence=0.9)
        decisions.append(bot.handle(state, turn, Caller("+15005550006")))
        if state.phase is not Phase.LISTENING and state.phase is not Phase.ANYTHING_ELSE:
            break
    return state, decisions


def test_the_shipped_policy_loads() -> None:
    assert POLICY.caller_request.intents == ["speak_to_agent"]
    assert {t.topic for t in POLICY.sensitive_topics} >= {"fraud", "legal", "emergency"}
    assert POLICY.hours is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"always_human": ["refunds"]}, "'refunds' is not an intent"),
        ({"frustration": {"threshold": 2}}, "frustration.threshold"),
        ({"hours": {"timezone": "Mars/Olympus", "open": {"mon": "09:00-17:00"}}}, "hours"),
        ({"hours": {"timezone": "UTC", "open": {"mon": "22:00-02:00"}}}, "hours"),
        ({"escalate_on": "anger"}, "unknown key 'escalate_on'"),
    ],
)
def test_bad_policy_files_name_the_line(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = yaml.safe_load((ROOT / "intents" / "policy.yaml").read_text())
    data.update(change)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(IntentFileError) as err:
        load_policy(path, INTENTS)
    assert message in str(err.value)
    assert str(path) + ":" in str(err.value)


@pytest.mark.parametrize(
    ("words", "reason", "priority", "lead"),
    [
        (
            "Someone stole my card and made charges I didn't make",
            "sensitive:fraud",
            "urgent",
            URGENT_LEAD,
        ),
        ("I think my account was hacked", "sensitive:fraud", "urgent", URGENT_LEAD),
        (
            "There's a gas leak in my building",
            "sensitive:emergency",
            "urgent",
            "If anyone is in immediate danger",
        ),
        ("I'm going to talk to my lawyer about this", "sensitive:legal", "high", URGENT_LEAD),
        ("My data was leaked in your breach", "sensitive:data_leak", "urgent", URGENT_LEAD),
    ],
)
def test_sensitive_topics_go_to_a_person_at_once(
    words: str, reason: str, priority: str, lead: str
) -> None:
    _, decisions = talk(engine(), words)
    decision = decisions[0]
    assert decision.action is Action.TRANSFER
    assert decision.reason == reason
    assert decision.priority == priority
    assert decision.say[0].startswith(lead)
    assert decision.evidence  # the words behind the decision are kept for the audit


def test_a_clearly_angry_turn_goes_to_a_person_at_once_with_an_empathetic_line() -> None:
    state, decisions = talk(
        engine(), "this is the third time I am calling and I am losing my patience"
    )
    decision = decisions[0]
    assert decision.action is Action.TRANSFER
    assert decision.reason == "feeling:angry"
    assert decision.priority == "high"
    assert decision.say[0] == POLICY.feelings.angry.say
    assert state.feelings[-1]["level"] == "angry"
    assert "third call" in state.feelings[-1]["why"]


def test_an_upset_caller_is_answered_and_offered_a_person_once() -> None:
    state, decisions = talk(
        engine(),
        "I'm not happy, I'm rather disappointed with my bill",
        "I'm disappointed, what are your opening hours",
    )
    first, second = decisions
    assert first.action is Action.LISTEN and second.action is Action.LISTEN
    assert first.say[0] == POLICY.feelings.upset.say
    assert POLICY.feelings.upset.say not in second.say  # offered once a call
    assert state.person_offered


def test_the_policy_file_decides_what_a_level_does() -> None:
    calm = POLICY.feelings.model_copy(update={"angry": FeelingRule(action="none")})
    spec = POLICY.model_copy(update={"feelings": calm})
    _, decisions = talk(engine(spec), "I am furious about my bill")
    assert decisions[0].action is Action.LISTEN


def test_frustration_builds_up_over_turns_then_hands_over() -> None:
    # With angry turns not handed over at once, the trend across turns still is.
    calm = POLICY.feelings.model_copy(
        update={"angry": FeelingRule(action="none"), "upset": FeelingRule(action="none")}
    )
    _, decisions = talk(
        engine(POLICY.model_copy(update={"feelings": calm})),
        "I want to know about the thing on my account",
        "no, no, that's not what I asked",
        "this is ridiculous, you're not understanding me",
        "I already told you, this is useless",
    )
    final = decisions[-1]
    assert final.action is Action.TRANSFER
    assert final.reason == "frustration"
    assert final.priority == "high"
    assert final.say[0] == FRUSTRATED_LEAD
    assert all(d.action is Action.LISTEN for d in decisions[:-1])


def test_calm_callers_are_not_handed_over() -> None:
    state, decisions = talk(engine(), "what are your opening hours", "no thanks")
    assert [d.action for d in decisions] == [Action.LISTEN, Action.HANGUP]
    assert max(state.sentiment) < 0.3


def test_always_human_intents() -> None:
    spec = POLICY.model_copy(update={"always_human": ["refund_request"]})
    _, decisions = talk(engine(spec), "I'd like a refund for my jacket")
    assert decisions[0].action is Action.TRANSFER
    assert decisions[0].reason == "always_human:refund_request"


def test_after_hours_a_hand_over_is_a_voicemail_with_a_callback() -> None:
    state, decisions = talk(engine(at=SUNDAY_NOON_NY), "can I speak to a person please")
    decision = decisions[0]
    assert decision.action is Action.VOICEMAIL
    assert decision.details["outcome"] == "after_hours"
    assert prompts.CLOSED.format(when="tomorrow at 8 AM") in decision.say
    assert state.phase is Phase.VOICEMAIL


def test_within_hours_the_same_request_rings_an_agent() -> None:
    _, decisions = talk(engine(at=MONDAY_10AM_NY), "can I speak to a person please")
    assert decisions[0].action is Action.TRANSFER
    assert decisions[0].details["outcome"] == "transfer"
