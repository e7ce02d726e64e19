"""Twilio webhooks for the turn-based mode. Every request is signature-checked first.

A caller never hears silence: any internal error becomes an apology, then a retry (the
``e`` query parameter counts consecutive errors) or a hand-over to a person.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, HTTPException, Request, Response

from voice.calls.service import CallerTurn
from voice.calls.speaker import SpokenReply
from voice.deps import AppContext, Ctx, TwilioForm
from voice.dialog.turns import Action, Caller, Decision
from voice.errors import CallUnderway, RecordingUnavailable
from voice.text import prompts
from voice.wire.forms import CallInfo, RecordingResult, StatusUpdate
from voice.wire.media_stream import STREAM_TOKEN_PARAMETER

log = logging.getLogger(__name__)
router = APIRouter(prefix="/twilio", tags=["twilio"])

MAX_ERRORS_BEFORE_HANDOVER = 1
IDEMPOTENCY_HEADER = "i-twilio-idempotency-token"


def _xml(body: str) -> Response:
    return Response(content=body, media_type="text/xml")


def _errors(request: Request) -> int:
    raw = request.query_params.get("e", "0")
    return int(raw) if raw.isdigit() and len(raw) < 3 else 0


async def guarded(
    ctx: AppContext,
    request: Request,
    call_sid: str,
    run: Callable[[], Awaitable[str]],
) -> Response:
    """Run a handler; replay a retried request; turn any failure into a spoken apology."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key:
        try:
            cached = await ctx.store.get_reply(key)
        except Exception:
            log.exception("call %s: idempotency lookup failed", call_sid)
            cached = None
        if cached is not None:
            return _xml(cached)
    try:
        body = await run()
    except Exception:
        errors = _errors(request) + 1
        log.exception(
            "call %s: internal error handling %s (error #%d)", call_sid, request.url.path, errors
        )
        body = await _trouble(ctx, retry=errors <= MAX_ERRORS_BEFORE_HANDOVER, errors=errors)
        return _xml(body)
    if key:
        try:
            await ctx.store.put_reply(key, body)
        except Exception:
            log.exception("call %s: could not store idempotent reply", call_sid)
    return _xml(body)


async def _trouble(ctx: AppContext, *, retry: bool, errors: int) -> str:
    text = prompts.RETRY if retry else prompts.TECHNICAL_TROUBLE
    spoken: SpokenReply | None = None
    try:
        action = Action.LISTEN if retry else Action.TRANSFER
        spoken = await ctx.calls.speaker.speak(Decision(say=(text,), action=action))
    except Exception:
        log.exception("apology synthesis failed; falling back to Twilio's voice")
    return ctx.twiml.trouble(spoken, text=text, retry=retry, errors=errors)


def recording_of(ctx: AppContext, form: dict[str, str]) -> RecordingResult:
    """The ``<Record action>`` fields; a ``RecordingUrl`` we would never fetch (not https on
    an allowed host) is a 400 before anything is stored."""
    recording = RecordingResult.parse(form)
    if recording.url:
        try:
            ctx.calls.fetcher.check_url(recording.url)
        except RecordingUnavailable as exc:
            raise HTTPException(400, f"Twilio parameter RecordingUrl refused: {exc}") from exc
    return recording


@router.post("/voice")
async def incoming_call(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)
    opening = {  # what a new call is opened with
        "account_sid": info.account_sid,
        "from_number": info.from_number,
        "to_number": info.to_number,
        "direction": info.direction,
        "status": info.status,
        "attestation": info.attestation,
    }

    async def run() -> str:
        if ctx.settings.voice_mode == "stream" and not ctx.lines.admit(info.call_sid):
            log.warning(
                "call %s: all %d live lines in use; the busy path",
                info.call_sid,
                ctx.lines.capacity,
            )
            try:
                busy = await ctx.calls.turn_away(info.call_sid, **opening)
            except CallUnderway:  # a replayed webhook: the call's state stays as it is
                return ctx.twiml.hangup()
            return ctx.twiml.reply(busy, call_sid=info.call_sid)
        if ctx.settings.voice_mode == "stream":
            await ctx.store.open_call(
                info.call_sid,
                account_sid=info.account_sid,
                from_number=info.from_number,
                to_number=info.to_number,
                direction=info.direction,
                status=info.status or "in-progress",
            )
            token = secrets.token_urlsafe(32)
            if not await ctx.store.issue_stream_ticket(info.call_sid, token):
                log.warning(
                    "call %s: /twilio/voice for a call already under way or finished "
                    "(a replayed webhook?); no stream",
                    info.call_sid,
                )
                return ctx.twiml.hangup()
            await ctx.calls.record_attestation(info.call_sid, info.attestation)
            # The caller's number stays in the store: the stream is told only its ticket.
            return ctx.twiml.connect_stream({STREAM_TOKEN_PARAMETER: token})
        try:
            reply = await ctx.calls.start(info.call_sid, **opening)
        except CallUnderway:  # a replayed webhook: the call's state stays as it is
            return ctx.twiml.hangup()
        return ctx.twiml.reply(reply, call_sid=info.call_sid)

    return await guarded(ctx, request, info.call_sid, run)


@router.post("/turn")
async def caller_turn(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)
    recording = recording_of(ctx, form)

    async def run() -> str:
        caller = Caller(number=info.from_number)
        if recording.digits == "hangup":
            # The caller hung up while speaking: keep what they said, reply to nobody.
            await ctx.calls.turn(CallerTurn(info.call_sid, caller, recording_url=recording.url))
            return ctx.twiml.empty()
        if recording.digits:
            expecting = await ctx.calls.expecting_keys(info.call_sid)
            first_key = ("#", "*") if expecting == "code" else ("0", "#", "*")
            if expecting and recording.digits not in first_key:
                return ctx.twiml.collect_digits(recording.digits)
            reply = await ctx.calls.turn(CallerTurn(info.call_sid, caller, digits=recording.digits))
            return ctx.twiml.reply(reply, call_sid=info.call_sid)
        reply = await ctx.calls.turn(CallerTurn(info.call_sid, caller, recording_url=recording.url))
        return ctx.twiml.reply(reply, call_sid=info.call_sid)

    return await guarded(ctx, request, info.call_sid, run)


@router.post("/silence")
async def silence(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)

    async def run() -> str:
        reply = await ctx.calls.turn(CallerTurn(info.call_sid, Caller(number=info.from_number)))
        return ctx.twiml.reply(reply, call_sid=info.call_sid)

    return await guarded(ctx, request, info.call_sid, run)


@router.post("/keys")
async def keys(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)
    first = request.query_params.get("first", "")
    digits = (first if first.isdigit() else "") + form.get("Digits", "").strip()

    async def run() -> str:
        caller = Caller(number=info.from_number)
        reply = await ctx.calls.turn(CallerTurn(info.call_sid, caller, digits=digits or "#"))
        return ctx.twiml.reply(reply, call_sid=info.call_sid)

    return await guarded(ctx, request, info.call_sid, run)


@router.post("/voicemail")
async def voicemail(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)
    recording = recording_of(ctx, form)

    async def run() -> str:
        reply = await ctx.calls.voicemail(
            info.call_sid,
            recording_url=recording.url,
            recording_sid=recording.sid,
            duration_s=recording.duration_s,
        )
        return ctx.twiml.reply(reply, call_sid=info.call_sid)

    return await guarded(ctx, request, info.call_sid, run)


@router.post("/status")
async def status_callback(ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)
    update = StatusUpdate.parse(form)
    await ctx.store.apply_status(
        info.call_sid, status=update.status, sequence=update.sequence, duration_s=update.duration_s
    )
    return Response(status_code=204)


@router.post("/fallback")
async def fallback(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    """Twilio's Voice Fallback URL: the primary handler failed or timed out."""
    call_sid = form.get("CallSid", "")
    log.error(
        "call %s: Twilio used the fallback URL (ErrorCode %s, ErrorUrl %s)",
        call_sid,
        form.get("ErrorCode"),
        form.get("ErrorUrl"),
    )
    return _xml(await _trouble(ctx, retry=False, errors=MAX_ERRORS_BEFORE_HANDOVER + 1))
