"""Text-to-speech: the TextToSpeech interface and its Piper engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voice.errors import ConfigError, SpeechError
from voice.speech.audio import Audio
from voice.speech.models import BUNDLED_VOICE


class TextToSpeech(Protocol):
    """Text in, mono int16 audio out (at the engine's own rate)."""

    @property
    def name(self) -> str:
        """Stable identity of engine and voice for cache keys, e.g. ``"piper:en_US-joe-medium"``."""
        ...

    async def synthesize(self, text: str) -> Audio: ...


async def synthesize_in(
    executor: Executor, render: Callable[[str], Audio], text: str, *, engine: str, loaded: bool
) -> Audio:
    """Run an engine's blocking ``render`` in ``executor``, off the event loop; any failure
    becomes a SpeechError naming the engine and the text."""
    if not loaded:
        raise SpeechError(f"{engine} voice used before load()")
    if not text.strip():
        raise SpeechError("cannot synthesize empty text")
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(executor, render, text.strip())
    except SpeechError:
        raise
    except Exception as exc:
        raise SpeechError(f"{engine} failed on {text[:60]!r}: {exc}") from exc


class PiperTTS:
    """A Piper voice (ONNX, CPU), synthesizing in a caller-supplied executor.

    Piper serializes its phonemizer internally, so concurrent calls from pool threads are safe.
    """

    def __init__(
        self,
        model_path: str,
        config_path: str,
        *,
        executor: Executor,
        deterministic: bool = False,
        length_scale: float | None = None,
    ) -> None:
        """``deterministic`` turns off the voice's random variation: the same text always
        gives the same audio (the simulator's caller, so tests are reproducible).
        ``length_scale`` stretches the speech (1.15 is 15 % slower); None keeps the voice's."""
        self._model_path = model_path
        self._deterministic = deterministic
        self._length_scale = length_scale
        self._config_path = config_path
        self._executor = executor
        self._voice: Any = None
        self._name = "piper:" + Path(model_path).name.removesuffix(".onnx")
        if length_scale is not None:
            self._name += f"@{length_scale:g}"  # another pace is other audio: another cache key

    @property
    def name(self) -> str:
        return self._name

    def load(self) -> None:
        """Load the voice (about half a second). Call once at start-up."""
        from piper import PiperVoice

        try:
            self._voice = PiperVoice.load(self._model_path, config_path=self._config_path)
        except Exception as exc:
            raise ConfigError(
                f"could not load Piper voice {self._model_path} ({exc}): use "
                f"{BUNDLED_VOICE!r} or a voice .onnx file with its .onnx.json beside it."
            ) from exc

    def variant(self, *, executor: Executor, length_scale: float | None = None) -> PiperTTS:
        """This voice, sharing its loaded model (no second load), run in ``executor`` at
        another ``length_scale``."""
        twin = PiperTTS(
            self._model_path,
            self._config_path,
            executor=executor,
            deterministic=self._deterministic,
            length_scale=length_scale,
        )
        twin._voice = self._voice
        return twin

    async def synthesize(self, text: str) -> Audio:
        """Speak ``text``; all sentences concatenated at the voice's rate (22050 Hz for joe)."""
        return await synthesize_in(
            self._executor, self._render, text, engine="Piper", loaded=self._voice is not None
        )

    def _render(self, text: str) -> Audio:
        from piper import SynthesisConfig

        noise = 0.0 if self._deterministic else None  # None: the voice's own variation
        config = SynthesisConfig(
            length_scale=self._length_scale, noise_scale=noise, noise_w_scale=noise
        )
        chunks = list(self._voice.synthesize(text, syn_config=config))
        if not chunks:
            raise SpeechError(f"Piper produced no audio for {text[:60]!r}")
        rates = {int(chunk.sample_rate) for chunk in chunks}
        if len(rates) != 1:
            raise SpeechError(f"Piper returned chunks at several rates: {sorted(rates)}")
        samples = np.concatenate([chunk.audio_int16_array for chunk in chunks]).astype(np.int16)
        return Audio(samples, rates.pop())
