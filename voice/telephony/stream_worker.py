"""The turns of one live call, taken in order: decide, speak, store what was heard.

The session (the receive loop) queues each caller turn as it ends; the worker greets the
caller, then decides and answers one turn at a time, saying "one moment" when an answer is
slow, and queues a silent turn when the caller says nothing for ``silence_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from voice.calls.service import CallerTurn, CallService
from voice.dialog.turns import Action, Caller, Decision
from voice.dialog.verification import CODE_SLOTS
from voice.errors import CallUnderway
from voice.telephony.player import PlaybackReport, Player
from voice.telephony.stream_reply import Replies
from voice.telephony.stream_settings import CLOSE_AFTER_S, HOLD_ON_SILENCE_S
from voice.telephony.stream_turn import Hearing, Queued, loop_clock
from voice.text import prompts

log = logging.getLogger(__name__)

Close = Callable[[], Awaitable[None]]


class TurnWorker:
    """Decides and speaks the turns queued on ``turns`` (None ends it) for one call."""

    def __init__(
        self,
        call_sid: str,
        caller: Caller,
        *,
        account_sid: str,
        calls: CallService,
        hearing: Hearing,
        replies: Replies,
        player: Player,
        close: Close,
        silence_s: float,
    ) -> None:
        self.call_sid = call_sid
        self.caller = caller
        self.account_sid = account_sid
        self.calls = calls
        self.hearing = hearing
        self.replies = replies
        self.player = player
        self._close = close
        self.silence_s = silence_s
        self.turns: asyncio.Queue[Queued | None] = asyncio.Queue()
        self.taking = False  # deciding or speaking a turn
        self.closing = False  # the stream ends: store, but say nothing more
        self.heard_at_hang_up: PlaybackReport | None = None  # the reply the hang-up cut
        self.expecting_slot = False  # the last reply asked for a slot value (keys collect)
        self.expecting_code = False  # ... for a PIN or a one-time code (kept out of logs)
        self.reply_interrupted = False  # the caller talked over the last reply
        self._errors = 0
        self._silence_timer: asyncio.TimerHandle | None = None

    async def run(self, from_number: str, to_number: str) -> None:
        """Greet, then decide turns one at a time, in order."""
        try:
            decision = await self.calls.greet(
                self.call_sid,
                account_sid=self.account_sid,
                from_number=from_number,
                to_number=to_number,
                direction="inbound",
                status="in-progress",
            )
            await self._speak(decision, started=loop_clock(), timings={})
        except CallUnderway:  # never reached through a claimed ticket; kept as it is
            await self._finish_call()
            return
        except Exception:
            log.exception("call %s: could not greet", self.call_sid)
            self._errors = 2
            await self._recover()
            return
        while True:
            queued = await self.turns.get()
            if queued is None:
                return
            try:
                self.taking = True
                await self._take(queued)
                self._errors = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                self._errors += 1
                log.exception("call %s: turn failed (error #%d)", self.call_sid, self._errors)
                await self._recover()
            finally:
                self.taking = False

    async def _take(self, queued: Queued) -> None:
        started = loop_clock() if queued.voice_end is None else queued.voice_end
        heard = queued.heard
        held: str | None = None  # the "one moment" playing
        if heard is None and (queued.audio is not None or queued.speculative is not None):
            hearing = asyncio.create_task(self.hearing.hear(queued))
            if not self.player.speaking and not self.closing:
                # Speech recognition is backed up (a busy machine): "one moment", not silence.
                silent_s = loop_clock() - started  # since their last word
                after_s = max(0.0, HOLD_ON_SILENCE_S - silent_s)
                held = await self.replies.hold_on_while(hearing, after_s, prompts.ONE_MOMENT)
            heard = await hearing
            if heard.error is None and (heard.transcript is None or not heard.transcript.text):
                # Voice-like sound with no words (a cough, a click): not a turn.
                if not self.player.speaking or held:
                    self.arm_silence_timer()
                return
        timings = dict(heard.timings) if heard is not None else {}
        timings.update(queued.ending)
        speaking = self.player.speaking and not held
        early = queued.early if speaking and not self.player.paused else None
        interrupted, self.reply_interrupted = self.reply_interrupted, False
        if speaking and early is None:
            interrupted = True
            await self.player.stop()
        turn = CallerTurn(
            self.call_sid, self.caller, digits=queued.digits, heard=heard, interrupted=interrupted
        )
        deciding = asyncio.create_task(self.calls.decide(turn))
        if held is None and early is None and not self.closing:
            held = await self.replies.hold_on_while(deciding)
        decision = await deciding
        if self.closing:  # the stream ended: what the caller said is stored
            if (queued.early is not None or held) and self.heard_at_hang_up is not None:
                # They hung up while its early reply or its "one moment" played (the only
                # replies that play while a turn is decided): store what they heard of it.
                report = self.heard_at_hang_up
                if held:
                    timings["hold_on_ms"] = report.played_ms
                await self.replies.record(decision, report, started=started, timings=timings)
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
            if report.interrupted and decision.action is Action.LISTEN:
                # The caller spoke over the "one moment": their new words come next (queued),
                # not this answer. What they heard of it is stored.
                self.reply_interrupted = True
                await self.replies.record(decision, report, started=started, timings=timings)
                return
            said_first = " ".join(report.heard) if report.interrupted else held
        await self._speak(decision, started=started, timings=timings, said_first=said_first)

    async def _speak(
        self,
        decision: Decision,
        *,
        started: float,
        timings: dict[str, float],
        said_first: str | None = None,
        begun: bool = False,
    ) -> None:
        """Stream the reply; store what the caller actually heard (``said_first``: what they
        heard of a "one moment" before it). ``begun``: its first sentence is already playing
        (an early answer). Then listen, or close the stream for a hand-over or goodbye."""
        self.expecting_slot = decision.expecting is not None
        self.expecting_code = decision.expecting in CODE_SLOTS
        report = await self.replies.play(decision, timings, begun=begun)
        self.reply_interrupted = report.interrupted
        await self.replies.record(
            decision, report, started=started, timings=timings, said_first=said_first
        )
        if decision.action is Action.LISTEN:
            if not report.interrupted:
                self.arm_silence_timer()
        else:
            await self._finish_call()

    async def _finish_call(self) -> None:
        """Hand-over or goodbye: close the stream; Twilio then asks what comes next."""
        self.closing = True
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
                started=loop_clock(),
                timings={},
            )

    # -- silence --------------------------------------------------------------------------

    def arm_silence_timer(self) -> None:
        self.cancel_silence_timer()
        if self.closing:
            return
        loop = asyncio.get_running_loop()
        self._silence_timer = loop.call_later(
            self.silence_s,
            lambda: self.turns.put_nowait(Queued()),  # nothing heard: a silent turn
        )

    def cancel_silence_timer(self) -> None:
        if self._silence_timer is not None:
            self._silence_timer.cancel()
            self._silence_timer = None
