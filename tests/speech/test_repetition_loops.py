"""Whisper's repetition loop: with the pack's prompt and beam search, tiny.en heard the
digits "four" and "five", read with a pause between them, as "4, 5, 4, 5, 4, 4, 4, ..."
until its token limit. The loop's compression ratio marks it as noise, so the caller's words
were dropped, and in a live call the utterance was then thrown away as a cough: of "4, 5, 7,
1, 2, I think" the bot stored "7, 1, 2, I think" (hearing corpus row digits-016, issue #10).
Reproduced with the corpus's own joe caller and its own pause."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from voice.simulator.caller_audio import Delivery, render
from voice.simulator.voices import caller_speaker
from voice.speech.audio import Audio
from voice.speech.stt import WhisperSTT


async def _digits(pool: ThreadPoolExecutor) -> Audio:
    clip = await render(caller_speaker("joe", pool), "4, 5", Delivery(pause_ms=750))
    return clip.spoken_span()


async def test_digits_with_a_pause_are_heard_not_dropped_as_a_loop(
    service_whisper: WhisperSTT, pool: ThreadPoolExecutor
) -> None:
    heard = await service_whisper.transcribe(await _digits(pool))
    words = heard.text.lower().replace(",", " ").replace(".", " ").split()
    assert words in (["4", "5"], ["four", "five"]), heard


async def test_a_loop_never_reaches_the_transcript(
    service_whisper: WhisperSTT, pool: ThreadPoolExecutor
) -> None:
    heard = await service_whisper.transcribe(await _digits(pool))
    assert len(heard.text.split()) <= 4, heard  # two words said: no "4, 4, 4, ..." tail


@pytest.mark.parametrize(
    ("voice", "text"),
    [
        ("hibari", "what are your weekday hours"),  # hearing corpus dev row routine-069
        ("flite-slt", "are you open on Christmas Eve"),  # routine-063
        ("hibari", "can you connect me to an agent"),  # routine-076
    ],
)
async def test_the_fitted_window_hears_the_request_once(
    service_whisper: WhisperSTT, pool: ThreadPoolExecutor, voice: str, text: str
) -> None:
    # With its window cut to the audio plus 7 s, tiny.en said these twice or three times
    # over ("What are your weekday hours? What are your weekday hours?"): such a
    # transcript is decoded again on the full window (voice.speech.window.says_again).
    clip = await render(caller_speaker(voice, pool), text, Delivery())
    heard = await service_whisper.transcribe(clip.spoken_span())
    said = text.lower().split()
    got = heard.text.lower().replace("?", "").replace(".", "").replace(",", "").split()
    assert len(got) <= len(said) + 1, heard
    assert set(said[-2:]) <= set(got), heard
