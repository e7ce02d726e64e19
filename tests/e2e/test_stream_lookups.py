"""A live call whose answer waits on a slow fulfillment endpoint: the caller hears "one
moment" instead of silence, then the answer."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.conftest import make_settings
from tests.e2e.stream_line import stream_line
from tests.fulfillment.endpoint import DELAYED_S, Endpoint
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.telephony.stream_settings import HOLD_ON_AFTER_S
from voice.text import prompts


async def test_a_slow_lookup_is_bridged_with_one_moment(
    tmp_path: Path, shared_data: Path, engines: Engines, caller_voice: CallerVoice
) -> None:
    endpoint = Endpoint()
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        voice_mode="stream",
        fulfillment_url=f"{endpoint.url}/delayed",
        fulfillment_secret="e2e-fulfillment-secret",
    )
    sid = "CA" + "d" * 32
    try:
        async with stream_line(settings, engines, caller_voice) as line:
            async with line.caller(sid) as caller:
                await line.ask(caller, "Where is my order?")
                await caller.wait_until_quiet(0.5, timeout=15)
                for digit in "45712#":
                    await caller.press(digit)
                    await asyncio.sleep(0.15)
                pressed = time.monotonic()
                # Something is heard well before the endpoint answers...
                first = await caller.wait_for_audio(after=pressed, timeout=10)
                assert first - pressed < DELAYED_S
                await caller.wait_until_quiet(0.8, timeout=30)
            record = await line.wait_for_turns(sid, 5)
    finally:
        endpoint.close()
    [answer] = [t for t in record["turns"] if "left our Berlin warehouse" in t["text"]]
    # ... the "one moment", then the answer in full; the transcript keeps both.
    assert answer["text"].startswith(prompts.HOLD_ON + " Order four five seven one two")
    assert answer["timings"]["hold_on_ms"] > 0
    [keyed] = [t for t in record["turns"] if t["kind"] == "dtmf"]
    assert keyed["timings"]["lookup_ms"] >= (DELAYED_S - 0.1) * 1000
    assert HOLD_ON_AFTER_S < DELAYED_S
