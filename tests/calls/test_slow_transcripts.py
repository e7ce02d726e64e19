"""A live turn whose transcript is slow to come (a busy machine) is not cut short: the
caller who goes on after a pause longer than STREAM_END_MS is still in the same turn."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from voice.config import Settings
from voice.engines import Engines
from voice.simulator.caller_audio import Delivery, render
from voice.simulator.spoken.clock import run_virtual
from voice.simulator.spoken.live import LiveCall
from voice.simulator.spoken.run import service_apps
from voice.simulator.voices import caller_speaker
from voice.speech.audio import Audio
from voice.speech.stt import SpeechToText, Transcript

TRANSCRIBE_S = 0.7  # of the (virtual) clock: longer than the speculation's head start


class SlowSTT:
    """The service's Whisper, taking TRANSCRIBE_S of the call's clock for every pass."""

    def __init__(self, inner: SpeechToText) -> None:
        self.inner = inner

    async def transcribe(self, audio: Audio) -> Transcript:
        transcript = await self.inner.transcribe(audio)
        await asyncio.sleep(TRANSCRIBE_S)
        return transcript


def test_a_digit_pause_longer_than_the_fallback_is_one_turn(
    engines: Engines, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)

    async def call() -> list[dict[str, object]]:
        speaker = caller_speaker("hibari", engines.tts_pool)
        clip = await render(speaker, "my order number is 4, 5, 7, 1, 2", Delivery(pause_ms=800))
        async with service_apps(settings, engines, ("live",)) as apps:
            ctx = apps["live"][1]
            ctx.calls.stt = SlowSTT(ctx.calls.stt)
            hearing = await LiveCall(ctx).hear(clip.audio.samples)
        return [t for t in hearing.record["turns"] if t["speaker"] == "caller" and t["text"]]

    with ThreadPoolExecutor(1) as pool:  # the virtual clock runs its own event loop
        turns = pool.submit(run_virtual, call()).result()
    assert len(turns) == 1, [t["text"] for t in turns]
    heard = str(turns[0]["text"]).lower()
    assert all(digit in heard for digit in ("four", "five", "seven", "one", "two")) or (
        "45712" in heard.replace(" ", "").replace(",", "")
    ), heard
