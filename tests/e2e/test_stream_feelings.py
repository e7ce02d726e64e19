"""How the caller feels, over the live path: a real server, a fake Twilio Media Streams peer
playing caller speech in real time, the real Whisper, Silero, sentence model and Piper."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import AGENT, make_settings
from tests.e2e.stream_line import StreamLine, call_params, stream_line
from tests.e2e.test_stream_calls import bot_turns, caller_turns
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice

ANGRY_OPENING = "This is the third time I am calling and I am losing my patience."


@pytest.fixture
async def line(
    tmp_path: Path, shared_data: Path, engines: Engines, caller_voice: CallerVoice
) -> AsyncIterator[StreamLine]:
    settings = make_settings(
        shared_data, database_url=f"sqlite:///{tmp_path / 'voice.db'}", voice_mode="stream"
    )
    async with stream_line(settings, engines, caller_voice) as opened:
        yield opened


async def test_an_angry_opening_reaches_a_person_in_the_first_turn(line: StreamLine) -> None:
    sid = "CA" + "e" * 32
    async with line.caller(sid) as caller:
        await line.ask(caller, ANGRY_OPENING)
        await caller.wait_closed(timeout=30)  # handed over: the stream is handed back
    record = await line.wait_for_turns(sid, 3)
    heard = caller_turns(record)
    assert len(heard) == 1  # the first turn, not after a menu
    assert "patience" in heard[0]["text"].lower()
    reply = bot_turns(record)[1]
    assert reply["kind"] == "transfer"
    assert reply["text"].startswith("I'm sorry, I can hear this has been really frustrating.")
    escalation = record["escalations"][0]
    assert escalation["reason"] == "feeling:angry"
    assert escalation["priority"] == "high"
    summary = escalation["detail"]["summary"]
    assert summary["feeling"]["level"] == "angry"
    assert "third call" in summary["feeling"]["why"]
    assert summary["spoken"].startswith("The caller, ending zero zero zero six, sounded angry")
    assert "third call" in summary["spoken"]
    assert record["state"]["feelings"][0]["level"] == "angry"
    after = await line.post("/twilio/stream-ended", call_params(sid))
    number = ET.fromstring(after.text).find("Dial/Number")
    assert number is not None and number.text == AGENT


async def test_a_routine_request_with_negative_words_is_just_answered(line: StreamLine) -> None:
    sid = "CA" + "f" * 32
    async with line.caller(sid) as caller:
        await line.ask(caller, "My card was charged twice, can you check my bill?")
        await caller.wait_until_quiet(0.8, timeout=30)
    record = await line.wait_for_turns(sid, 3)
    assert record["escalations"] == []
    assert record["state"]["feelings"][0]["level"] == "neutral"
    assert bot_turns(record)[1]["kind"] == "listen"


async def test_talking_over_the_bot_in_anger_is_part_of_the_feeling(line: StreamLine) -> None:
    sid = "CA" + "9" * 32
    async with line.caller(sid) as caller:
        await line.ask(caller, "How do I get a refund?")
        await asyncio.sleep(1.0)  # the answer is playing
        await caller.play(await line.speech("No, stop, this is ridiculous."))
        await caller.wait_closed(timeout=30)
    record = await line.wait_for_turns(sid, 5)
    assert bot_turns(record)[1]["timings"].get("interrupted") == 1.0
    feeling = record["state"]["feelings"][-1]
    assert feeling["level"] == "angry"
    assert "talked over the bot" in feeling["why"]
    assert record["escalations"][0]["reason"] == "feeling:angry"
