"""Twilio webhooks of the hand-over: the agent's whisper, agents in turn, the queue.

``/twilio/whisper`` and ``/twilio/whisper-key`` run on the agent's leg (``<Number url>``);
the others on the caller's. All are signature-checked like every Twilio request.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response

from voice.deps import Ctx, TwilioForm
from voice.telephony.routes import guarded
from voice.wire.forms import MAX_QUEUE_POSITION, CallInfo, DialResult, int_param

log = logging.getLogger(__name__)
router = APIRouter(prefix="/twilio", tags=["twilio"])


def _caller_sid(request: Request) -> str:
    """The caller's call SID, passed in the query of URLs we built (agent-leg requests
    carry the agent leg's own CallSid)."""
    sid = request.query_params.get("call", "")
    if not sid.startswith("CA") or len(sid) > 64:
        raise HTTPException(400, "query parameter 'call' must be the caller's call SID")
    return sid


def _agent(request: Request) -> int:
    raw = request.query_params.get("agent", "0")
    if not raw.isdigit() or len(raw) > 2:
        raise HTTPException(400, "query parameter 'agent' must be a small number")
    return int(raw)


@router.post("/dial")
async def dial_ended(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)
    result = DialResult.parse(form)
    agent = _agent(request)

    async def run() -> str:
        step, spoken = await ctx.handoff.dial_ended(
            info.call_sid,
            agent=agent,
            status=result.status or "failed",
            dial_call_sid=result.dial_call_sid,
            duration_s=result.duration_s,
        )
        if step.kind == "done":
            return ctx.twiml.hangup()
        if step.kind == "dial":
            return ctx.twiml.dial_agent(spoken, agent=step.agent, call_sid=info.call_sid)
        if step.kind == "queue":
            priority, task = await ctx.handoff.queue_task(info.call_sid)
            queue = ctx.queue_name(priority)
            return ctx.twiml.enqueue(spoken, queue=queue, priority=priority, task=task)
        assert spoken is not None
        return ctx.twiml.reply(spoken, call_sid=info.call_sid)

    return await guarded(ctx, request, info.call_sid, run)


@router.post("/whisper")
async def whisper(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    caller_sid, agent = _caller_sid(request), _agent(request)

    async def run() -> str:
        spoken = await ctx.handoff.whisper(caller_sid)
        return ctx.twiml.whisper(spoken, agent=agent, call_sid=caller_sid)

    return await guarded(ctx, request, caller_sid, run)


@router.post("/whisper-key")
async def whisper_key(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    caller_sid = _caller_sid(request)

    async def run() -> str:
        accepted = await ctx.handoff.agent_key(caller_sid, form.get("Digits", "").strip())
        # An empty document ends the agent's TwiML: Twilio bridges the two calls.
        return ctx.twiml.empty() if accepted else ctx.twiml.hangup()

    return await guarded(ctx, request, caller_sid, run)


@router.post("/queue-wait")
async def queue_wait(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)
    position = int_param(form, "QueuePosition", high=MAX_QUEUE_POSITION) or 0
    waited = int_param(form, "QueueTime") or 0

    async def run() -> str:
        leave = waited >= ctx.settings.queue_max_wait_s
        spoken = None if leave else await ctx.handoff.position(info.call_sid, position)
        return ctx.twiml.queue_wait(spoken, hold_music=ctx.hold_music_url, leave=leave)

    return await guarded(ctx, request, info.call_sid, run)


@router.post("/queue-result")
async def queue_result(request: Request, ctx: Ctx, form: TwilioForm) -> Response:
    info = CallInfo.parse(form)

    async def run() -> str:
        spoken = await ctx.handoff.queue_ended(info.call_sid, form.get("QueueResult", ""))
        return ctx.twiml.hangup() if spoken is None else ctx.twiml.reply(spoken)

    return await guarded(ctx, request, info.call_sid, run)
