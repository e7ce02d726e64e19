"""One live call over a Twilio Media Stream: listen, detect the end of a turn, answer as audio.

The session is the adapter between the stream and the call: it feeds the caller's audio
frame by frame to a ``TurnDetector``, plays the bot's audio through ``Replies`` (a paced
``Player``), and has at most one turn decided at a time. What the timing means is decided
by the pure machines of ``voice.turntaking``: ``EndOfTurn`` (how long a pause must last),
``Overlap`` (barge-in or backchannel) and ``EarlyReplies`` (a reply begun before its turn
was taken). The receive loop never waits on speech recognition or synthesis, so one slow
call never holds up its own audio or anyone else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import numpy as np

from voice.calls.sentence_audio import SentenceAudio, sentences
from voice.calls.service import CallService, Heard
from voice.dialog.turns import Caller, Decision
from voice.metrics import Metrics
from voice.speech.codecs import mulaw_decode
from voice.speech.vad import StreamingVAD
from voice.store.tickets import BoundCall
from voice.telephony.player import Player
from voice.telephony.stream_reply import Replies
from voice.telephony.stream_settings import KEY_TIMEOUT_S, StreamSettings
from voice.telephony.stream_turn import EarlyReply, Hearing, Queued, Timed, done, loop_clock
from voice.telephony.stream_worker import Close, TurnWorker
from voice.text.redaction import redact, redact_secret
from voice.turntaking.detector import (
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    TurnDetector,
    TurnEnded,
)
from voice.turntaking.early import EarlyReplies
from voice.turntaking.ending import EndOfTurn, reading
from voice.turntaking.onset import ONSET_FRAMES, SoundOnset
from voice.turntaking.overlap import Overlap, Verdict
from voice.wire.media_stream import Dtmf, Mark, Media, Start, Stop

log = logging.getLogger(__name__)


class StreamSession:
    def __init__(
        self,
        start: Start,
        call: BoundCall,
        *,
        calls: CallService,
        audio: SentenceAudio,
        player: Player,
        close: Close,
        metrics: Metrics,
        settings: StreamSettings,
    ) -> None:
        self.start = start
        self.call = call  # the stored call the stream's ticket bound it to
        self.call_sid = call.call_sid
        self.caller = Caller(number=call.from_number)  # never from ``start``
        self.calls = calls
        self.audio = audio
        self.player = player
        self._close = close
        self.metrics = metrics
        self.settings = settings
        self.ending: EndOfTurn[EarlyReply] = EndOfTurn(settings.limits)
        self.detector = TurnDetector(
            StreamingVAD(),
            start_ms=settings.start_ms,
            pause_ms=min(settings.pause_ms, settings.min_ms),
            end_ms=settings.max_ms + 1,  # the policy ends turns; this is only a backstop
        )
        self.overlap = Overlap(pause_ms=settings.pause_ms)
        self.onset = SoundOnset()
        self.early: EarlyReplies[Decision] = EarlyReplies()
        self.hearing = Hearing(calls, self.call_sid)
        self.replies = Replies(
            self.call_sid, calls=calls, audio=audio, player=player, metrics=metrics
        )
        self._stream_ms = 0.0  # stream time: 20 ms per inbound frame
        self.worker = TurnWorker(
            self.call_sid,
            self.caller,
            account_sid=call.account_sid or start.account_sid,
            calls=calls,
            hearing=self.hearing,
            replies=self.replies,
            player=player,
            close=close,
            silence_s=settings.silence_s,
        )
        self._worker: asyncio.Task[None] | None = None
        self._speculation: tuple[float, asyncio.Task[Timed]] | None = None
        self._judge: asyncio.Task[None] | None = None  # backchannel or barge-in?
        self._pending_judge: asyncio.Task[None] | None = None
        self._keys = ""
        self._key_timer: asyncio.TimerHandle | None = None

    @property
    def early_cut(self) -> int:
        """Early replies cut off because the caller went on."""
        return self.early.cut

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self) -> None:
        """Start the turn worker; it greets the caller first."""
        self._worker = asyncio.create_task(
            self.worker.run(self.call.from_number, self.call.to_number),
            name=f"turns-{self.call_sid}",
        )

    async def shutdown(self) -> None:
        """The stream ended (stop, hang-up or a dropped socket): store what was heard."""
        self.worker.closing = True
        if self._key_timer is not None:
            self._key_timer.cancel()
        self.worker.cancel_silence_timer()
        speaking = self.player.speaking
        stopped = await self.player.stop()  # a reply in progress is recorded as interrupted
        # An early reply may be playing with its turn taken but not yet decided: the worker
        # stores that turn's reply as far as it was heard.
        self.worker.heard_at_hang_up = stopped if speaking else None
        last = self.detector.close(self._stream_ms)
        if last is not None:  # hung up mid-turn, or while an early reply was playing
            self.overlap.forget_backchannel()
            await self._on_turn_end(last)
        await self.worker.turns.put(None)
        if self._worker is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._worker), 5.0)
            except (TimeoutError, asyncio.CancelledError):
                self._worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._worker
        await self.player.close()

    # -- inbound events -------------------------------------------------------------------

    async def on_event(self, event: object) -> None:
        if isinstance(event, Media):
            if event.track in ("inbound", ""):
                await self._on_audio(mulaw_decode(event.payload))
        elif isinstance(event, Dtmf):
            await self._on_key(event.digit)
        elif isinstance(event, Mark):
            self.player.on_mark(event.name)
        elif isinstance(event, Stop):
            self.worker.closing = True

    async def _on_audio(self, frame: np.ndarray) -> None:
        self._stream_ms += len(frame) / 8
        if self.onset.push(frame):
            await self._on_sound(self._stream_ms - ONSET_FRAMES * 20)
        for event in self.detector.push(frame, self._stream_ms):
            if isinstance(event, SpeechStarted):
                await self._on_voice_start(event.at_ms)
            elif isinstance(event, SpeechPaused):
                await self._on_pause(event.audio, event.at_ms)
            elif isinstance(event, SpeechResumed):
                self.overlap.voice_resumed()
                self.ending.resumed()
                self._drop_speculation()
                await self._recover_early()
                if self._judge is not None:
                    self._judge.cancel()
                    self._judge = None
                if self.overlap.overlapping:  # resumed optimistically; they go on talking
                    await self.player.pause()
            elif isinstance(event, TurnEnded):
                self.overlap.voice_ended()
                await self._on_turn_end(event)
        if self.overlap.resume_now(self.detector.silence_ms):
            await self.player.resume()
        if self.overlap.sound_unconfirmed(self._stream_ms, in_speech=self.detector.in_speech):
            self.metrics.sound_pauses.inc()
            log.info("call %s: the sound over the bot was not a voice; resuming", self.call_sid)
            await self.player.resume()
        if self.detector.paused and not self.early.playing and self._idle():
            early = self.ending.early(self.detector.silence_ms)
            if early is not None:
                self._answer_early(early)
        if self.detector.paused and self.ending.due(self.detector.silence_ms):
            await self._on_turn_end(self.detector.end_turn(self._stream_ms))
        if self.overlap.runs_over(self._stream_ms):
            await self._confirm_barge_in()

    async def _on_sound(self, at_ms: float) -> None:
        """A sound on the line: if it is over the bot, pause the bot until the VAD says
        whether it is the caller's voice (Silero is slower than loudness to say so)."""
        audible = self.player.speaking and not self.player.paused
        if self.overlap.sound_started(at_ms, bot_audible=audible):
            await self.player.pause()
            log.info("call %s: a sound over the bot at %.0f ms; paused", self.call_sid, at_ms)

    async def _on_voice_start(self, at_ms: float) -> None:
        self.worker.cancel_silence_timer()
        audible = self.player.speaking and not self.player.paused
        if self.overlap.voice_started(at_ms, bot_audible=audible):
            await self.player.pause()
            log.info("call %s: caller spoke over the bot at %.0f ms; paused", self.call_sid, at_ms)
            self.metrics.barge_in.observe(max(0.0, self._stream_ms - at_ms) / 1000)

    async def _on_pause(self, audio: np.ndarray, at_ms: float) -> None:
        pause = self.ending.paused(reading_coming=not self.overlap.overlapping)
        speech_ms = self.overlap.voice_paused(at_ms)
        if speech_ms is not None:
            # A real interruption ("wait", "no") stops the bot as soon as its words are known.
            self._judge = asyncio.create_task(self._judge_overlap(audio, speech_ms))
            return
        task = asyncio.create_task(self._speculate(audio, pause))
        self._speculation = (self._stream_ms, task)

    def _drop_speculation(self) -> None:
        """The caller spoke again: the speculative pass is stale. Cancelled, it never runs
        if it is still waiting for the speech pool (it may be running: then it finishes)."""
        speculation, self._speculation = self._speculation, None
        if speculation is not None and not speculation[1].done():
            speculation[1].cancel()

    def _idle(self) -> bool:
        """Nothing else under way: no reply playing, no turn queued or being taken."""
        return not self.player.speaking and self.worker.turns.empty() and not self.worker.taking

    def _answer_early(self, early: EarlyReply) -> None:
        """Start the reply to the finished request heard so far before its turn is taken
        (its first sentence, synthesized during the speculation)."""
        self.early.begin(early.decision)
        self.ending.answering()
        self.player.begin()
        self.player.add(early.sentence, early.mulaw)

    async def _recover_early(self) -> None:
        """The caller went on while an early reply had begun: cut it off; it is one turn."""
        if not self.early.cut_off():
            return
        await self.player.stop()
        self.metrics.early_answers_cut.inc()
        log.info("call %s: the caller went on; the early reply stops", self.call_sid)

    async def _on_turn_end(self, event: TurnEnded) -> None:
        read, waited = self.ending.reading, self.ending.silence_needed
        if self.ending.answered:  # the reply began at min_ms; the turn was taken later
            waited = self.settings.min_ms
        self.ending.resumed()
        now = loop_clock()
        voice_end = now - max(0.0, self._stream_ms - event.last_voice_ms) / 1000
        if self.overlap.skip_turn():  # a backchannel, already dealt with
            return
        ending = {f"end_{read.value}_ms": float(waited)}
        judge, self._judge = self._judge, None
        if self.overlap.overlapping and judge is not None and not judge.done():
            # Still deciding backchannel or not: finish that off the receive loop.
            self._pending_judge = asyncio.create_task(
                self._after_judge(judge, event, voice_end, ending)
            )
            return
        if self.overlap.skip_turn():
            return
        self.overlap.stopped()
        await self._queue_speech(event, voice_end, ending)

    async def _after_judge(
        self,
        judge: asyncio.Task[None],
        event: TurnEnded,
        voice_end: float,
        ending: dict[str, float],
    ) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await judge
        if self.overlap.skip_turn():
            return
        self.overlap.stopped()
        await self._queue_speech(event, voice_end, ending)

    async def _queue_speech(
        self, event: TurnEnded, voice_end: float, ending: dict[str, float]
    ) -> None:
        speculation, self._speculation = self._speculation, None
        task = speculation[1] if speculation is not None else None
        queued = Queued(
            audio=event.audio,
            speculative=task,
            voice_end=voice_end,
            ending=ending,
            early=self.early.take(),
        )
        await self.worker.turns.put(queued)

    async def _speculate(self, audio: np.ndarray, pause: int) -> Timed:
        """During the pause: transcribe, read it for the end of the turn, and synthesize the
        reply we would give, so all is ready if the caller stays quiet. Nothing is stored;
        the turn decides for real."""
        try:
            timed = await self.hearing.transcribe(audio)
        except BaseException:
            self.ending.heard(pause, None)  # no reading: the fallback silence ends the turn
            raise
        transcript = timed.transcript
        decision: Decision | None = None
        if transcript.text:
            with contextlib.suppress(Exception):
                heard = Heard(transcript=transcript)
                decision = await self.calls.preview(self.call_sid, heard, self.caller)
        read = reading(transcript.text, decision)
        self.ending.heard(pause, read)
        first = next((s for p in decision.say for s in sentences(p)), None) if decision else None
        if decision is not None and first is not None:
            with contextlib.suppress(Exception):
                # Ready to play: the reply may begin before the turn is taken (recovery).
                early = EarlyReply(decision, first, await self.audio.mulaw(first))
                self.ending.heard(pause, read, early)
        return timed

    async def _judge_overlap(self, audio: np.ndarray, speech_ms: float) -> None:
        """The caller spoke briefly over the bot: a backchannel (go on) or a real turn?"""
        timed = await self.hearing.transcribe(audio)
        transcript = timed.transcript
        # Logs get no card numbers or codes either, and no digits while a PIN is asked for.
        said = (redact_secret if self.worker.expecting_code else redact)(transcript.text)
        log.info("call %s: over the bot: %r (%.0f ms)", self.call_sid, said, speech_ms)
        verdict = self.overlap.judged(transcript.text, speech_ms)
        if verdict is Verdict.SETTLED:
            return  # already confirmed as a barge-in
        if verdict is Verdict.BACKCHANNEL:
            self.metrics.backchannels.inc()
            log.info("call %s: backchannel %r, going on", self.call_sid, said)
            await self.player.resume()
            return
        self._speculation = (self._stream_ms, done(timed))
        await self._confirm_barge_in()

    async def _confirm_barge_in(self) -> None:
        log.info("call %s: barge-in; the bot stops", self.call_sid)
        self.overlap.stopped()
        await self.player.stop()

    async def _on_key(self, digit: str) -> None:
        self.worker.cancel_silence_timer()
        if self.player.speaking:
            await self.player.stop()
        if not self.worker.expecting_slot:
            await self.worker.turns.put(Queued(digits=digit))
            return
        if digit == "#":
            await self._flush_keys()
            return
        keypad = self.calls.engine.policy.keypad
        if digit == keypad and not self._keys and not self.worker.expecting_code:
            await self.worker.turns.put(Queued(digits=digit))
            return
        self._keys += digit
        if self._key_timer is not None:
            self._key_timer.cancel()
        loop = asyncio.get_running_loop()
        self._key_timer = loop.call_later(
            KEY_TIMEOUT_S, lambda: asyncio.ensure_future(self._flush_keys())
        )

    async def _flush_keys(self) -> None:
        if self._key_timer is not None:
            self._key_timer.cancel()
            self._key_timer = None
        digits, self._keys = self._keys, ""
        await self.worker.turns.put(Queued(digits=digits or "#"))
