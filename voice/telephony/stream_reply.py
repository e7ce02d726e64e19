"""The bot's side of a live call: a reply streamed sentence by sentence, a "one moment"
while a slow answer is decided, and the bot turn stored as the caller heard it."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from voice.calls.sentence_audio import SentenceAudio, sentences
from voice.calls.service import CallService
from voice.dialog.turns import Action, Decision
from voice.errors import SpeechError
from voice.metrics import Metrics
from voice.telephony.player import PlaybackReport, Player
from voice.telephony.stream_settings import CLOSE_AFTER_S, HOLD_ON_AFTER_S
from voice.text import prompts

log = logging.getLogger(__name__)


class Replies:
    """Plays decisions into one call's ``Player`` and stores what was heard of them."""

    def __init__(
        self,
        call_sid: str,
        *,
        calls: CallService,
        audio: SentenceAudio,
        player: Player,
        metrics: Metrics,
    ) -> None:
        self.call_sid = call_sid
        self.calls = calls
        self.audio = audio
        self.player = player
        self.metrics = metrics

    async def hold_on_while(
        self,
        deciding: asyncio.Task[Any],
        after_s: float = HOLD_ON_AFTER_S,
        phrase: str = prompts.HOLD_ON,
    ) -> str | None:
        """Say ``phrase`` if ``deciding`` (hearing or deciding a turn) is not done within
        ``after_s``; the phrase when it was said, else None."""
        done, _ = await asyncio.wait({deciding}, timeout=after_s)
        if done:
            return None
        try:
            data = await self.audio.mulaw(phrase)
        except SpeechError:
            return None
        if deciding.done():  # the answer came while the phrase was being fetched
            return None
        self.player.begin()
        self.player.add(phrase, data)
        self.player.finish()
        return phrase

    async def play(
        self, decision: Decision, timings: dict[str, float], *, begun: bool = False
    ) -> PlaybackReport:
        """Stream the reply sentence by sentence and wait until it is heard (or cut off).
        ``begun``: its first sentence is already playing (an early answer)."""
        if not begun:
            self.player.begin()
        t0 = time.perf_counter()
        first = not begun
        to_say = [s for phrase in decision.say for s in sentences(phrase)]
        for sentence in to_say[1:] if begun else to_say:
            try:
                data = await self.audio.mulaw(sentence)
            except SpeechError:
                log.exception("call %s: no audio for %r", self.call_sid, sentence[:60])
                continue
            if first:
                timings["tts_first_ms"] = round((time.perf_counter() - t0) * 1000, 1)
                first = False
            self.player.add(sentence, data)
        self.player.finish()
        return await self.player.wait(
            timeout=None if decision.action is Action.LISTEN else CLOSE_AFTER_S
        )

    async def record(
        self,
        decision: Decision,
        report: PlaybackReport,
        *,
        started: float,
        timings: dict[str, float],
        said_first: str | None = None,
    ) -> None:
        """Store the bot turn as heard (``said_first``: what they heard before it)."""
        if report.first_frame_at is not None:
            timings["eos_to_first_audio_ms"] = round((report.first_frame_at - started) * 1000, 1)
        timings["played_ms"] = report.played_ms
        if report.interrupted:
            timings["interrupted"] = 1.0
        heard_text = " ".join(report.heard) if report.interrupted else decision.text
        if said_first:
            heard_text = f"{said_first} {heard_text}"
        self.metrics.observe_turn("stream", timings)
        await self.calls.record_bot_turn(self.call_sid, decision, text=heard_text, timings=timings)
