"""TwiML shapes for each decision, parsed as XML rather than compared as strings."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from voice.calls.speaker import Phrase, SpokenReply
from voice.dialog.turns import Action, Decision
from voice.wire.twiml import Twiml, TwimlSettings

BASE = "https://voice.example.test"


def build(action: Action, agent: str | None = "+14155550100", *, audio: bool = True) -> ET.Element:
    twiml = Twiml(TwimlSettings(base_url=BASE, agents=(agent,) if agent else ()))
    reply = SpokenReply(
        decision=Decision(say=("Hello.",), action=action),
        phrases=(Phrase("Hello.", "a" * 32 if audio else None),),
    )
    return ET.fromstring(twiml.reply(reply))


def test_listen_plays_then_records_then_redirects() -> None:
    root = build(Action.LISTEN)
    assert [el.tag for el in root] == ["Play", "Record", "Redirect"]
    assert root[0].text == f"{BASE}/audio/{'a' * 32}.wav"
    record = root[1]
    assert record.get("action") == f"{BASE}/twilio/turn"
    assert record.get("playBeep") == "false"
    assert record.get("finishOnKey") == "0123456789*#"
    assert int(record.get("timeout", "0")) <= 3
    assert int(record.get("maxLength", "0")) <= 60
    assert root[2].text == f"{BASE}/twilio/silence"


def test_transfer_dials_the_agent_with_an_action() -> None:
    root = build(Action.TRANSFER)
    assert [el.tag for el in root] == ["Play", "Dial"]
    dial = root[1]
    assert dial.get("action") == f"{BASE}/twilio/dial?agent=0"
    assert dial.get("answerOnBridge") == "true"
    assert dial[0].tag == "Number" and dial[0].text == "+14155550100"


@pytest.mark.parametrize("agent", ["sip:agent@pbx.example.com", "client:alice"])
def test_transfer_to_sip_or_client(agent: str) -> None:
    dial = build(Action.TRANSFER, agent)[1]
    assert dial[0].tag in ("Sip", "Client")


def test_transfer_without_agent_records_a_voicemail() -> None:
    root = build(Action.TRANSFER, None)
    assert [el.tag for el in root] == ["Play", "Record", "Redirect"]
    assert root[1].get("action") == f"{BASE}/twilio/voicemail"
    assert root[1].get("playBeep") == "true"


def test_hangup_and_say_fallback() -> None:
    root = build(Action.HANGUP, audio=False)
    assert [el.tag for el in root] == ["Say", "Hangup"]
    assert root[0].text == "Hello."


def test_collect_digits_keeps_the_first_key() -> None:
    twiml = Twiml(TwimlSettings(base_url=BASE))
    root = ET.fromstring(twiml.collect_digits("4"))
    gather = root[0]
    assert gather.tag == "Gather"
    assert gather.get("action") == f"{BASE}/twilio/keys?first=4"
    assert gather.get("input") == "dtmf"
    assert gather.get("finishOnKey") == "#"
    assert gather.get("actionOnEmptyResult") == "true"
