"""Twilio Media Streams: the WebSocket a live call's audio flows through, and what runs after.

A stream is accepted only when (1) the handshake's ``x-twilio-signature`` validates over the
``wss://`` URL (empty params), and (2) its ``start`` message carries, in
``customParameters``, the single-use ticket ``/twilio/voice`` issued for that very CallSid
moments before (``voice.store.tickets``). Otherwise it is closed with 1008, logged, and
nothing is stored. Who is calling comes from the stored call, never from ``start``. Frames
of another ``streamSid``, binary frames and malformed messages are dropped with a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, Request, Response, WebSocket, WebSocketDisconnect

from voice.deps import AppContext, Ctx, TwilioForm
from voice.dialog.state import Phase
from voice.dialog.turns import Action, Decision
from voice.telephony.player import Player
from voice.telephony.routes import guarded
from voice.telephony.stream_session import StreamSession
from voice.telephony.stream_settings import stream_settings
from voice.text import prompts
from voice.wire.forms import CallInfo
from voice.wire.media_stream import (
    STREAM_TOKEN_PARAMETER,
    Connected,
    ProtocolError,
    Start,
    Stop,
    StreamEvent,
    parse_message,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["twilio"])

START_TIMEOUT_S = 10.0
POLICY_VIOLATION = 1008


class _Binary(Exception):
    """A binary WebSocket frame: Twilio sends only JSON text."""


@router.websocket("/twilio/stream")
async def media_stream(ws: WebSocket) -> None:
    ctx: AppContext = ws.app.state.ctx
    query = ws.url.query
    url = ctx.settings.public_ws_url + ws.url.path + (f"?{query}" if query else "")
    await ws.accept()
    if not ctx.checker.valid(url, {}, ws.headers.get("x-twilio-signature")):
        log.warning("refused a media stream: bad or missing x-twilio-signature (URL %s)", url)
        await ws.close(code=POLICY_VIOLATION, reason="invalid Twilio signature")
        return
    try:
        start = await asyncio.wait_for(_await_start(ws), START_TIMEOUT_S)
    except (TimeoutError, ProtocolError, WebSocketDisconnect) as exc:
        log.warning("media stream closed before a valid start: %s", exc)
        with contextlib.suppress(Exception):
            await ws.close(code=POLICY_VIOLATION, reason="expected connected and start")
        return
    token = start.custom_parameters.get(STREAM_TOKEN_PARAMETER, "")
    try:
        claim = await ctx.store.claim_stream_ticket(
            token, call_sid=start.call_sid, stream_sid=start.stream_sid
        )
    except Exception:
        log.exception("call %s: could not check the stream's ticket; refused", start.call_sid)
        await ws.close(code=POLICY_VIOLATION, reason="stream not bound to a call")
        return
    if claim.call is None:
        log.warning(
            "refused a media stream for call %s (stream %s): %s",
            start.call_sid[:64],
            start.stream_sid[:64],
            claim.refusal,
        )
        await ws.close(code=POLICY_VIOLATION, reason="stream not bound to a call")
        return
    session = StreamSession(
        start,
        claim.call,
        calls=ctx.calls,
        audio=ctx.sentence_audio,
        player=Player(start.stream_sid, ws.send_text),
        close=ws.close,
        metrics=ctx.metrics,
        settings=stream_settings(ctx.settings),
    )
    ctx.metrics.active_streams.inc()
    ctx.metrics.calls.labels(mode="stream").inc()
    ctx.lines.opened(start.call_sid)
    dropped = 0
    try:
        await session.open()
        while True:
            try:
                event = await _receive(ws)
            except _Binary as exc:
                log.warning("call %s: ignoring a binary frame (%s)", start.call_sid, exc)
                continue
            except ProtocolError as exc:
                log.warning("call %s: ignoring a malformed stream message: %s", start.call_sid, exc)
                continue
            sid = getattr(event, "stream_sid", start.stream_sid)
            if sid != start.stream_sid:
                dropped += 1
                if dropped == 1 or dropped % 500 == 0:  # one line, not fifty a second
                    log.warning(
                        "call %s: dropped %d message(s) for stream %r (this stream is %s)",
                        start.call_sid,
                        dropped,
                        str(sid)[:64],
                        start.stream_sid,
                    )
                continue
            await session.on_event(event)
            if isinstance(event, Stop):
                break
    except (WebSocketDisconnect, RuntimeError) as exc:
        # RuntimeError: Starlette's "not connected" after the session closed the socket.
        log.info("call %s: media stream ended (%s)", start.call_sid, type(exc).__name__)
    finally:
        try:
            await session.shutdown()
        except Exception:  # what was heard is stored turn by turn; the gauge must still fall
            log.exception("call %s: the stream's teardown failed", start.call_sid)
        finally:
            ctx.metrics.active_streams.dec()
            ctx.lines.closed(start.call_sid)


async def _receive(ws: WebSocket) -> StreamEvent:
    """The next message as a typed event; ``_Binary`` or ``ProtocolError`` for one to skip."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        raise _Binary(f"{len(message.get('bytes') or b'')} bytes")
    return parse_message(text)


async def _await_start(ws: WebSocket) -> Start:
    while True:
        try:
            event = await _receive(ws)
        except _Binary as exc:
            raise ProtocolError(f"binary frame before start ({exc})") from exc
        if isinstance(event, Start):
            return event
        if not isinstance(event, Connected):
            raise ProtocolError(f"expected 'start', got {type(event).__name__}")


@router.post("/twilio/stream-ended")
async def stream_ended(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    """``<Connect action>``: the stream closed; carry out the hand-over it decided, end the
    call, or, if the stream dropped with the caller still there, go on turn by turn."""
    info = CallInfo.parse(form)

    async def run() -> str:
        phase = await ctx.calls.phase(info.call_sid)
        if phase is Phase.TRANSFERRING:
            return ctx.twiml.after_stream(None, Action.TRANSFER, call_sid=info.call_sid)
        if phase is Phase.VOICEMAIL:
            return ctx.twiml.after_stream(None, Action.VOICEMAIL)
        if phase is Phase.ENDED:
            return ctx.twiml.hangup()
        log.warning(
            "call %s: stream ended in phase %s; continuing turn by turn", info.call_sid, phase
        )
        spoken = await ctx.calls.speaker.speak(
            Decision(say=(prompts.LINE_DROPPED,), action=Action.LISTEN), call_sid=info.call_sid
        )
        return ctx.twiml.after_stream(spoken, Action.LISTEN)

    return await guarded(ctx, request, info.call_sid, run)
