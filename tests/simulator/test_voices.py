"""The named caller voices, with their real engines: each is heard by the bundled tiny.en at
phone quality, repeats itself exactly, and says what to install when its engine is missing."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tests.simulator.measure import median_f0, word_errors
from voice.errors import ConfigError
from voice.simulator.caller_audio import render
from voice.simulator.voices import (
    VOICE_NAMES,
    CallerSpeaker,
    available,
    caller_speaker,
    why_unavailable,
)
from voice.speech.stt import WhisperSTT

SENTENCE = "Can I talk to a person please?"


def each_voice() -> list[object]:
    """Every voice; one whose engine is missing here skips, saying what to install (CI
    installs them all)."""
    return [
        pytest.param(
            name, marks=pytest.mark.skipif(not available(name), reason=str(why_unavailable(name)))
        )
        for name in VOICE_NAMES
    ]


def test_the_voice_names() -> None:
    assert VOICE_NAMES == (
        "joe",
        "joe-slow",
        "joe-fast",
        "joe-low",
        "joe-high",
        "hibari",
        "flite-slt",
        "flite-rms",
        "flite-awb",
        "festival-slt",
    )


@pytest.mark.parametrize("name", each_voice())
async def test_each_voice_is_heard_at_phone_quality(
    name: str, speakers: dict[str, CallerSpeaker], whisper: WhisperSTT
) -> None:
    speaker = speakers[name]
    started = time.perf_counter()
    speech = await speaker.speak(SENTENCE)
    took = time.perf_counter() - started
    clip = await render(speaker, SENTENCE)
    heard = await whisper.transcribe(clip.audio)
    print(f"{name}: {took:.3f} s for {speech.duration_s:.2f} s at {speech.rate} Hz: {heard.text!r}")
    assert speaker.name == name
    assert speech.samples.dtype == np.int16 and speech.rate >= 16000
    assert 1.0 < speech.duration_s < 5.0
    assert word_errors(SENTENCE, heard.text) <= 1, heard.text


@pytest.mark.parametrize("name", each_voice())
async def test_the_same_text_gives_the_same_samples(
    name: str, speakers: dict[str, CallerSpeaker]
) -> None:
    first, second = [await speakers[name].speak("My order number is 45712.") for _ in range(2)]
    assert first.rate == second.rate
    assert np.array_equal(first.samples, second.samples)


@pytest.mark.parametrize(("name", "semitones"), [("joe-low", -3), ("joe-high", 3)])
async def test_pitch_shift_moves_the_voice_and_keeps_its_pace(
    name: str, semitones: int, speakers: dict[str, CallerSpeaker]
) -> None:
    text = "I would like to check my account balance."
    joe, shifted = [await speakers[voice].speak(text) for voice in ("joe", name)]
    ratio = median_f0(shifted.samples, shifted.rate) / median_f0(joe.samples, joe.rate)
    assert ratio == pytest.approx(2 ** (semitones / 12), rel=0.06)
    assert shifted.rate == joe.rate
    # Piper's durations grow more slowly than its length scale, so the stretch before the
    # resampling only partly makes up for it: joe-low ends about 10 % slower, joe-high faster.
    assert shifted.duration_s == pytest.approx(joe.duration_s, rel=0.15)


async def test_slow_and_fast_change_the_pace(speakers: dict[str, CallerSpeaker]) -> None:
    text = "I would like to check my account balance."
    joe, slow, fast = [
        (await speakers[voice].speak(text)).duration_s for voice in ("joe", "joe-slow", "joe-fast")
    ]
    print(f"joe {joe:.2f} s, joe-slow {slow / joe:.2f}x, joe-fast {fast / joe:.2f}x")
    # Length scales 1.15 and 0.85; the audio changes less (Piper rounds phoneme lengths up).
    assert 1.03 < slow / joe < 1.2
    assert 0.8 < fast / joe < 0.97


async def test_synthesis_leaves_the_event_loop_free(speakers: dict[str, CallerSpeaker]) -> None:
    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    await speakers["joe-low"].speak("Thanks. I will wait for the confirmation email then.")
    ticker.cancel()
    assert max(np.diff(ticks)) < 0.1  # Piper and the resampling ran in the executor


@pytest.mark.parametrize("name", ["flite-slt", "festival-slt"])
async def test_programs_get_the_text_without_a_shell_and_clean_up(
    name: str,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not available(name):
        pytest.skip(str(why_unavailable(name)))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    marker = tmp_path / "shell-ran"
    text = f'-o {marker}; touch {marker} $(touch {marker}) "quoted" `id` (quit)'
    speech = await caller_speaker(name, executor).speak(text)
    assert speech.duration_s > 1.0
    assert os.listdir(tmp_path) == []  # no shell ran, the work folder is gone


def test_an_unknown_voice_lists_the_names(executor: ThreadPoolExecutor) -> None:
    with pytest.raises(ConfigError, match=r"joe, joe-slow.*festival-slt"):
        caller_speaker("joe-whisper", executor)
    with pytest.raises(ConfigError, match="unknown caller voice"):
        available("joe-whisper")


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("flite-rms", r"apt-get install flite\b"),
        ("festival-slt", "apt-get install festival festvox-us-slt-hts"),
    ],
)
def test_a_missing_program_says_which_package_to_install(
    name: str,
    hint: str,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without flite or text2wave
    assert not available(name)
    with pytest.raises(ConfigError, match=hint):
        caller_speaker(name, executor)


def test_a_missing_hibari_package_says_what_to_install(
    executor: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "hibari", None)  # as if it were not installed
    assert not available("hibari")
    with pytest.raises(ConfigError, match=r"pip install hibari-tts==0\.2\.1"):
        caller_speaker("hibari", executor)
