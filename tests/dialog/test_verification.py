"""Caller verification in the dialog core: account data only for a caller who showed two
factors (attested number, PIN, texted code), with the real starter intents and demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice.dialog.engine import DialogEngine
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Caller, CallerInput, Decision, InputKind
from voice.dialog.verification import ATTESTED, Verifier, declines
from voice.dialog.view import DialogSettings
from voice.fulfillment.base import UNVERIFIED, Credentials, LookupResult, Verification
from voice.fulfillment.demo import DemoFulfillment
from voice.fulfillment.pins import check_pin, hash_pin
from voice.intents.loader import load_intents
from voice.intents.matcher import Matcher
from voice.text import prompts

INTENTS = load_intents(Path(__file__).resolve().parents[2] / "intents")
CALLER = Caller(number="+15005550006")  # demo PIN 2468
BALANCE = "forty two dollars and fifteen cents"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Recording(DemoFulfillment):
    """The demo data, noting what each lookup was told of the caller."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[Verification] = []

    def lookup(
        self,
        name: str,
        slots: dict[str, str],
        caller_number: str,
        verification: Verification = UNVERIFIED,
    ) -> LookupResult:
        self.told.append(verification)
        return super().lookup(name, slots, caller_number, verification)


class Line:
    """One call with the engine: the caller's turns in, the bot's decisions out."""

    def __init__(self, *, attested: bool, can_text: bool = True) -> None:
        self.clock = Clock()
        self.backend = Recording()
        self.bot = DialogEngine(
            INTENTS,
            Matcher(INTENTS),
            self.backend,
            DialogSettings(),
            verifier=Verifier(key=b"k" * 32, clock=self.clock, can_text=can_text),
        )
        self.state = CallState()
        self.bot.verifier.attested(self.state, passed=attested)
        self.bot.greet(self.state)

    def say(self, text: str) -> Decision:
        turn = CallerInput(kind=InputKind.SPEECH, text=text, confidence=0.9)
        return self.bot.handle(self.state, turn, CALLER)

    def keys(self, digits: str) -> Decision:
        return self.bot.handle(self.state, CallerInput(kind=InputKind.DTMF, digits=digits), CALLER)

    def texted_code(self) -> str:
        """What the call service does for ``send_code_to``: a code, its hash in the state."""
        return self.bot.verifier.issue_code(self.state, self.bot.policy.spec.verification)


def test_an_attested_caller_with_the_right_pin_hears_the_balance() -> None:
    line = Line(attested=True)
    asked = line.say("what's my balance")
    assert asked.say == (prompts.ASK_PIN,)
    assert asked.expecting == "pin"
    assert line.state.to_dict()["phase"] == "verifying"
    assert BALANCE not in asked.text
    answered = line.keys("2468#")
    assert answered.say[0] == prompts.VERIFIED
    assert BALANCE in answered.text
    assert answered.intent == "check_balance"
    assert answered.details["verification"] == "pin:passed"
    assert line.backend.told == [Verification("verified", ("attested", "pin"))]
    assert line.state.phase is Phase.ANYTHING_ELSE


def test_the_pin_may_be_spoken() -> None:
    line = Line(attested=True)
    line.say("how much do I owe")
    assert BALANCE in line.say("it's two four six eight").text


def test_an_unattested_caller_needs_a_texted_code_after_the_pin() -> None:
    line = Line(attested=False)
    line.say("what's my balance")
    second = line.keys("2468")
    assert second.say == (prompts.VERIFY_NEXT, prompts.SENT_CODE)
    assert second.details["send_code_to"] == CALLER.number
    assert second.details["verification"] == "pin:passed,sms_code:asked"
    assert BALANCE not in second.text
    code = line.texted_code()
    assert code not in str(line.state.to_dict())  # only its keyed hash is kept
    answered = line.keys(code)
    assert BALANCE in answered.text
    assert line.backend.told[-1].factors == ("pin", "sms_code")


def test_a_spoofed_caller_who_gives_nothing_more_never_hears_the_balance() -> None:
    guessing = Line(attested=False)
    said = [guessing.say("what's my balance")]
    said += [guessing.keys(pin) for pin in ("1234", "0000", "9999")]
    assert said[-1].action is Action.TRANSFER
    assert said[-1].reason == "verification_failed"
    declining = Line(attested=False)
    said += [declining.say("what's my balance"), declining.say("I don't know it")]
    assert said[-1].reason == "verification_unavailable"  # a texted code alone is one factor
    assert all(BALANCE not in d.text for d in said)
    assert guessing.backend.told == declining.backend.told == []  # never asked for the data


def test_three_wrong_pins_hand_over_for_verification_failed() -> None:
    line = Line(attested=True)
    line.say("what's my balance")
    first, second = line.keys("1111#"), line.keys("2222#")
    assert first.say == (prompts.VERIFY_WRONG, prompts.ASK_PIN)
    assert second.action is Action.LISTEN
    third = line.keys("3333#")
    assert third.action is Action.TRANSFER
    assert third.reason == "verification_failed"
    assert third.say[0] == prompts.VERIFY_FAILED
    assert BALANCE not in " ".join(d.text for d in (first, second, third))
    assert [d.details["verification"] for d in (first, second, third)] == ["pin:failed"] * 3


def test_no_way_to_two_factors_hands_over_at_once() -> None:
    line = Line(attested=False, can_text=False)  # no SMS sender configured
    decision = line.say("what's my balance")
    assert decision.action is Action.TRANSFER
    assert decision.reason == "verification_unavailable"
    assert decision.say[0] == prompts.CANNOT_VERIFY


def test_a_forgotten_pin_is_replaced_by_a_texted_code_for_an_attested_caller() -> None:
    line = Line(attested=True)
    line.say("what's my balance")
    decision = line.say("I forgot my PIN")
    assert decision.say == (prompts.SENT_CODE,)
    assert decision.details["verification"] == "pin:declined,sms_code:asked"
    assert BALANCE in line.keys(line.texted_code()).text


def test_a_code_that_could_not_be_sent_is_void_and_the_caller_goes_on() -> None:
    # Unattested, right PIN, then Twilio refused the text: no second factor is left, so a
    # person, told why; the code asked for can no longer be used.
    line = Line(attested=False)
    line.say("what's my balance")
    line.keys("2468")
    line.texted_code()  # issued, then Twilio refused the text
    decision = line.bot.code_not_sent(line.state, CALLER)
    assert decision.say[:2] == (prompts.CODE_NOT_SENT, prompts.CANNOT_VERIFY)
    assert decision.action is Action.TRANSFER
    assert decision.reason == "verification_unavailable"
    assert "code" not in line.state.verification
    assert BALANCE not in decision.text


def test_an_attested_caller_without_pin_whose_code_could_not_be_sent_gets_a_person() -> None:
    line = Line(attested=True)
    line.say("what's my balance")
    line.say("I don't have my PIN")  # a code is texted instead...
    decision = line.bot.code_not_sent(line.state, CALLER)  # ...but Twilio refused it
    assert decision.say[0] == prompts.CODE_NOT_SENT
    assert decision.action is Action.TRANSFER  # the PIN was declined: nothing is left
    assert decision.reason == "verification_unavailable"


def test_a_texted_code_works_once_and_expires() -> None:
    line = Line(attested=True)
    line.say("what's my balance")
    line.say("I don't have my PIN")
    code = line.texted_code()
    line.clock.now += 5 * 60 + 1
    expired = line.keys(code)
    assert expired.say == (prompts.CODE_EXPIRED, prompts.SENT_CODE)
    assert expired.details == {"verification": "sms_code:expired", "send_code_to": CALLER.number}
    fresh = line.texted_code()
    assert BALANCE in line.keys(fresh).text
    assert "code" not in line.state.verification  # used: gone


def test_zero_alone_still_reaches_a_person_but_starts_a_pin_too() -> None:
    line = Line(attested=True)
    line.say("what's my balance")
    assert line.keys("0#").reason == "keypad_0"
    other = Line(attested=True)
    other.say("what's my balance")
    assert other.keys("02468").say[0] == prompts.VERIFY_WRONG  # a PIN may start with 0


def test_a_new_request_while_verifying_is_heard_as_one() -> None:
    line = Line(attested=True)
    line.say("what's my balance")
    decision = line.say("actually, what are your opening hours")
    assert decision.intent == "business_hours"
    assert line.state.phase is Phase.ANYTHING_ELSE


def test_once_verified_the_call_stays_verified() -> None:
    line = Line(attested=True)
    line.say("what's my balance")
    line.keys("2468")
    again = line.say("what's my balance again")
    assert BALANCE in again.text
    assert prompts.ASK_PIN not in again.say


def test_silence_and_mumbling_ask_for_the_digits_again() -> None:
    line = Line(attested=True)
    line.say("what's my balance")
    quiet = line.bot.handle(line.state, CallerInput(kind=InputKind.SILENCE), CALLER)
    assert quiet.say == (prompts.STILL_THERE, prompts.CODE_AGAIN)
    assert quiet.expecting == "pin"
    assert line.say("hmm let me see").say == (prompts.CODE_AGAIN,)


def test_a_caller_without_an_account_hears_not_found() -> None:
    line = Line(attested=True)
    decision = line.bot.handle(
        line.state,
        CallerInput(kind=InputKind.SPEECH, text="what's my balance", confidence=0.9),
        Caller(number="+15550001111"),
    )
    assert "couldn't find an account" in decision.text
    assert line.backend.told == []


def test_routine_intents_need_no_verification() -> None:
    line = Line(attested=False)
    assert "Order four five seven one two shipped" in line.say("where is my order 45712").text
    assert line.backend.told == [Verification("caller_id", ())]


def test_the_demo_backend_refuses_account_data_below_verified() -> None:
    with pytest.raises(PermissionError):
        DemoFulfillment().lookup("account_balance", {}, CALLER.number)


@pytest.mark.parametrize(
    ("text", "declined"),
    [
        ("I don't know my PIN", True),
        ("I forgot it", True),
        ("I never got a text", True),
        ("I didn't receive the code", True),
        ("two four six eight", False),
        ("yes hold on", False),
    ],
)
def test_declines(text: str, declined: bool) -> None:
    assert declines(text) is declined


def test_pin_hashes_check_in_constant_time_and_refuse_malformed_ones() -> None:
    stored = hash_pin("0042", iterations=1_000)
    assert check_pin("0042", stored)
    assert not check_pin("42", stored)
    assert not check_pin("0042", stored.replace("$1000$", "$999$"))  # too weak
    assert not check_pin("0042", "plain:0042")
    assert not check_pin("0042", "pbkdf2_sha256$1000$!!$??")


def test_only_attestation_a_counts() -> None:
    assert ATTESTED == "TN-Validation-Passed-A"
    state = CallState()
    Verifier().attested(state, passed=False)
    assert Verifier().verification(state, CALLER) == Verification("caller_id", ())
    assert Credentials() == Credentials(pin_hash=None, sms_number=None)


def test_the_summary_says_how_the_caller_was_verified() -> None:
    from voice.handoff.summary import verified_words

    line = Line(attested=True)
    line.say("what's my balance")
    line.keys("2468")
    assert verified_words(line.state.verification) == "PIN and attested number, 08:00 UTC"
    assert verified_words({"factors": {"attested": "2027-01-15T08:00:00+00:00"}}) == ""
