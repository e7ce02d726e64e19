"""Turning a decision's sentences into audio URLs Twilio can ``<Play>``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from voice.dialog.turns import Decision
from voice.errors import SpeechError
from voice.speech.cache import ReplyAudioCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Phrase:
    text: str
    audio_id: str | None  # None: synthesis failed, the transport falls back (e.g. <Say>)


@dataclass(frozen=True)
class SpokenReply:
    decision: Decision
    phrases: tuple[Phrase, ...]


class Speaker:
    def __init__(self, cache: ReplyAudioCache) -> None:
        self.cache = cache

    async def speak(self, decision: Decision, *, call_sid: str = "") -> SpokenReply:
        phrases = []
        for text in decision.say:
            try:
                audio_id: str | None = await self.cache.audio_id(text)
            except SpeechError as exc:
                log.error("call %s: synthesis failed for %r: %s", call_sid, text[:60], exc)
                audio_id = None
            phrases.append(Phrase(text=text, audio_id=audio_id))
        return SpokenReply(decision=decision, phrases=tuple(phrases))
