"""Whole calls through signed webhooks, real Whisper and Piper, phone-quality caller audio."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AGENT, Line, make_settings, open_line
from tests.pg import reset_schema
from voice.engines import Engines
from voice.intents.loader import load_intents
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.simulator.script import Keys, Say, Silence, Step, Tone
from voice.text import prompts
from voice.text.normalise import normalise

ROOT = Path(__file__).resolve().parents[2]


def caller_turns(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in record["turns"] if t["speaker"] == "caller"]


def bot_text(record: dict[str, Any]) -> str:
    return " ".join(t["text"] for t in record["turns"] if t["speaker"] == "bot")


async def test_reset_password_then_goodbye(line: Line) -> None:
    result, record = await line.run([Say("Hi, I forgot my password."), Say("No thanks.")])
    turns = caller_turns(record)
    assert [t["intent"] for t in turns] == ["reset_password", None]
    assert "password" in turns[0]["text"].lower()
    assert prompts.GOODBYE in bot_text(record)
    assert result.hung_up_by == "service"
    assert record["status"] == "completed"
    # every reply was real audio fetched from the service, none fell back to <Say>
    assert result.played and not result.said
    for stage in ("download_ms", "stt_ms", "match_ms"):
        assert turns[0]["timings"][stage] >= 0


# Wordings written for this test, not taken from the intent files (checked below).
UNSEEN = {
    "reset_password": "I can't remember the password for my account, can you help me change it",
    "track_order": "I'm wondering what happened to the package I ordered last week",
    "check_balance": "How much money do I currently owe on my account",
    "billing_question": "There's a charge on my bill that I don't recognise",
    "refund_request": "I would like my money back for the jacket I returned",
    "report_outage": "My internet has been down since this morning",
    "business_hours": "What time do you close on Saturday",
    "speak_to_agent": "Can I please talk to an actual human being",
}


def test_unseen_wordings_are_not_examples() -> None:
    intents = load_intents(ROOT / "intents")
    for name, text in UNSEEN.items():
        examples = {normalise(e) for e in intents.intents[name].examples}
        assert normalise(text) not in examples, name


@pytest.mark.parametrize("intent", sorted(UNSEEN))
async def test_every_starter_intent_by_voice(line: Line, intent: str) -> None:
    _, record = await line.run([Say(UNSEEN[intent])])
    first = caller_turns(record)[0]
    assert first["intent"] == intent, first
    assert first["confidence"] > 0


async def test_order_number_in_the_same_sentence(line: Line) -> None:
    _, record = await line.run([Say("Where is my order four five seven one two?"), Say("No.")])
    assert caller_turns(record)[0]["intent"] == "track_order"
    text = bot_text(record)
    assert "Order four five seven one two shipped" in text


async def test_order_number_asked_for_and_said(line: Line) -> None:
    _, record = await line.run(
        [Say("I want to check on my order."), Say("It's one zero two three four."), Say("No.")]
    )
    text = bot_text(record)
    assert "What's your order number?" in text
    assert "Order one zero two three four is being prepared" in text


async def test_order_number_by_keypad(line: Line) -> None:
    result, record = await line.run(
        [Say("Track my order please."), Keys("88120#"), Say("No thanks.")]
    )
    assert "Gather" in result.verbs()
    assert "Order eight eight one two zero was delivered" in bot_text(record)
    dtmf = [t for t in caller_turns(record) if t["kind"] == "dtmf"]
    assert dtmf and dtmf[0]["text"] == "88120"


async def test_unknown_order_number_is_asked_again(line: Line) -> None:
    _, record = await line.run(
        [Say("Where is my package?"), Keys("99999#"), Keys("45712#"), Say("No.")]
    )
    text = bot_text(record)
    assert "I couldn't find an order with the number nine nine nine nine nine" in text
    assert "Order four five seven one two shipped" in text


async def test_speak_to_agent_transfers_to_the_agent(line: Line) -> None:
    result, record = await line.run([Say("I want to speak to a person.")])
    assert result.dialed == [AGENT]
    assert prompts.CONNECTING in bot_text(record)
    [transfer] = record["transfers"]
    assert transfer["reason"] == "caller_request"
    assert transfer["status"] == "completed"
    assert result.hung_up_by == "service"


async def test_keypad_zero_transfers_at_any_time(line: Line) -> None:
    result, record = await line.run([Keys("0")])
    assert result.dialed == [AGENT]
    assert record["transfers"][0]["reason"] == "keypad_0"


async def test_keypad_zero_while_asked_for_an_order_number(line: Line) -> None:
    result, record = await line.run([Say("Where is my order?"), Keys("0")])
    assert result.dialed == [AGENT]
    assert record["transfers"][0]["reason"] == "keypad_0"


async def test_agent_no_answer_takes_a_voicemail(line: Line) -> None:
    _result, record = await line.run(
        [Say("Let me talk to someone."), Say("Please call me back about my bill.")],
        agent="no-answer",
        queue="leave",
    )
    assert prompts.VOICEMAIL_AFTER_DIAL in bot_text(record)
    [voicemail] = record["voicemails"]
    assert "bill" in voicemail["transcript"].lower()
    assert record["transfers"][0]["status"] == "no-answer"
    assert prompts.VOICEMAIL_SAVED in bot_text(record)


async def test_busy_agent_also_takes_a_voicemail(line: Line) -> None:
    _, record = await line.run(
        [Keys("0"), Say("Call me back please.")], agent="busy", queue="leave"
    )
    assert record["transfers"][0]["status"] == "busy"
    assert len(record["voicemails"]) == 1


async def test_without_agent_number_the_caller_leaves_a_voicemail(
    tmp_path: Path, engines: Engines, recordings: RecordingHost, caller_voice: CallerVoice
) -> None:
    settings = make_settings(tmp_path, agent_number=None)
    async with open_line(settings, engines, recordings, caller_voice) as line:
        result, record = await line.run(
            [Say("Can I speak to a human please?"), Say("My name is Dana, my router is broken.")]
        )
    assert not result.dialed
    assert prompts.VOICEMAIL_NO_AGENT in bot_text(record)
    assert "router" in record["voicemails"][0]["transcript"].lower()
    assert record["transfers"][0]["status"] == "voicemail"


async def test_silence_and_tone_get_a_quick_reprompt(line: Line) -> None:
    _, record = await line.run([Silence(), Tone(), Say("What are your opening hours?")])
    kinds = [t["kind"] for t in caller_turns(record)]
    assert kinds == ["silence", "silence", "speech"]
    assert bot_text(record).count(prompts.STILL_THERE) == 2
    assert caller_turns(record)[1]["text"] == ""  # no hallucinated words for the tone
    assert caller_turns(record)[2]["intent"] == "business_hours"


async def test_repeated_no_match_transfers(line: Line) -> None:
    result, record = await line.run(
        [
            Say("Can you recommend a good pizza place?"),
            Say("What is the weather like tomorrow?"),
            Say("Sing me a song about elephants."),
        ]
    )
    assert [t["intent"] for t in caller_turns(record)] == [None, None, None]
    assert "Sorry, I didn't quite get that." in bot_text(record)
    assert record["transfers"][0]["reason"] == "repeated_no_match"
    assert result.dialed == [AGENT]


async def test_check_balance_for_an_attested_caller_with_the_pin(line: Line) -> None:
    """Account data only once verified: the attested number plus the PIN on the keypad.
    The PIN is checked, never stored: the turn says ``[code]``."""
    steps: list[Step] = [Say("What's my balance?"), Keys("2468#"), Say("That's all, thanks.")]
    _, record = await line.run(steps)
    assert "enter your PIN" in bot_text(record)
    assert "forty two dollars and fifteen cents" in bot_text(record)
    assert "2468" not in json.dumps(record)
    assert [t["text"] for t in caller_turns(record)][1] == "[code]"
    steps_seen = [(v["factor"], v["outcome"]) for v in record["verifications"]]
    assert steps_seen == [("attested", "passed"), ("pin", "asked"), ("pin", "passed")]


async def test_a_spoofed_number_never_hears_the_balance(line: Line) -> None:
    """No attestation: even the right PIN is one factor; with no text-message sender set
    up there is no second, so a person takes over and the balance is never read."""
    steps: list[Step] = [Say("What's my balance?")]
    _, record = await line.run(steps, attestation="TN-Validation-Failed")
    assert "forty two dollars" not in bot_text(record)
    assert record["transfers"][0]["reason"] == "verification_unavailable"


async def test_three_wrong_pins_hand_over(line: Line) -> None:
    steps: list[Step] = [Say("What's my balance?"), *(Keys(f"{d * 4}#") for d in "123")]
    result, record = await line.run(steps)
    assert "forty two dollars" not in bot_text(record)
    assert record["transfers"][0]["reason"] == "verification_failed"
    assert result.dialed == [AGENT]
    stored = json.dumps(record)
    pins = ("1111", "2222", "3333")  # as whole numbers: the account SID is AC1111...
    assert [pin for pin in pins if re.search(rf"(?<![0-9A-Z]){pin}(?![0-9])", stored)] == []


async def test_check_balance_for_an_unknown_caller(line: Line) -> None:
    """No account for the number: nothing to verify, the bot says so."""
    _, record = await line.run([Say("What's my balance?")], from_number="+15550001111")
    assert "I couldn't find an account linked to the number" in bot_text(record)


async def test_a_whole_call_on_postgresql(
    tmp_path: Path,
    pg_url: str,
    engines: Engines,
    recordings: RecordingHost,
    caller_voice: CallerVoice,
) -> None:
    reset_schema(pg_url)
    settings = make_settings(tmp_path, database_url=pg_url)
    async with open_line(settings, engines, recordings, caller_voice) as line:
        _, record = await line.run([Say("Where is my order?"), Keys("45712#"), Say("No.")])
        listed = await line.client.get(
            "/api/calls", headers={"Authorization": "Bearer test-admin-token"}
        )
    assert "Order four five seven one two shipped" in bot_text(record)
    assert record["status"] == "completed"
    assert [c["call_sid"] for c in listed.json()["calls"]] == [record["call_sid"]]


async def test_fraud_goes_to_a_person_at_once_with_an_audit_record(line: Line) -> None:
    result, record = await line.run([Say("Someone stole my credit card and made charges.")])
    assert result.dialed == [AGENT]
    [escalation] = record["escalations"]
    assert escalation["reason"] == "sensitive:fraud"
    assert escalation["priority"] == "urgent"
    assert escalation["outcome"] == "transfer"
    summary = escalation["detail"]["summary"]
    assert summary["spoken"].startswith("Urgent. The caller")
    assert "fraud" in summary["spoken"]


async def test_card_numbers_are_redacted_when_stored(line: Line) -> None:
    _, record = await line.run(
        [Say("My card number is 4111 1111 1111 1111."), Say("Can I talk to a person?")]
    )
    stored = " ".join(t["text"] for t in record["turns"])
    assert "[card]" in stored
    assert "1111" not in stored
    spoken = record["escalations"][0]["detail"]["summary"]["spoken"]
    assert "1111" not in spoken


async def test_a_number_that_keeps_guessing_is_refused_the_pin(line: Line) -> None:
    """Six wrong PINs from one number in a day, over two calls: the third call is not
    asked for a PIN at all (with no text sender, a person takes over)."""
    guesses: list[Step] = [Say("What's my balance?"), *(Keys(f"{d * 4}#") for d in "135")]
    for _ in range(2):
        _, record = await line.run(guesses)
        assert record["transfers"][0]["reason"] == "verification_failed"
    _, record = await line.run([Say("What's my balance?")])
    assert "enter your PIN" not in bot_text(record)
    assert record["transfers"][0]["reason"] == "verification_unavailable"
    _, other = await line.run([Say("What's my balance?")], from_number="+14155550123")
    assert "enter your PIN" in bot_text(other)  # another number is not affected
