"""Twilio Media Streams: the WebSocket a live call's audio flows through, and what runs after.

The handshake's ``x-twilio-signature`` is checked over the ``wss://`` URL (empty params);
a bad one is closed with 1008 before anything is stored. Call details arrive as the
``start`` message's ``customParameters``, never in the URL.
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
from voice.wire.media_stream import Connected, ProtocolError, Start, Stop, parse_message

log = logging.getLogger(__name__)
router = APIRouter(tags=["twilio"])

START_TIMEOUT_S = 10.0
POLICY_VIOLATION = 1008


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
    session = StreamSession(
        start,
        calls=ctx.calls,
        audio=ctx.sentence_audio,
        player=Player(start.stream_sid, ws.send_text),
        close=ws.close,
        metrics=ctx.metrics,
        settings=stream_settings(ctx.settings),
    )
    ctx.metrics.active_streams.inc()
    ctx.metrics.calls.labels(mode="stream").inc()
    params = start.custom_parameters
    try:
        await session.open(params.get("From", ""), params.get("To", ""))
        while True:
            text = await ws.receive_text()
            try:
                event = parse_message(text)
            except ProtocolError as exc:
                log.warning("call %s: ignoring a malformed stream message: %s", start.call_sid, exc)
                continue
            await session.on_event(event)
            if isinstance(event, Stop):
                break
    except (WebSocketDisconnect, RuntimeError) as exc:
        # RuntimeError: Starlette's "not connected" after the session closed the socket.
        log.info("call %s: media stream ended (%s)", start.call_sid, type(exc).__name__)
    finally:
        await session.shutdown()
        ctx.metrics.active_streams.dec()


async def _await_start(ws: WebSocket) -> Start:
    while True:
        event = parse_message(await ws.receive_text())
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
