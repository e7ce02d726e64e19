"""A live call on a busy machine: when speech recognition is backed up, the caller hears
"one moment" soon after they stop talking, not a long silence, then the answer."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import cast

from tests.conftest import ADMIN_TOKEN, make_settings
from tests.e2e.stream_line import call_params, stream_line
from voice.deps import AppContext
from voice.engines import Engines
from voice.handoff.policy import BusySpec
from voice.simulator.caller_voice import CallerVoice
from voice.telephony.stream_settings import HOLD_ON_SILENCE_S
from voice.text import prompts
from voice.wire.media_stream import STREAM_TOKEN_PARAMETER

BUSY_S = 4.0  # how long the speech workers are kept busy by other work


async def occupy(engines: Engines, workers: int, *, after_s: float) -> None:
    """Keep every speech worker busy for ``BUSY_S``, as other calls' decoding would, from
    ``after_s`` on (the caller is mid-sentence then: nothing of theirs is queued yet)."""
    await asyncio.sleep(after_s)
    loop = asyncio.get_running_loop()
    for _ in range(workers):
        loop.run_in_executor(engines.stt_pool, time.sleep, BUSY_S)


async def test_backed_up_speech_recognition_is_bridged_with_one_moment(
    tmp_path: Path, shared_data: Path, engines: Engines, caller_voice: CallerVoice
) -> None:
    settings = make_settings(
        shared_data, database_url=f"sqlite:///{tmp_path / 'voice.db'}", voice_mode="stream"
    )
    sid = "CA" + "b" * 32
    async with stream_line(settings, engines, caller_voice) as line:
        async with line.caller(sid) as caller:
            await caller.wait_until_quiet(0.6, timeout=15)
            question = await line.speech("What are your opening hours?")

            busy = asyncio.create_task(occupy(engines, settings.whisper_workers, after_s=0.8))
            await caller.play(question)
            await busy
            assert caller.last_voice_sent_at is not None
            spoke_until = caller.last_voice_sent_at
            first = await caller.wait_for_audio(after=spoke_until, timeout=BUSY_S + 10)
            await caller.wait_until_quiet(BUSY_S, timeout=40)  # "one moment", then the answer
        record = await line.wait_for_turns(sid, 3)
    # Something is heard soon after they stop, well before recognition could even start...
    assert first - spoke_until < HOLD_ON_SILENCE_S + 0.4, f"{first - spoke_until:.2f} s silent"
    answer = record["turns"][2]
    # ... the "one moment", then the answer in full; the transcript keeps both.
    assert answer["text"].startswith(prompts.ONE_MOMENT + " "), answer["text"]
    assert "Monday to Friday" in answer["text"]
    assert answer["timings"]["hold_on_ms"] > 0
    assert record["turns"][1]["intent"] == "business_hours"


async def test_a_hang_up_during_one_moment_keeps_the_request_and_what_was_heard(
    tmp_path: Path, shared_data: Path, engines: Engines, caller_voice: CallerVoice
) -> None:
    settings = make_settings(
        shared_data, database_url=f"sqlite:///{tmp_path / 'voice.db'}", voice_mode="stream"
    )
    sid = "CA" + "c" * 32
    async with stream_line(settings, engines, caller_voice) as line:
        async with line.caller(sid) as caller:
            await caller.wait_until_quiet(0.6, timeout=15)
            busy = asyncio.create_task(occupy(engines, settings.whisper_workers, after_s=0.8))
            await caller.play(await line.speech("What are your opening hours?"))
            await busy
            assert caller.last_voice_sent_at is not None
            await caller.wait_for_audio(after=caller.last_voice_sent_at, timeout=BUSY_S)
        # They hung up at the first words of the "one moment".
        record = await line.wait_for_turns(sid, 3, timeout=BUSY_S + 10)
    assert record["turns"][1]["intent"] == "business_hours"
    cut = record["turns"][2]
    assert cut["timings"]["interrupted"] == 1.0 and cut["timings"]["hold_on_ms"] > 0
    assert prompts.ONE_MOMENT.startswith(cut["text"])  # as far as it was heard (maybe nothing)
    assert cut["intent"] == "business_hours"  # the answer it stood for, never played


async def test_past_max_live_calls_a_new_call_hears_the_lines_are_busy_and_goes_to_a_person(
    tmp_path: Path, shared_data: Path, engines: Engines, caller_voice: CallerVoice
) -> None:
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        voice_mode="stream",
        max_live_calls=1,
    )
    first, second, third = ("CA" + c * 32 for c in "123")
    async with stream_line(settings, engines, caller_voice) as line:
        ticket = await line.answer(first)  # the one line: taken from now on
        busy = await line.post("/twilio/voice", call_params(second))
        async with line.stream(first, ticket) as caller:  # the first call's stream comes
            await caller.wait_until_quiet(0.6, timeout=15)
            still_busy = await line.post("/twilio/voice", call_params(third))
        # The first caller hung up: the line is free again.
        lines = cast(AppContext, line.app.state.ctx).lines
        for _ in range(50):
            if lines.in_use == 0:  # the server saw the stream close
                break
            await asyncio.sleep(0.1)
        third_ticket = await line.answer("CA" + "4" * 32)
        record = await line.record(second)
        metrics = await line.client.get(
            "/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    twiml = ET.fromstring(busy.text)
    assert twiml.find("Connect") is None  # no stream, no bot
    assert twiml.find("Play") is not None and twiml.find("Dial") is not None
    assert ET.fromstring(still_busy.text).find("Dial") is not None
    assert STREAM_TOKEN_PARAMETER in third_ticket
    [told] = record["turns"]
    assert told["text"] == f"{BusySpec().say} {prompts.CONNECTING}"
    assert record["transfers"][0]["reason"] == "lines_busy"
    assert "voice_calls_turned_away 2.0" in metrics.text
    assert "voice_live_capacity 1.0" in metrics.text


async def test_a_replayed_webhook_of_a_turned_away_call_changes_nothing(
    tmp_path: Path, shared_data: Path, engines: Engines, caller_voice: CallerVoice
) -> None:
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        voice_mode="stream",
        max_live_calls=1,
    )
    first, second = ("CA" + c * 32 for c in "56")
    async with stream_line(settings, engines, caller_voice) as line:
        await line.answer(first)  # the one line
        await line.post("/twilio/voice", call_params(second))  # turned away: a person
        replayed = await line.post("/twilio/voice", call_params(second))
        record = await line.record(second)
    assert ET.fromstring(replayed.text).find("Hangup") is not None
    assert len(record["transfers"]) == 1  # not handed over (and notified) twice
    assert len(record["turns"]) == 1
