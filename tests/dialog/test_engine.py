"""The dialog core on its own: turns in, decisions out, with the real starter intents."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice.dialog.engine import DialogEngine
from voice.dialog.state import CallState, IllegalTransition, Phase
from voice.dialog.turns import Action, Caller, CallerInput, Decision, InputKind
from voice.dialog.view import DialogSettings
from voice.fulfillment.base import UNVERIFIED, LookupResult, Verification
from voice.fulfillment.demo import DemoFulfillment
from voice.intents.loader import load_intents
from voice.intents.matcher import Matcher
from voice.text import prompts

INTENTS = load_intents(Path(__file__).resolve().parents[2] / "intents")
CALLER = Caller(number="+15005550006")


def engine(**settings: object) -> DialogEngine:
    return DialogEngine(
        INTENTS,
        Matcher(INTENTS),
        DemoFulfillment(),
        DialogSettings(**settings),  # type: ignore[arg-type]
    )


def speech(text: str) -> CallerInput:
    return CallerInput(kind=InputKind.SPEECH, text=text, confidence=0.9)


def keys(digits: str) -> CallerInput:
    return CallerInput(kind=InputKind.DTMF, digits=digits)


SILENCE = CallerInput(kind=InputKind.SILENCE)
UNCLEAR = CallerInput(kind=InputKind.UNCLEAR)


def converse(
    turns: list[CallerInput], *, attested: bool = False, **settings: object
) -> tuple[CallState, list[Decision]]:
    bot = engine(**settings)
    state = CallState()
    bot.verifier.attested(state, passed=attested)
    decisions = [bot.greet(state)]
    for turn in turns:
        decisions.append(bot.handle(state, turn, CALLER))
    return state, decisions


def test_greeting_is_short_and_offers_a_person() -> None:
    _, [greeting] = converse([])
    assert greeting.action is Action.LISTEN
    assert greeting.say[-1] == prompts.HOW_CAN_I_HELP
    assert "press 0" in greeting.text
    assert len(greeting.text.split()) < 30


def test_the_menu_comes_when_the_caller_seems_unsure() -> None:
    _, decisions = converse([SILENCE])
    assert "reset your password" in decisions[1].text
    assert "connect you to a person" in decisions[1].text


def test_answer_then_anything_else_then_goodbye() -> None:
    state, decisions = converse([speech("I forgot my password"), speech("no thanks")])
    assert decisions[1].intent == "reset_password"
    assert decisions[1].say[-1] == prompts.ANYTHING_ELSE
    assert decisions[2].action is Action.HANGUP
    assert decisions[2].say == (prompts.GOODBYE,)
    assert state.phase is Phase.ENDED


def test_yes_to_anything_else_asks_what() -> None:
    _, decisions = converse([speech("what are your opening hours"), speech("yes")])
    assert decisions[2].say == (prompts.WHAT_ELSE,)


def test_a_second_request_after_an_answer() -> None:
    turns = [speech("what are your opening hours"), speech("what's my balance")]
    _, decisions = converse([*turns, keys("2468#")], attested=True)
    assert decisions[2].intent == "check_balance"
    assert decisions[2].say == (prompts.ASK_PIN,)  # account data: the caller is verified first
    assert decisions[3].intent == "check_balance"
    assert "forty two dollars and fifteen cents" in decisions[3].text


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        ([speech("where is my order 45712")], "Order four five seven one two shipped"),
        ([speech("where is my order"), speech("it's 4 5 7 1 2")], "Order four five seven one two"),
        ([speech("where is my order"), keys("10234")], "Order one zero two three four is being"),
        ([speech("track my package"), speech("eight eight one two zero")], "was delivered"),
        ([speech("where is my order"), speech("seven oh oh oh seven")], "is delayed"),
    ],
)
def test_order_number_slot(turns: list[CallerInput], expected: str) -> None:
    _, decisions = converse(turns)
    assert expected in decisions[-1].text
    assert decisions[-1].say[-1] == prompts.ANYTHING_ELSE


def test_slot_prompt_expects_the_order_number() -> None:
    state, decisions = converse([speech("where is my order")])
    assert decisions[1].expecting == "order_number"
    assert state.phase is Phase.COLLECTING_SLOT


def test_slot_not_understood_twice_transfers() -> None:
    state, decisions = converse(
        [speech("where is my order"), speech("I don't know it"), speech("on the receipt")]
    )
    assert decisions[2].expecting == "order_number"
    assert decisions[3].action is Action.TRANSFER
    assert decisions[3].reason == "slot_not_understood"
    assert state.phase is Phase.TRANSFERRING


def test_changing_topic_while_asked_for_a_number() -> None:
    _, decisions = converse([speech("where is my order"), speech("actually what's my balance")])
    assert decisions[2].intent == "check_balance"


def test_no_while_asked_for_a_number_drops_the_question() -> None:
    state, decisions = converse([speech("where is my order"), speech("No.")])
    assert decisions[2].say == (prompts.ANYTHING_ELSE,)
    assert state.phase is Phase.ANYTHING_ELSE


@pytest.mark.parametrize(
    ("turns", "reason"),
    [
        ([speech("I want to talk to a person")], "caller_request"),
        ([keys("0")], "keypad_0"),
        ([speech("where is my order"), keys("0")], "keypad_0"),
        ([speech("pizza"), speech("weather tomorrow"), speech("sing a song")], "repeated_no_match"),
        ([SILENCE, SILENCE, SILENCE], "repeated_silence"),
        ([UNCLEAR, UNCLEAR, UNCLEAR], "unclear_audio"),
        ([speech("where is my order"), keys("11111"), keys("22222")], "slot_not_found"),
    ],
)
def test_reasons_to_hand_over(turns: list[CallerInput], reason: str) -> None:
    _, decisions = converse(turns)
    assert decisions[-1].action is Action.TRANSFER
    assert decisions[-1].reason == reason
    assert decisions[-1].say[-1] == prompts.CONNECTING
    assert all(d.action is Action.LISTEN for d in decisions[:-1])


def test_without_agents_a_hand_over_is_a_voicemail() -> None:
    state, decisions = converse([keys("0")], agent_available=False)
    assert decisions[-1].action is Action.VOICEMAIL
    assert decisions[-1].say == (prompts.VOICEMAIL_NO_AGENT,)
    assert state.phase is Phase.VOICEMAIL


def test_no_match_reprompt_says_what_the_line_can_do() -> None:
    _, decisions = converse([speech("can you recommend a pizza place")])
    assert decisions[1].intent is None
    assert decisions[1].text.startswith("Sorry, I didn't quite get that. I can")


def test_silence_reprompt_repeats_the_open_question() -> None:
    _, decisions = converse([speech("where is my order"), SILENCE])
    assert decisions[2].say[0] == prompts.STILL_THERE
    assert decisions[2].expecting == "order_number"


def test_a_good_turn_resets_the_miss_count() -> None:
    _, decisions = converse(
        [speech("pizza"), speech("weather"), speech("what are your hours"), speech("pizza")]
    )
    assert decisions[-1].action is Action.LISTEN


def test_unused_key_gets_a_hint() -> None:
    _, decisions = converse([keys("5")])
    assert decisions[1].say == (prompts.KEY_NOT_USED,)


def test_dial_failure_takes_a_voicemail_then_ends() -> None:
    bot = engine()
    state, _ = converse([keys("0")])
    decision = bot.transfer_failed(state)
    assert decision.action is Action.VOICEMAIL
    assert bot.voicemail_taken(state, empty=False).action is Action.HANGUP
    assert state.phase is Phase.ENDED


def test_failing_fulfillment_hands_over() -> None:
    class Broken(DemoFulfillment):
        def lookup(
            self,
            name: str,
            slots: dict[str, str],
            caller_number: str,
            verification: Verification = UNVERIFIED,
        ) -> LookupResult:
            raise ConnectionError("backend down")

    bot = DialogEngine(INTENTS, Matcher(INTENTS), Broken(), DialogSettings())
    state = CallState()
    bot.greet(state)
    decision = bot.handle(state, speech("where is my order 45712"), CALLER)
    assert decision.action is Action.TRANSFER
    assert decision.reason == "fulfillment_error"
    assert decision.say[0] == prompts.LOOKUP_FAILED


def test_state_round_trips_through_json_dicts() -> None:
    state, _ = converse([speech("where is my order")])
    assert CallState.from_dict(state.to_dict()) == state


def test_illegal_phase_change_raises() -> None:
    state = CallState(phase=Phase.ENDED)
    with pytest.raises(IllegalTransition):
        state.move_to(Phase.LISTENING)


def test_static_phrases_cover_the_greeting_and_prompts() -> None:
    phrases = engine().static_phrases()
    assert prompts.GOODBYE in phrases
    assert any("What's your order number?" in p for p in phrases)
