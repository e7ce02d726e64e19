"""Caller audio at telephone quality: synthesized speech, files, tones."""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from voice.speech.audio import Audio
from voice.speech.codecs import phone_wav, read_wav, to_phone_quality
from voice.speech.models import BUNDLED_VOICE, resolve_piper_voice
from voice.speech.tts import PiperTTS, TextToSpeech


class CallerVoice:
    """Makes the WAV bytes Twilio would have recorded: 8 kHz, through mu-law and back."""

    @classmethod
    def bundled(cls, executor: Executor) -> CallerVoice:
        """The bundled voice without random variation, so a script sounds the same each run."""
        onnx, config = resolve_piper_voice(BUNDLED_VOICE)
        tts = PiperTTS(onnx, config, executor=executor, deterministic=True)
        tts.load()
        return cls(tts)

    def __init__(self, tts: TextToSpeech) -> None:
        self.tts = tts

    async def say(self, text: str) -> bytes:
        audio = await self.tts.synthesize(text)
        return phone_wav(to_phone_quality(_pad(audio)))

    def file(self, path: Path) -> bytes:
        return phone_wav(to_phone_quality(read_wav(path.read_bytes())))

    def tone(self, seconds: float, hz: float) -> bytes:
        rate = 8000
        t = np.arange(int(seconds * rate)) / rate
        samples = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
        return phone_wav(to_phone_quality(Audio(samples=samples, rate=rate)))


def _pad(audio: Audio, seconds: float = 0.25) -> Audio:
    """A little silence either side, as a real recording has."""
    pad = np.zeros(int(audio.rate * seconds), dtype=np.int16)
    return Audio(samples=np.concatenate([pad, audio.samples, pad]), rate=audio.rate)
