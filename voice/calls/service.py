"""One call's turns, transport aside: load state, hear, decide, store, speak.

Every turn is written as soon as it happens (caller turn, then bot turn), so a crash loses
nothing already said. Errors in speech are turned into inputs the dialog understands
(``UNCLEAR``), never into silence. The dialog decides in a worker thread of its own
(``DIALOG_THREADS``): a lookup may wait on a fulfillment endpoint, the event loop must not.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Final, Protocol

from voice.calls.audit import (
    TextMessages,
    audit_handover,
    identity_at_greeting,
    verification_steps,
)
from voice.calls.speaker import Speaker, SpokenReply
from voice.dialog.engine import DialogEngine
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Caller, CallerInput, Decision, InputKind
from voice.dialog.verification import ATTESTED
from voice.errors import CallUnderway, RecordingUnavailable, SpeechError
from voice.fulfillment.base import CALL_SID
from voice.handoff.webhook import Notifier
from voice.speech.codecs import read_wav
from voice.speech.stt import SpeechToText, Transcript
from voice.store.aio import AsyncStore
from voice.text.redaction import redact, redact_secret

log = logging.getLogger(__name__)

DIALOG_THREADS: Final = 16  # turns decided at once; most of a turn's wait is a lookup


class Recordings(Protocol):
    """Where a ``<Record>`` turn's audio comes from (``voice.wire.recordings`` in service)."""

    async def fetch(self, url: str) -> bytes:
        """The recording at ``url`` as WAV bytes; RecordingUnavailable when it cannot be had."""
        ...

    def check_url(self, url: str) -> None:
        """RecordingUnavailable unless ``url`` may be fetched at all (host, scheme)."""
        ...


@dataclass
class Heard:
    """What we made of one caller recording, with the time each stage took (ms)."""

    transcript: Transcript | None
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class CallerTurn:
    """A caller turn as the transport delivers it: keys, or a recording to fetch."""

    call_sid: str
    caller: Caller
    digits: str = ""
    recording_url: str = ""
    heard: Heard | None = None  # already transcribed (e.g. by a live stream)
    interrupted: bool = False  # said over the bot's reply (a live stream's barge-in)


class CallService:
    def __init__(
        self,
        store: AsyncStore,
        engine: DialogEngine,
        stt: SpeechToText,
        speaker: Speaker,
        fetcher: Recordings,
        notifier: Notifier | None = None,
        texts: TextMessages | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.stt = stt
        self.speaker = speaker
        self.fetcher = fetcher
        self.notifier = notifier
        self.texts = texts
        self._dialog = ThreadPoolExecutor(DIALOG_THREADS, thread_name_prefix="dialog")

    async def start(
        self,
        call_sid: str,
        *,
        account_sid: str,
        from_number: str,
        to_number: str,
        direction: str,
        status: str,
        attestation: str = "",
    ) -> SpokenReply:
        started = time.perf_counter()
        decision = await self.greet(
            call_sid,
            account_sid=account_sid,
            from_number=from_number,
            to_number=to_number,
            direction=direction,
            status=status,
            attestation=attestation,
        )
        return await self.speak(call_sid, decision, started=started)

    async def greet(
        self,
        call_sid: str,
        *,
        account_sid: str,
        from_number: str,
        to_number: str,
        direction: str,
        status: str,
        attestation: str | None = None,
    ) -> Decision:
        """Open the call in the store and decide the greeting (not spoken yet).

        ``attestation`` is the webhook's ``StirVerstat`` (recorded here); None: already
        recorded by ``record_attestation`` when the call was opened (a live stream).
        ``CallUnderway`` when the call had already moved past its greeting or ended (a
        replayed webhook): its state is never reset."""
        await self._open_fresh(
            call_sid,
            account_sid=account_sid,
            from_number=from_number,
            to_number=to_number,
            direction=direction,
            status=status,
        )
        state = CallState()
        if attestation is not None:
            await self.record_attestation(call_sid, attestation)
        await identity_at_greeting(self.store, self.engine, call_sid, state, from_number)
        decision = self.engine.greet(state)
        await self._commit(call_sid, state, decision)
        return decision

    async def turn_away(
        self,
        call_sid: str,
        *,
        account_sid: str,
        from_number: str,
        to_number: str,
        direction: str,
        status: str,
        attestation: str,
    ) -> SpokenReply:
        """A new call there is no line for: opened and stored like any call, then told the
        lines are busy and handed over (``Engine.turn_away``), never greeted by the bot.
        ``CallUnderway`` for a replayed webhook, as ``greet``."""
        started = time.perf_counter()
        await self._open_fresh(
            call_sid,
            account_sid=account_sid,
            from_number=from_number,
            to_number=to_number,
            direction=direction,
            status=status,
        )
        await self.record_attestation(call_sid, attestation)
        state = CallState()
        decision = self.engine.turn_away(state)
        await self._commit(call_sid, state, decision)
        return await self.speak(call_sid, decision, started=started)

    async def _open_fresh(
        self,
        call_sid: str,
        *,
        account_sid: str,
        from_number: str,
        to_number: str,
        direction: str,
        status: str,
    ) -> None:
        """Open the call in the store; ``CallUnderway`` if it already existed and has moved
        past its greeting or ended (a replayed ``/twilio/voice``): its state stays as it is."""
        created = await self.store.open_call(
            call_sid,
            account_sid=account_sid,
            from_number=from_number,
            to_number=to_number,
            direction=direction,
            status=status or "in-progress",
        )
        if created:
            return
        state = await self._state(call_sid)
        if not _fresh(state) or await self.store.call_ended(call_sid):
            log.warning(
                "call %s: /twilio/voice again in phase %s; state kept (a replayed webhook?)",
                call_sid,
                state.phase,
            )
            raise CallUnderway(call_sid)

    async def record_attestation(self, call_sid: str, attestation: str) -> None:
        """Audit the carrier's verdict on the calling number; only ``A`` is a factor."""
        await self.store.add_verification(
            call_sid,
            factor="attested",
            outcome="passed" if attestation == ATTESTED else "failed",
            detail=attestation or "none",
        )

    async def turn(self, turn: CallerTurn) -> SpokenReply:
        """Decide on a caller turn, then synthesize the whole reply (webhook mode)."""
        started = time.perf_counter()
        decision = await self.decide(turn)
        return await self.speak(turn.call_sid, decision, started=started)

    async def decide(self, turn: CallerTurn) -> Decision:
        """Hear (if needed) and decide; store the caller turn, state and any transfer."""
        state = await self._state(turn.call_sid)
        secret = state.phase == Phase.VERIFYING  # a PIN or code: its digits are never kept
        timings: dict[str, float] = {}
        if turn.digits:
            heard_input = CallerInput(kind=InputKind.DTMF, digits=turn.digits, confidence=1.0)
            text, kind = turn.digits, InputKind.DTMF
        else:
            heard = turn.heard or await self.hear(turn.call_sid, turn.recording_url)
            timings.update(heard.timings)
            heard_input = replace(_to_input(heard), interrupted=turn.interrupted)
            text, kind = heard_input.text, heard_input.kind
        t0 = time.perf_counter()
        decision: Decision | None = None
        try:
            decision = await self._handle(turn.call_sid, state, heard_input, turn.caller)
        finally:
            timings["match_ms"] = _ms(t0)
            if decision is not None and "lookup_ms" in decision.details:
                timings["lookup_ms"] = float(decision.details["lookup_ms"])
            if decision is not None and "understood_as" in decision.details:
                # The bot acted on a runner-up reading of the words: that is the turn's text.
                text = decision.details["understood_as"]
                timings["reading"] = float(decision.details["reading"])
            # Whatever happens next, what the caller said is stored.
            confidence = heard_input.confidence
            if decision is not None and decision.confidence is not None:
                confidence = decision.confidence
            await self.store.add_turn(
                turn.call_sid,
                speaker="caller",
                kind=kind.value,
                text=redact_secret(text) if secret else redact(text),
                intent=decision.intent if decision else None,
                confidence=confidence,
                timings=timings,
                recording_url=turn.recording_url or None,
            )
        if decision.details.get("verification"):
            decision = await verification_steps(
                self.store,
                self.engine,
                self.texts,
                turn.call_sid,
                state,
                decision,
                turn.caller,
                lambda state, caller: self.run(
                    turn.call_sid, self.engine.code_not_sent, state, caller
                ),
            )
        await self._commit(turn.call_sid, state, decision, caller=turn.caller)
        return decision

    async def preview(self, call_sid: str, heard: Heard, caller: Caller) -> Decision:
        """What the dialog would answer to ``heard``, changing nothing (for speculation)."""
        state = await self._state(call_sid)
        return await self._handle(call_sid, state, _to_input(heard), caller)

    async def phase(self, call_sid: str) -> Phase:
        return (await self._state(call_sid)).phase

    async def escalate(self, call_sid: str, reason: str) -> Decision:
        """Hand over outside the dialog's own decisions (e.g. after internal errors)."""
        state = await self._state(call_sid)
        if state.phase in (Phase.TRANSFERRING, Phase.VOICEMAIL, Phase.ENDED):
            return Decision(say=(), action=Action.HANGUP)
        decision = self.engine.escalate(state, reason)
        await self._commit(call_sid, state, decision)
        return decision

    async def expecting_keys(self, call_sid: str) -> str | None:
        """What keys pressed now start: ``"slot"`` (a slot value), ``"code"`` (a PIN or a
        one-time code, where 0 is a digit too), or None."""
        phase = (await self._state(call_sid)).phase
        if phase == Phase.COLLECTING_SLOT:
            return "slot"
        return "code" if phase == Phase.VERIFYING else None

    async def hear(self, call_sid: str, recording_url: str) -> Heard:
        """Download and transcribe one recording; failures become ``Heard.error``."""
        timings: dict[str, float] = {}
        if not recording_url:
            return Heard(transcript=None, timings=timings)
        t0 = time.perf_counter()
        try:
            wav = await self.fetcher.fetch(recording_url)
            timings["download_ms"] = _ms(t0)
            t1 = time.perf_counter()
            transcript = await self.stt.transcribe(read_wav(wav))
            timings["stt_ms"] = _ms(t1)
        except (RecordingUnavailable, SpeechError) as exc:
            log.error("call %s: could not hear recording %s: %s", call_sid, recording_url, exc)
            return Heard(transcript=None, timings=timings, error=str(exc))
        return Heard(transcript=transcript, timings=timings)

    async def transfer_result(
        self, call_sid: str, *, status: str, dial_call_sid: str, duration_s: int | None
    ) -> SpokenReply | None:
        """Record the outcome of ``<Dial>``; a reply (voicemail prompt) when it failed."""
        transfer = await self.store.latest_transfer(call_sid)
        if transfer is not None:
            await self.store.update_transfer(
                transfer.id,
                status=status,
                dial_call_sid=dial_call_sid or None,
                duration_s=duration_s,
            )
        if status in ("completed", "answered"):
            state = await self._state(call_sid)
            if state.phase != Phase.ENDED:
                state.move_to(Phase.ENDED)
            await self.store.save_state(call_sid, state.phase.value, state.to_dict())
            return None
        state = await self._state(call_sid)
        if state.phase != Phase.TRANSFERRING:
            state = CallState(phase=Phase.TRANSFERRING)
        decision = self.engine.transfer_failed(state)
        await self._commit(call_sid, state, decision)
        return await self.speak(call_sid, decision, started=time.perf_counter())

    async def voicemail(
        self, call_sid: str, *, recording_url: str, recording_sid: str, duration_s: int | None
    ) -> SpokenReply:
        heard = await self.hear(call_sid, recording_url)
        transcript = heard.transcript.text if heard.transcript else ""
        empty = not recording_url
        if not empty:
            await self.store.add_voicemail(
                call_sid,
                recording_url=recording_url,
                recording_sid=recording_sid or None,
                duration_s=duration_s or 0,
                transcript=redact(transcript),
            )
            await self.store.add_turn(
                call_sid,
                speaker="caller",
                kind="voicemail",
                text=redact(transcript),
                timings=heard.timings,
                recording_url=recording_url,
            )
        state = await self._state(call_sid)
        decision = self.engine.voicemail_taken(state, empty=empty)
        await self._commit(call_sid, state, decision)
        return await self.speak(call_sid, decision, started=time.perf_counter())

    # -- internals --------------------------------------------------------------------------

    async def _handle(
        self, call_sid: str, state: CallState, heard: CallerInput, caller: Caller
    ) -> Decision:
        """``engine.handle`` in a dialog thread, with ``CALL_SID`` set for lookups."""
        return await self.run(call_sid, self.engine.handle, state, heard, caller)

    async def run(self, call_sid: str, step: Callable[..., Decision], *args: Any) -> Decision:
        """A dialog entry point in a dialog thread, with ``CALL_SID`` set for lookups."""
        context = contextvars.copy_context()
        context.run(CALL_SID.set, call_sid)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._dialog, context.run, step, *args)

    async def close(self) -> None:
        """Let the dialog threads go (a turn in progress finishes on its own)."""
        self._dialog.shutdown(wait=False, cancel_futures=True)

    async def _state(self, call_sid: str) -> CallState:
        stored = await self.store.get_state(call_sid)
        if stored is None:
            return CallState()
        return CallState.from_dict(stored[1])

    async def speak(self, call_sid: str, decision: Decision, *, started: float) -> SpokenReply:
        """Synthesize every phrase of the reply and store the bot's turn."""
        t0 = time.perf_counter()
        reply = await self.speaker.speak(decision, call_sid=call_sid)
        timings = {"tts_ms": _ms(t0), "total_ms": _ms(started)}
        await self.record_bot_turn(call_sid, decision, text=decision.text, timings=timings)
        return reply

    async def record_bot_turn(
        self, call_sid: str, decision: Decision, *, text: str, timings: dict[str, float]
    ) -> None:
        """Store what the bot said (for a stream: what was actually played)."""
        await self.store.add_turn(
            call_sid,
            speaker="bot",
            kind=decision.action.value,
            text=redact(text),
            intent=decision.intent,
            confidence=decision.confidence,
            timings=timings,
        )

    async def _commit(
        self, call_sid: str, state: CallState, decision: Decision, *, caller: Caller | None = None
    ) -> None:
        await self.store.save_state(call_sid, state.phase.value, state.to_dict())
        if decision.action not in (Action.TRANSFER, Action.VOICEMAIL) or not decision.reason:
            return
        target = "agent" if decision.action is Action.TRANSFER else "voicemail"
        transfer_id = await self.store.add_transfer(call_sid, reason=decision.reason, target=target)
        if decision.action is Action.VOICEMAIL:
            await self.store.update_transfer(transfer_id, status="voicemail")
        await audit_handover(
            self.store, self.engine, self.notifier, call_sid, state, decision, caller
        )


def _to_input(heard: Heard) -> CallerInput:
    if heard.error is not None:
        return CallerInput(kind=InputKind.UNCLEAR)
    transcript = heard.transcript
    if transcript is None or transcript.no_speech or not transcript.text.strip():
        return CallerInput(kind=InputKind.SILENCE)
    return CallerInput(
        kind=InputKind.SPEECH,
        text=transcript.text.strip(),
        confidence=transcript.confidence,
        alternatives=transcript.alternatives,
    )


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


_GREETED = CallState(phase=Phase.LISTENING).to_dict()


def _fresh(state: CallState) -> bool:
    """Nothing has happened yet but (at most) the greeting: greeting again changes nothing."""
    return state.phase is Phase.GREETING or state.to_dict() == _GREETED
