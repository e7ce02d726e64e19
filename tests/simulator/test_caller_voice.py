"""CallerVoice, the simulator's caller: the bundled voice as before, or any named voice
rendered as the phone line carries it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from voice.errors import ConfigError
from voice.simulator.caller_voice import CallerVoice
from voice.speech.codecs import read_wav


async def test_a_named_voice_speaks_padded_phone_audio(executor: ThreadPoolExecutor) -> None:
    voice = CallerVoice.named("joe-high", executor)
    assert voice.name == "joe-high"
    audio = read_wav(await voice.say("Where is my order?"))
    assert audio.rate == 8000
    samples = audio.samples
    assert not samples[:2000].any() and not samples[-2000:].any()  # 250 ms either side
    assert samples[2000:2100].any()  # and the speech right after
    assert np.array_equal(read_wav(await voice.say("Where is my order?")).samples, samples)


async def test_a_named_voice_plays_sound_markers(executor: ThreadPoolExecutor) -> None:
    audio = read_wav(await CallerVoice.named("joe", executor).say("[cough] Hello?"))
    assert 1.0 < audio.duration_s < 2.5


def test_the_bundled_voice_keeps_its_name(executor: ThreadPoolExecutor) -> None:
    assert CallerVoice.bundled(executor).name == "piper:en_US-joe-medium"


def test_an_unknown_voice_or_no_engine_is_refused(
    executor: ThreadPoolExecutor,
) -> None:
    with pytest.raises(ConfigError, match="unknown caller voice"):
        CallerVoice.named("nobody", executor)
    with pytest.raises(TypeError):
        CallerVoice()
