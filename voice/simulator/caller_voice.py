"""Caller audio at telephone quality: synthesized speech, files, tones."""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from voice.simulator.caller_audio import Delivery, render
from voice.simulator.voices import CallerSpeaker, caller_speaker, shared_piper
from voice.speech.audio import Audio
from voice.speech.codecs import phone_wav, read_wav, to_phone_quality
from voice.speech.tts import TextToSpeech

PAD_S = 0.25
"""Silence either side of each spoken turn, as a real recording has."""


class CallerVoice:
    """Makes the WAV bytes Twilio would have recorded: 8 kHz, through mu-law and back.

    Built on a TextToSpeech engine (``bundled``), a turn is that engine's speech as it comes,
    padded and cut to 8 kHz mu-law. Built on a caller voice (``named``), a turn is rendered as
    the phone line carries it (``caller_audio.render``: a normal phone level, the telephone
    band, ``[cough]``-style sounds), with the same padding.
    """

    @classmethod
    def bundled(cls, executor: Executor) -> CallerVoice:
        """The bundled voice without random variation, so a script sounds the same each run."""
        return cls(shared_piper(executor))

    @classmethod
    def named(
        cls, name: str, executor: Executor, *, audio_dir: Path = Path("audio")
    ) -> CallerVoice:
        """One of ``voices.VOICE_NAMES``; ConfigError for an unknown or missing voice.
        ``audio_dir`` (the AUDIO_DIR setting) holds the hold music ``[music]`` plays."""
        return cls(speaker=caller_speaker(name, executor), audio_dir=audio_dir)

    def __init__(
        self,
        tts: TextToSpeech | None = None,
        *,
        speaker: CallerSpeaker | None = None,
        audio_dir: Path = Path("audio"),
    ) -> None:
        if (tts is None) == (speaker is None):
            raise TypeError("CallerVoice takes a TextToSpeech engine or a caller speaker")
        self.tts = tts
        self.speaker = speaker
        self.audio_dir = audio_dir

    @property
    def name(self) -> str:
        """The engine's or caller voice's name, e.g. ``"piper:en_US-joe-medium"``, ``"hibari"``."""
        if self.speaker is not None:
            return self.speaker.name
        assert self.tts is not None
        return self.tts.name

    async def say(self, text: str) -> bytes:
        if self.speaker is not None:
            pad_ms = round(PAD_S * 1000)
            delivery = Delivery(lead_ms=pad_ms, trail_ms=pad_ms)
            clip = await render(self.speaker, text, delivery, audio_dir=self.audio_dir)
            return phone_wav(clip.audio)
        assert self.tts is not None
        audio = await self.tts.synthesize(text)
        return phone_wav(to_phone_quality(_pad(audio)))

    def file(self, path: Path) -> bytes:
        return phone_wav(to_phone_quality(read_wav(path.read_bytes())))

    def tone(self, seconds: float, hz: float) -> bytes:
        rate = 8000
        t = np.arange(int(seconds * rate)) / rate
        samples = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
        return phone_wav(to_phone_quality(Audio(samples=samples, rate=rate)))


def _pad(audio: Audio, seconds: float = PAD_S) -> Audio:
    """A little silence either side, as a real recording has."""
    pad = np.zeros(int(audio.rate * seconds), dtype=np.int16)
    return Audio(samples=np.concatenate([pad, audio.samples, pad]), rate=audio.rate)
