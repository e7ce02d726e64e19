"""Recovery: a finished-sounding request is answered after TURN_MIN_MS, but its turn is only
taken TURN_RECOVER_MS later, so a caller who goes on after a pause in between cuts the reply
off and is heard as one turn, not two (issue #11). On the virtual clock, with real Whisper
and a caller voice other than the product's."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from voice.config import Settings
from voice.engines import Engines
from voice.simulator.caller_audio import Delivery, render
from voice.simulator.spoken.clock import run_virtual
from voice.simulator.spoken.live import LiveCall, LiveHearing
from voice.simulator.spoken.run import service_apps
from voice.simulator.voices import caller_speaker

# "What time do you open" is a request on its own; the caller then adds "on Saturdays".
TEXT = "what time do you open, on Saturdays"
PAUSE_MS = 700  # longer than TURN_MIN_MS (450), shorter than 450 + TURN_RECOVER_MS (450)


def _hear(engines: Engines, tmp_path: Path, recover_ms: int, pause_ms: int) -> LiveHearing:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / str(recover_ms),
        turn_min_ms=450,
        turn_recover_ms=recover_ms,
    )

    async def call() -> LiveHearing:
        speaker = caller_speaker("hibari", engines.tts_pool)
        clip = await render(speaker, TEXT, Delivery(pause_ms=pause_ms))
        async with service_apps(settings, engines, ("live",)) as apps:
            return await LiveCall(apps["live"][1]).hear(clip.audio.samples)

    with ThreadPoolExecutor(1) as pool:  # the virtual clock runs its own event loop
        return pool.submit(run_virtual, call()).result()


def _said(hearing: LiveHearing) -> list[str]:
    return [str(t["text"]).lower() for t in hearing.caller_turns()]


def _bot_turns(hearing: LiveHearing) -> list[dict[str, Any]]:
    return [t for t in hearing.record["turns"] if t["speaker"] == "bot"]


def test_without_recovery_the_pause_splits_the_request(engines: Engines, tmp_path: Path) -> None:
    hearing = _hear(engines, tmp_path, recover_ms=0, pause_ms=PAUSE_MS)
    assert len(_said(hearing)) == 2, _said(hearing)  # the failure recovery is for


def test_a_caller_who_goes_on_cuts_the_early_reply_off_and_is_one_turn(
    engines: Engines, tmp_path: Path
) -> None:
    hearing = _hear(engines, tmp_path, recover_ms=450, pause_ms=PAUSE_MS)
    said = _said(hearing)
    assert len(said) == 1 and "saturday" in said[0] and "open" in said[0], said
    assert hearing.early_cut == 1  # the bot had begun, and stopped when the caller went on
    answers = _bot_turns(hearing)[1:]  # after the greeting
    assert len(answers) == 1 and "interrupted" not in answers[0]["timings"]


def test_a_finished_request_is_answered_at_the_shorter_wait(
    engines: Engines, tmp_path: Path
) -> None:
    hearing = _hear(engines, tmp_path, recover_ms=450, pause_ms=0)
    assert len(_said(hearing)) == 1 and hearing.early_cut == 0
    answer = _bot_turns(hearing)[1]
    timings = answer["timings"]
    assert timings["answered_early"] == 1.0 and timings["end_finished_ms"] == 450
    # Infinitely fast models on this clock: the reply begins once the 450 ms have passed
    # (plus the VAD's hangover), well before the 900 ms at which the turn was taken.
    assert 450 <= timings["eos_to_first_audio_ms"] < 700, timings
    assert "interrupted" not in timings and answer["text"]


def test_a_hang_up_while_a_taken_turn_is_decided_keeps_what_was_heard_of_the_early_reply(
    engines: Engines, tmp_path: Path
) -> None:
    """The early reply is playing, its turn has been taken and is still being decided (a
    slow answer) when the caller hangs up: the bot turn is stored as far as it was heard."""
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "slow", turn_min_ms=450, turn_recover_ms=450
    )

    async def call() -> LiveHearing:
        speaker = caller_speaker("hibari", engines.tts_pool)
        clip = await render(speaker, "what time do you open", Delivery())
        async with service_apps(settings, engines, ("live",)) as apps:
            calls = apps["live"][1].calls
            decide = calls.decide

            async def slow_decide(turn: Any) -> Any:
                await asyncio.sleep(0.6)  # a slow lookup, on the virtual clock
                return await decide(turn)

            calls.decide = slow_decide  # type: ignore[method-assign]
            # The reply begins 450 ms into the silence, the turn is taken 450 ms later and
            # decided until 600 ms after that: hang up 700 ms after the reply began.
            return await LiveCall(apps["live"][1]).hear(clip.audio.samples, hang_up_s=0.7)

    with ThreadPoolExecutor(1) as pool:
        hearing = pool.submit(run_virtual, call()).result()
    assert len(_said(hearing)) == 1, _said(hearing)
    answers = _bot_turns(hearing)[1:]
    assert len(answers) == 1, hearing.record["turns"]
    assert answers[0]["timings"].get("interrupted") == 1.0
    assert answers[0]["timings"]["played_ms"] > 0 and answers[0]["text"]
