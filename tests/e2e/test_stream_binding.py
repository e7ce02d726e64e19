"""Every live stream is bound to the call a signed ``/twilio/voice`` opened: replayed,
unbound or borrowed handshakes are refused and change nothing; the caller's number is the
stored one; frames of another stream, binary frames and malformed messages are ignored."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_TOKEN, make_settings
from tests.e2e.stream_line import StreamLine, call_params, stream_line
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.stream_caller import StreamCaller, StreamRefused
from voice.wire.media_stream import STREAM_TOKEN_PARAMETER

SPOOFED = "+15005550006"  # the demo account with a balance
UNKNOWN = "+15550001111"


@pytest.fixture
async def line(
    tmp_path: Path, shared_data: Path, engines: Engines, caller_voice: CallerVoice
) -> AsyncIterator[StreamLine]:
    settings = make_settings(
        shared_data, database_url=f"sqlite:///{tmp_path / 'voice.db'}", voice_mode="stream"
    )
    async with stream_line(settings, engines, caller_voice) as opened:
        yield opened


async def refused(caller: StreamCaller) -> None:
    """Open ``caller``'s stream and expect the server to close it with 1008."""
    with pytest.raises(StreamRefused):
        async with caller:
            await caller.wait_until_quiet(0.5, timeout=5)


async def stored(line: StreamLine, sid: str) -> dict[str, Any]:
    record = await line.record(sid)
    assert record is not None
    return record


async def test_a_stream_without_a_ticket_is_refused_and_nothing_is_stored(
    line: StreamLine,
) -> None:
    await refused(line.stream("CA" + "1" * 32, {"From": SPOOFED}))
    await refused(line.stream("CA" + "2" * 32, {STREAM_TOKEN_PARAMETER: "guessed"}))
    listed = await line.client.get("/api/calls", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert listed.json()["calls"] == []


async def test_a_replayed_handshake_is_refused_and_the_call_is_untouched(
    line: StreamLine, caplog: pytest.LogCaptureFixture
) -> None:
    sid = "CA" + "3" * 32
    params = await line.answer(sid)
    async with line.stream(sid, params) as caller:
        await caller.wait_until_quiet(0.6, timeout=15)  # the greeting
        before = await stored(line, sid)
        await refused(line.stream(sid, params))  # the same handshake again, while live
        await caller.wait_until_quiet(0.3, timeout=5)
        assert not caller.closed_by_server  # the real stream goes on
    await refused(line.stream(sid, params))  # and after it ended
    after = await stored(line, sid)
    assert after["turns"] == before["turns"] and after["state"] == before["state"]
    assert "token already used" in caplog.text
    assert params[STREAM_TOKEN_PARAMETER] not in caplog.text  # the log never holds a token


async def test_a_ticket_cannot_open_another_call(line: StreamLine) -> None:
    mine, theirs = "CA" + "4" * 32, "CA" + "5" * 32
    params = await line.answer(mine)
    await line.answer(theirs)
    await refused(line.stream(theirs, params))
    for sid in (mine, theirs):
        assert (await stored(line, sid))["turns"] == []
    async with line.stream(mine, params) as caller:  # refused attempts spent nothing
        await caller.wait_until_quiet(0.6, timeout=15)
    assert len((await stored(line, mine))["turns"]) == 1  # the greeting


async def test_a_finished_call_gets_no_stream_and_no_new_ticket(line: StreamLine) -> None:
    sid = "CA" + "6" * 32
    params = await line.answer(sid)
    status = {**call_params(sid), "CallStatus": "completed", "CallDuration": "4"}
    assert (await line.post("/twilio/status", status)).status_code == 204
    await refused(line.stream(sid, params))
    again = await line.post("/twilio/voice", call_params(sid))  # a replayed webhook
    assert again.status_code == 200
    assert ET.fromstring(again.text).find("Connect") is None
    record = await stored(line, sid)
    assert record["turns"] == [] and record["state"] == {}


async def test_the_callers_number_is_the_stored_one_not_the_streams(line: StreamLine) -> None:
    """A ``From`` slipped into ``customParameters`` is ignored: the balance asked for is the
    one of the number ``/twilio/voice`` was called from, which has no account."""
    sid = "CA" + "7" * 32
    params = await line.answer(sid, from_number=UNKNOWN)
    async with line.stream(sid, {**params, "From": SPOOFED}) as caller:
        await line.ask(caller, "What's my balance?")
        await caller.wait_until_quiet(0.8, timeout=30)
    record = await line.wait_for_turns(sid, 3)
    said = " ".join(t["text"] for t in record["turns"] if t["speaker"] == "bot")
    assert "couldn't find an account" in said
    assert "forty two dollars" not in said
    assert record["from"] == UNKNOWN


async def test_foreign_binary_and_malformed_frames_are_ignored(
    line: StreamLine, caplog: pytest.LogCaptureFixture
) -> None:
    sid = "CA" + "8" * 32
    params = await line.answer(sid)
    async with line.stream(sid, params) as caller:
        await caller.wait_until_quiet(0.6, timeout=15)
        for junk in (
            b"\x00\xff" * 40,
            "not json",
            "[]",
            json.dumps({"event": "media", "streamSid": caller.stream_sid, "media": {}}),
            json.dumps({"event": "media", "sequenceNumber": "9" * 40, "streamSid": "x"}),
            json.dumps({"event": "dtmf", "streamSid": "MZ" + "0" * 32, "dtmf": {"digit": "0"}}),
        ):
            await caller.send_raw(junk)
        own = caller.stream_sid
        caller.stream_sid = "MZ" + "0" * 32  # another stream's frames on this socket
        await caller.play(await line.speech("I want to talk to a person."))
        await asyncio.sleep(1.0)
        caller.stream_sid = own
        await line.ask(caller, "What are your opening hours?")
        await caller.wait_until_quiet(0.8, timeout=30)
        assert not caller.closed_by_server
    record = await line.wait_for_turns(sid, 3)
    assert [t["intent"] for t in record["turns"] if t["speaker"] == "caller"] == ["business_hours"]
    assert record["transfers"] == []
    assert "ignoring a binary frame" in caplog.text
    assert "ignoring a malformed stream message" in caplog.text
    assert "dropped 1 message(s) for stream" in caplog.text
