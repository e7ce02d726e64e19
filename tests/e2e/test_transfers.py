"""The warm transfer through Twilio's documented callbacks: the agent hears the summary and
accepts or passes, the next agent is tried, then the queue (urgent callers in their own
line, or a TaskRouter task), and finally a voicemail with a callback promise."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import AUTH_TOKEN, PUBLIC_URL, Line, make_settings, open_line
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.simulator.script import Keys, Say
from voice.text import prompts

AGENTS = ("+14155550101", "+14155550102")


@pytest.fixture
async def team(
    tmp_path: Path,
    shared_data: Path,
    engines: Engines,
    recordings: RecordingHost,
    caller_voice: CallerVoice,
) -> AsyncIterator[Line]:
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        agent_number=AGENTS[0],
        agent_numbers=AGENTS[1],
    )
    async with open_line(settings, engines, recordings, caller_voice) as line:
        yield line


def statuses(record: dict[str, object]) -> list[str]:
    transfers = record["transfers"]
    assert isinstance(transfers, list)
    return [t["status"] for t in transfers]


async def test_the_agent_hears_the_summary_and_accepts(team: Line) -> None:
    result, record = await team.run(
        [Say("Where is my order?"), Keys("45712#"), Say("I want to talk to a person.")]
    )
    assert result.dialed == [AGENTS[0]]
    assert result.whispers and result.whispers[0] >= 2  # the summary, then "press 1"
    assert statuses(record) == ["completed"]
    assert result.hung_up_by == "service"
    summary = record["escalations"][0]["detail"]["summary"]
    assert "order four five seven one two" in summary["spoken"]
    assert summary["intents"] == ["track_order"]
    assert summary["slots"] == {"order_number": "45712"}


async def test_a_declining_agent_passes_to_the_next(team: Line) -> None:
    result, record = await team.run([Keys("0")], agent=["decline", "completed"])
    assert result.dialed == list(AGENTS)
    assert statuses(record) == ["declined", "completed"]
    assert "I'm trying someone else" in " ".join(
        t["text"] for t in record["turns"] if t["speaker"] == "bot"
    )


async def test_no_answer_and_busy_then_the_queue_answers(team: Line) -> None:
    result, record = await team.run([Keys("0")], agent=["no-answer", "busy"], queue="bridged")
    assert result.dialed == list(AGENTS)
    assert result.queued == ["support"]
    assert statuses(record) == ["no-answer", "busy", "queue-bridged"]
    assert result.hung_up_by == "service"


async def test_after_the_queue_a_voicemail_with_a_callback(team: Line) -> None:
    _, record = await team.run(
        [Keys("0"), Say("Please call me back about my bill.")],
        agent="no-answer",
        queue="leave",
    )
    bot = " ".join(t["text"] for t in record["turns"] if t["speaker"] == "bot")
    assert prompts.VOICEMAIL_AFTER_DIAL in bot
    assert "bill" in record["voicemails"][0]["transcript"].lower()


async def test_urgent_callers_wait_in_their_own_line(team: Line) -> None:
    result, _ = await team.run(
        [Say("Someone stole my credit card and made charges.")], agent="busy", queue="bridged"
    )
    assert result.queued == ["support-urgent"]


async def test_taskrouter_gets_the_summary_as_task_attributes(
    tmp_path: Path,
    shared_data: Path,
    engines: Engines,
    recordings: RecordingHost,
    caller_voice: CallerVoice,
) -> None:
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        taskrouter_workflow_sid="WW" + "0" * 32,
    )
    async with open_line(settings, engines, recordings, caller_voice) as line:
        result, _ = await line.run([Keys("0")], agent="no-answer", queue="bridged")
    enqueue = [
        el
        for ex in result.exchanges
        for el in (ET.fromstring(ex.twiml) if ex.twiml.strip() else [])
        if el.tag == "Enqueue"
    ]
    assert enqueue and enqueue[0].get("workflowSid") == "WW" + "0" * 32
    task = enqueue[0].find("Task")
    assert task is not None and task.text is not None
    attributes = json.loads(task.text)
    assert attributes["reason"] == "keypad_0"
    assert attributes["summary"]["spoken"].startswith("The caller")


async def test_queue_wait_plays_position_and_hold_music_then_leaves(team: Line) -> None:
    params = {
        "CallSid": "CA" + "9" * 32,
        "AccountSid": "AC" + "1" * 32,
        "QueuePosition": "2",
        "QueueTime": "20",
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/twilio/queue-wait", params
    )
    wait = await team.client.post(
        "/twilio/queue-wait", data=params, headers={"X-Twilio-Signature": signature}
    )
    plays = [el.text for el in ET.fromstring(wait.text) if el.tag == "Play"]
    assert len(plays) == 2 and plays[1] == f"{PUBLIC_URL}/audio/static/hold-music.wav"
    music = await team.client.get("/audio/static/hold-music.wav")
    assert music.status_code == 200 and music.content[:4] == b"RIFF"
    late = {**params, "QueueTime": "9999"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/twilio/queue-wait", late
    )
    leave = await team.client.post(
        "/twilio/queue-wait", data=late, headers={"X-Twilio-Signature": signature}
    )
    assert "<Leave" in leave.text


async def test_agent_leg_requests_are_checked(team: Line) -> None:
    params = {"CallSid": "CA" + "8" * 32, "AccountSid": "AC" + "1" * 32}
    path = "/twilio/whisper?call=not-a-sid&agent=0"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    bad = await team.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert bad.status_code == 400
    unsigned = await team.client.post(f"/twilio/whisper?call=CA{'8' * 32}&agent=0", data=params)
    assert unsigned.status_code == 403
    assert (await team.client.get("/audio/static/..%2F..%2Fpyproject.toml")).status_code == 404
