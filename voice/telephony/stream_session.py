"""One live call over a Twilio Media Stream: listen, detect the end of a turn, answer as audio.

The session owns three things: the caller's audio (fed frame by frame to a ``TurnDetector``),
the bot's audio (a ``Player``), and at most one turn being decided at a time. The receive loop
never waits on speech recognition or synthesis, so one slow call never holds up its own audio
or anyone else's.

Barge-in is pause-then-decide: when the caller's voice has lasted ``start_ms`` over the bot,
the bot pauses at once (``clear``). If the voice stops within a backchannel's length, the bot
resumes the sentence it was on straight away, and stops for good only if the words turn out
to be an interruption ("wait", "no"); "mhm", "okay" or a cough leave it talking. Longer
voice stops it and it listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from voice.calls.sentence_audio import SentenceAudio, sentences
from voice.calls.service import CallerTurn, CallService, Heard
from voice.config import Settings
from voice.dialog.turns import Action, Caller, Decision
from voice.errors import SpeechError
from voice.metrics import Metrics
from voice.speech.audio import Audio
from voice.speech.codecs import mulaw_decode
from voice.speech.stt import Transcript
from voice.speech.vad import StreamingVAD
from voice.telephony.player import PlaybackReport, Player
from voice.text import prompts
from voice.turntaking.backchannel import BACKCHANNEL_MAX_MS, is_backchannel
from voice.turntaking.detector import (
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    TurnDetector,
    TurnEnded,
)
from voice.turntaking.ending import EndOfTurn, TurnLimits, reading
from voice.wire.media_stream import Dtmf, Mark, Media, Start, Stop

log = logging.getLogger(__name__)

FRAME_MS = 20
KEY_TIMEOUT_S = 3.0  # between keypad digits of a slot value
CLOSE_AFTER_S = 15.0  # longest wait for the last words before a hand-over
# A decision still pending after this long (a lookup at a slow endpoint) gets a spoken
# "one moment": the caller never sits in silence wondering whether the line is dead.
HOLD_ON_AFTER_S = 0.6
# Silence after a short overlap before the bot picks its sentence up again: longer than the
# gap between two words, so "Actually, I ..." does not make it stutter.
RESUME_AFTER_MS = 250

Close = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class StreamSettings:
    end_ms: int = 600  # silence that ends a turn not yet read (see voice.turntaking.ending)
    min_ms: int = 450  # silence before a turn read as a finished request is answered
    max_ms: int = 1100  # silence that ends a turn read as unfinished
    start_ms: int = 80  # voice that starts one (and pauses the bot: cheap to undo)
    pause_ms: int = 120  # silence that starts speculative recognition
    silence_s: float = 6.0  # no answer at all for this long: a silent turn
    recover_ms: int = 450  # after an early reply began, silence before its turn is taken

    @property
    def limits(self) -> TurnLimits:
        return TurnLimits(
            min_ms=self.min_ms, end_ms=self.end_ms, max_ms=self.max_ms, recover_ms=self.recover_ms
        )


def stream_settings(settings: Settings) -> StreamSettings:
    """The live-call settings of the service's ``STREAM_*`` and ``TURN_*`` settings."""
    return StreamSettings(
        end_ms=settings.stream_end_ms,
        min_ms=settings.turn_min_ms,
        max_ms=settings.turn_max_ms,
        silence_s=settings.stream_silence_s,
        recover_ms=settings.turn_recover_ms,
        pause_ms=settings.stream_pause_ms,
    )


class StreamSession:
    def __init__(
        self,
        start: Start,
        *,
        calls: CallService,
        audio: SentenceAudio,
        player: Player,
        close: Close,
        metrics: Metrics,
        settings: StreamSettings,
    ) -> None:
        self.start = start
        self.call_sid = start.call_sid
        self.caller = Caller(number=start.custom_parameters.get("From", ""))
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
        self._stream_ms = 0.0  # stream time: 20 ms per inbound frame
        self._turns: asyncio.Queue[Queued | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._speculation: tuple[float, asyncio.Task[Timed]] | None = None
        self._barge: float | None = None  # stream time the overlapping voice began
        self._voiced = False  # the caller's voice is on right now
        self._judge: asyncio.Task[None] | None = None  # backchannel or barge-in?
        self._skip_turn_end = False  # the utterance was a backchannel: no turn
        self._pending_judge: asyncio.Task[None] | None = None
        self._resume_due = False  # a short overlap: resume the bot once the caller is quiet
        self._early: Decision | None = None  # a reply begun before its turn was taken
        self._taking = False  # the worker is deciding or speaking a turn
        self.early_cut = 0  # early replies cut off because the caller went on
        self._early_heard: PlaybackReport | None = None  # of an early reply the hang-up cut
        self._keys = ""
        self._key_timer: asyncio.TimerHandle | None = None
        self._silence_timer: asyncio.TimerHandle | None = None
        self._expecting_slot = False
        self._errors = 0
        self._closing = False

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self, from_number: str, to_number: str) -> None:
        """Start the turn worker; it greets the caller first (opening the call in the store)."""
        self._worker = asyncio.create_task(
            self._work(from_number, to_number), name=f"turns-{self.call_sid}"
        )

    async def shutdown(self) -> None:
        """The stream ended (stop, hang-up or a dropped socket): store what was heard."""
        self._closing = True
        for timer in (self._key_timer, self._silence_timer):
            if timer is not None:
                timer.cancel()
        stopped = await self.player.stop()  # a reply in progress is recorded as interrupted
        self._early_heard = stopped if self._early is not None else None
        last = self.detector.close(self._stream_ms)
        if last is not None:  # hung up mid-turn, or while an early reply was playing
            self._skip_turn_end = False
            await self._on_turn_end(last)
        await self._turns.put(None)
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
            self._closing = True

    async def _on_audio(self, frame: np.ndarray) -> None:
        self._stream_ms += len(frame) / 8
        for event in self.detector.push(frame, self._stream_ms):
            if isinstance(event, SpeechStarted):
                self._voiced = True
                await self._on_voice_start(event.at_ms)
            elif isinstance(event, SpeechPaused):
                self._voiced = False
                await self._on_pause(event.audio, event.at_ms)
            elif isinstance(event, SpeechResumed):
                self._voiced = True
                self._resume_due = False
                self.ending.resumed()
                self._drop_speculation()
                await self._recover_early()
                if self._judge is not None:
                    self._judge.cancel()
                    self._judge = None
                if self._barge is not None:  # resumed optimistically; they go on talking
                    await self.player.pause()
            elif isinstance(event, TurnEnded):
                self._voiced = False
                await self._on_turn_end(event)
        if self._resume_due and self.detector.silence_ms >= RESUME_AFTER_MS:
            self._resume_due = False
            if self._barge is not None:
                await self.player.resume()
        if self.detector.paused and self._early is None and self._idle():
            early = self.ending.early(self.detector.silence_ms)
            if early is not None:
                self._answer_early(early)
        if self.detector.paused and self.ending.due(self.detector.silence_ms):
            await self._on_turn_end(self.detector.end_turn(self._stream_ms))
        # Voice still on (no pause yet, and a pause is only seen pause_ms after it stops)
        # for longer than any backchannel: a real interruption.
        limit = BACKCHANNEL_MAX_MS + self.settings.pause_ms
        if self._barge is not None and self._voiced and self._stream_ms - self._barge > limit:
            await self._confirm_barge_in()

    async def _on_voice_start(self, at_ms: float) -> None:
        self._cancel_silence_timer()
        if self.player.speaking and not self.player.paused:
            self._barge = at_ms
            await self.player.pause()
            log.info("call %s: caller spoke over the bot at %.0f ms; paused", self.call_sid, at_ms)
            self.metrics.barge_in.observe(max(0.0, self._stream_ms - at_ms) / 1000)

    async def _on_pause(self, audio: np.ndarray, at_ms: float) -> None:
        pause = self.ending.paused(reading_coming=self._barge is None)
        if self._barge is not None:
            speech_ms = at_ms - self._barge - self.settings.pause_ms
            # Short enough to be "okay" or "mhm": go on once the caller has been quiet for
            # RESUME_AFTER_MS (not at a gap between two words), rather than leave the line
            # silent while Whisper decides; a real interruption ("wait", "no") stops the
            # bot as soon as its words are known.
            self._resume_due = speech_ms <= BACKCHANNEL_MAX_MS
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
        return not self.player.speaking and self._turns.empty() and not self._taking

    def _answer_early(self, early: EarlyReply) -> None:
        """Start the reply to the finished request heard so far before its turn is taken
        (its first sentence, synthesized during the speculation)."""
        self._early = early.decision
        self.ending.answering()
        self.player.begin()
        self.player.add(early.sentence, early.mulaw)

    async def _recover_early(self) -> None:
        """The caller went on while an early reply had begun: cut it off; it is one turn."""
        if self._early is None:
            return
        self._early = None
        await self.player.stop()
        self.early_cut += 1
        self.metrics.early_answers_cut.inc()
        log.info("call %s: the caller went on; the early reply stops", self.call_sid)

    async def _on_turn_end(self, event: TurnEnded) -> None:
        read, waited = self.ending.reading, self.ending.silence_needed
        if self.ending.answered:  # the reply began at min_ms; the turn was taken later
            waited = self.settings.min_ms
        self.ending.resumed()
        now = _clock()
        voice_end = now - max(0.0, self._stream_ms - event.last_voice_ms) / 1000
        if self._skip_turn_end:  # a backchannel, already dealt with
            self._skip_turn_end = False
            return
        ending = {f"end_{read.value}_ms": float(waited)}
        judge, self._judge = self._judge, None
        if self._barge is not None and judge is not None and not judge.done():
            # Still deciding backchannel or not: finish that off the receive loop.
            self._pending_judge = asyncio.create_task(
                self._after_judge(judge, event, voice_end, ending)
            )
            return
        if self._skip_turn_end:
            self._skip_turn_end = False
            return
        self._barge = None
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
        if self._skip_turn_end:
            self._skip_turn_end = False
            return
        self._barge = None
        await self._queue_speech(event, voice_end, ending)

    async def _queue_speech(
        self, event: TurnEnded, voice_end: float, ending: dict[str, float]
    ) -> None:
        speculation, self._speculation = self._speculation, None
        task = speculation[1] if speculation is not None else None
        early, self._early = self._early, None
        queued = Queued(
            audio=event.audio, speculative=task, voice_end=voice_end, ending=ending, early=early
        )
        await self._turns.put(queued)

    async def _speculate(self, audio: np.ndarray, pause: int) -> Timed:
        """During the pause: transcribe, read it for the end of the turn, and synthesize the
        reply we would give, so all is ready if the caller stays quiet. Nothing is stored;
        the turn decides for real."""
        try:
            timed = await self._transcribe(audio)
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
        timed = await self._transcribe(audio)
        transcript = timed.transcript
        log.info("call %s: over the bot: %r (%.0f ms)", self.call_sid, transcript.text, speech_ms)
        if self._barge is None:
            return  # already confirmed as a barge-in
        if is_backchannel(transcript.text, speech_ms) and not self._voiced:
            self.metrics.backchannels.inc()
            log.info("call %s: backchannel %r, going on", self.call_sid, transcript.text)
            self._barge, self._skip_turn_end = None, True
            await self.player.resume()
            return
        self._speculation = (self._stream_ms, _done(timed))
        await self._confirm_barge_in()

    async def _confirm_barge_in(self) -> None:
        log.info("call %s: barge-in; the bot stops", self.call_sid)
        self._barge = None
        await self.player.stop()

    async def _on_key(self, digit: str) -> None:
        self._cancel_silence_timer()
        if self.player.speaking:
            await self.player.stop()
        if not self._expecting_slot:
            await self._turns.put(Queued(digits=digit))
            return
        if digit == "#":
            await self._flush_keys()
            return
        if digit == self.calls.engine.policy.keypad and not self._keys:
            await self._turns.put(Queued(digits=digit))
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
        await self._turns.put(Queued(digits=digits or "#"))

    # -- turns ------------------------------------------------------------------------------

    async def _work(self, from_number: str, to_number: str) -> None:
        """Greet, then decide turns one at a time, in order."""
        try:
            decision = await self.calls.greet(
                self.call_sid,
                account_sid=self.start.account_sid,
                from_number=from_number,
                to_number=to_number,
                direction="inbound",
                status="in-progress",
            )
            await self._speak(decision, started=_clock(), timings={})
        except Exception:
            log.exception("call %s: could not greet", self.call_sid)
            self._errors = 2
            await self._recover()
            return
        while True:
            queued = await self._turns.get()
            if queued is None:
                return
            try:
                self._taking = True
                await self._take(queued)
                self._errors = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                self._errors += 1
                log.exception("call %s: turn failed (error #%d)", self.call_sid, self._errors)
                await self._recover()
            finally:
                self._taking = False

    async def _take(self, queued: Queued) -> None:
        started = _clock() if queued.voice_end is None else queued.voice_end
        heard = queued.heard
        if heard is None and (queued.audio is not None or queued.speculative is not None):
            heard = await self._hear(queued)
            if heard.error is None and (heard.transcript is None or not heard.transcript.text):
                # Voice-like sound with no words (a cough, a click): not a turn.
                if not self.player.speaking:
                    self._arm_silence_timer()
                return
        timings = dict(heard.timings) if heard is not None else {}
        timings.update(queued.ending)
        early = queued.early if self.player.speaking and not self.player.paused else None
        if self.player.speaking and early is None:
            await self.player.stop()
        turn = CallerTurn(self.call_sid, self.caller, digits=queued.digits, heard=heard)
        deciding = asyncio.create_task(self.calls.decide(turn))
        held = early is None and await self._hold_on_while(deciding)
        decision = await deciding
        if self._closing:  # the stream ended: what the caller said is stored
            if queued.early is not None and self._early_heard is not None:
                # They hung up while its early reply played: store what they heard of it.
                await self._record(decision, self._early_heard, started=started, timings=timings)
            return
        if early is not None:
            if early.say == decision.say:  # the reply under way is the answer: go on with it
                timings["answered_early"] = 1.0
                await self._speak(decision, started=started, timings=timings, begun=True)
                return
            await self.player.stop()
        said_first: str | None = None
        if held:
            # The reply follows the whole "one moment", not a cut-off half of it.
            report = await self.player.wait(timeout=CLOSE_AFTER_S)
            timings["hold_on_ms"] = report.played_ms
            said_first = " ".join(report.heard) if report.interrupted else prompts.HOLD_ON
        await self._speak(decision, started=started, timings=timings, said_first=said_first)

    async def _hold_on_while(self, deciding: asyncio.Task[Decision]) -> bool:
        """Say ``HOLD_ON`` if ``deciding`` is not done within ``HOLD_ON_AFTER_S``."""
        done, _ = await asyncio.wait({deciding}, timeout=HOLD_ON_AFTER_S)
        if done:
            return False
        try:
            data = await self.audio.mulaw(prompts.HOLD_ON)
        except SpeechError:
            return False
        if deciding.done():  # the answer came while the phrase was being fetched
            return False
        self.player.begin()
        self.player.add(prompts.HOLD_ON, data)
        self.player.finish()
        return True

    async def _hear(self, queued: Queued) -> Heard:
        """The turn's transcript: the speculative one if ready, else transcribed now.
        ``stt_ms`` is recognition compute time; ``stt_wait_ms`` what the turn waited for it."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        timed: Timed | None = None
        if queued.speculative is not None:
            with contextlib.suppress(SpeechError):
                timed = await queued.speculative
                timings["speculative"] = 1.0
        if timed is None:
            assert queued.audio is not None
            try:
                timed = await self._transcribe(queued.audio)
            except SpeechError as exc:
                log.error("call %s: could not transcribe: %s", self.call_sid, exc)
                return Heard(transcript=None, timings=timings, error=str(exc))
        timings["stt_wait_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        timings["stt_ms"] = timed.ms
        return Heard(transcript=timed.transcript, timings=timings)

    async def _transcribe(self, samples: np.ndarray) -> Timed:
        t0 = time.perf_counter()
        transcript = await self.calls.stt.transcribe(Audio(samples=samples, rate=8000))
        return Timed(transcript, round((time.perf_counter() - t0) * 1000, 1))

    async def _speak(
        self,
        decision: Decision,
        *,
        started: float,
        timings: dict[str, float],
        said_first: str | None = None,
        begun: bool = False,
    ) -> None:
        """Stream the reply sentence by sentence; store what the caller actually heard
        (``said_first``: what they heard of a "one moment" before it). ``begun``: its first
        sentence is already playing (an early answer)."""
        self._expecting_slot = decision.expecting is not None
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
        report = await self.player.wait(
            timeout=None if decision.action is Action.LISTEN else CLOSE_AFTER_S
        )
        await self._record(
            decision, report, started=started, timings=timings, said_first=said_first
        )
        if decision.action is Action.LISTEN:
            if not report.interrupted:
                self._arm_silence_timer()
        else:
            await self._finish_call()

    async def _record(
        self,
        decision: Decision,
        report: PlaybackReport,
        *,
        started: float,
        timings: dict[str, float],
        said_first: str | None = None,
    ) -> None:
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

    async def _finish_call(self) -> None:
        """Hand-over or goodbye: close the stream; Twilio then asks what comes next."""
        self._closing = True
        await self._close()

    async def _recover(self) -> None:
        """After an internal error: apologise and listen, or (twice in a row) hand over."""
        if self._errors >= 2:
            with contextlib.suppress(Exception):
                await self.calls.escalate(self.call_sid, "internal_error")
            await self._finish_call()  # /twilio/stream-ended hands the caller over
            return
        with contextlib.suppress(Exception):
            await self._speak(
                Decision(say=(prompts.RETRY,), action=Action.LISTEN),
                started=_clock(),
                timings={},
            )

    # -- silence ------------------------------------------------------------------------------

    def _arm_silence_timer(self) -> None:
        self._cancel_silence_timer()
        if self._closing:
            return
        loop = asyncio.get_running_loop()
        self._silence_timer = loop.call_later(
            self.settings.silence_s,
            lambda: self._turns.put_nowait(Queued()),  # nothing heard: a silent turn
        )

    def _cancel_silence_timer(self) -> None:
        if self._silence_timer is not None:
            self._silence_timer.cancel()
            self._silence_timer = None


def _clock() -> float:
    """Instants of the call (end of speech, first reply frame) on the event loop's clock,
    the one the ``Player`` paces audio by: monotonic in a real call, virtual in the spoken
    evaluation. Compute times (``stt_ms``...) are measured with ``time.perf_counter``."""
    return asyncio.get_running_loop().time()


@dataclass(frozen=True)
class Timed:
    """A transcript and the recognition compute time it took (ms)."""

    transcript: Transcript
    ms: float


def _done(timed: Timed) -> asyncio.Task[Timed]:
    """A finished task holding ``timed`` (a speculation already resolved)."""

    async def value() -> Timed:
        return timed

    return asyncio.ensure_future(value())


@dataclass(frozen=True)
class EarlyReply:
    """A speculation's answer, ready to begin: the decision and its first sentence's audio."""

    decision: Decision
    sentence: str
    mulaw: bytes


@dataclass
class Queued:
    """A caller turn waiting to be decided: keys, speech (maybe already transcribed or
    being transcribed speculatively), or nothing at all (a silent turn)."""

    digits: str = ""
    audio: np.ndarray | None = None
    speculative: asyncio.Task[Timed] | None = None
    heard: Heard | None = None
    voice_end: float | None = None  # _clock() of the caller's last voiced frame
    ending: dict[str, float] = field(default_factory=dict)  # {"end_<reading>_ms": waited}
    early: Decision | None = None  # the reply begun before the turn was taken
