"""Real engines, loaded once per test session (about 1.5 s together)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from voice.speech.audio import Audio
from voice.speech.models import (
    BUNDLED_VOICE,
    BUNDLED_WHISPER,
    resolve_piper_voice,
    resolve_whisper_model,
)
from voice.speech.stt import WhisperSTT
from voice.speech.tts import PiperTTS


@pytest.fixture(scope="session")
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="speech-test") as pool:
        yield pool


@pytest.fixture(scope="session")
def piper(executor: ThreadPoolExecutor) -> PiperTTS:
    model_path, config_path = resolve_piper_voice(BUNDLED_VOICE)
    tts = PiperTTS(model_path, config_path, executor=executor)
    tts.load()
    return tts


@pytest.fixture(scope="session")
def caller_piper(executor: ThreadPoolExecutor) -> PiperTTS:
    """The bundled voice without its random variation: speech the recognition tests feed
    to Whisper is the same on every run, so what it hears cannot change between runs."""
    model_path, config_path = resolve_piper_voice(BUNDLED_VOICE)
    tts = PiperTTS(model_path, config_path, executor=executor, deterministic=True)
    tts.load()
    return tts


@pytest.fixture(scope="session")
def whisper(executor: ThreadPoolExecutor) -> WhisperSTT:
    stt = WhisperSTT(resolve_whisper_model(BUNDLED_WHISPER), executor=executor)
    stt.load()
    return stt


def tone(frequency_hz: float, seconds: float, rate: int = 16000, amplitude: float = 0.5) -> Audio:
    """A sine wave as int16 audio."""
    t = np.arange(int(seconds * rate)) / rate
    return Audio((amplitude * 32767 * np.sin(2 * np.pi * frequency_hz * t)).astype(np.int16), rate)
