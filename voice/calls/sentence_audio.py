"""The bot's replies as live-call audio: split into sentences, each as 8 kHz mu-law."""

from __future__ import annotations

import asyncio
import re

from voice.errors import SpeechError
from voice.speech.cache import ReplyAudioCache
from voice.speech.codecs import mulaw_encode, read_wav, resample

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")


def sentences(text: str) -> list[str]:
    """Split a reply into sentences, so the first one can play while the next is made."""
    return [part.strip() for part in _SENTENCE.split(text) if part.strip()]


class SentenceAudio:
    """8 kHz mu-law bytes of a sentence, through the shared reply cache (synthesized once)."""

    def __init__(self, cache: ReplyAudioCache, *, capacity: int = 512) -> None:
        self.cache = cache
        self._mulaw: dict[str, bytes] = {}
        self._capacity = capacity

    async def mulaw(self, text: str) -> bytes:
        audio_id = await self.cache.audio_id(text)
        cached = self._mulaw.get(audio_id)
        if cached is not None:
            return cached
        path = self.cache.path(audio_id)
        if path is None:
            raise SpeechError(f"reply audio {audio_id} vanished from the cache")
        audio = read_wav(await asyncio.to_thread(path.read_bytes))
        samples = audio.samples if audio.rate == 8000 else resample(audio.samples, audio.rate, 8000)
        data = mulaw_encode(samples)
        if len(self._mulaw) >= self._capacity:
            self._mulaw.pop(next(iter(self._mulaw)))
        self._mulaw[audio_id] = data
        return data
