"""Real engines, loaded once per test session (about 1.5 s together), and caller voices."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from voice.config import Settings
from voice.intents.loader import load_intents
from voice.intents.vocabulary import vocabulary_prompt
from voice.speech.audio import Audio
from voice.speech.codecs import read_wav
from voice.speech.models import (
    BUNDLED_VOICE,
    BUNDLED_WHISPER,
    resolve_piper_voice,
    resolve_whisper_model,
)
from voice.speech.stt import WhisperSTT
from voice.speech.tts import PiperTTS

INTENTS = Path(__file__).resolve().parents[2] / "intents"


@pytest.fixture(scope="session")
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="speech-test") as pool:
        yield pool


@pytest.fixture(scope="session")
def pool() -> Iterator[ThreadPoolExecutor]:
    """One speech worker, as the service runs Whisper."""
    with ThreadPoolExecutor(1) as executor:
        yield executor


@pytest.fixture(scope="session")
def service_whisper(pool: ThreadPoolExecutor) -> WhisperSTT:
    """Whisper as the service runs it: beam 3 (WHISPER_BEAM), the window fitted to the audio
    (WHISPER_WINDOW_S), runner-up readings kept (WHISPER_ALTERNATIVES) and the pack's words
    as prompt."""
    defaults = Settings(_env_file=None)
    stt = WhisperSTT(
        resolve_whisper_model(BUNDLED_WHISPER),
        executor=pool,
        beam_size=defaults.whisper_beam,
        window_margin_s=defaults.whisper_window_s,
        alternatives=defaults.whisper_alternatives,
    )
    stt.load()
    stt.use_vocabulary(vocabulary_prompt(load_intents(INTENTS), "Acme"))
    return stt


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


class Joe:
    """The bundled voice without random variation, at any speaking rate: ``length_scale``
    1.1 speaks 10 % slower (PiperTTS always speaks at the voice's own rate)."""

    def __init__(self) -> None:
        from piper import PiperVoice

        model_path, config_path = resolve_piper_voice(BUNDLED_VOICE)
        self._voice = PiperVoice.load(model_path, config_path=config_path)

    def say(self, text: str, length_scale: float = 1.0) -> Audio:
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
        chunks = list(self._voice.synthesize(text, syn_config=config))
        samples = np.concatenate([chunk.audio_int16_array for chunk in chunks])
        return Audio(samples.astype(np.int16), int(chunks[0].sample_rate))


@pytest.fixture(scope="session")
def joe() -> Joe:
    return Joe()


Speaker = Callable[[str], Audio]
"""Text in, that voice saying it out (at the voice's own rate)."""


@pytest.fixture(scope="session")
def flite() -> Callable[[str], Speaker]:
    """``flite("slt")`` is a Speaker: Debian flite's slt, rms or awb voice (robotic callers)."""
    if shutil.which("flite") is None:
        pytest.skip("flite is not installed (apt-get install flite)")

    def voice(name: str) -> Speaker:
        def say(text: str) -> Audio:
            with tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / "said.wav"
                subprocess.run(["flite", "-voice", name, "-t", text, "-o", str(out)], check=True)
                return read_wav(out.read_bytes())

        return say

    return voice


@pytest.fixture(scope="session")
def hibari() -> Speaker:
    """hibari's default "heart" voice (US female, neural), the same audio on every run."""
    engine = pytest.importorskip("hibari", reason="hibari-tts is not installed").Hibari()

    def say(text: str) -> Audio:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "said.wav"
            engine.save(text, str(out), speed=1.0, seed=1)
            return read_wav(out.read_bytes())

    return say
