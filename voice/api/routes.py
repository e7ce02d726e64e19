"""Read-only JSON API over stored calls. Needs ``Authorization: Bearer <ADMIN_TOKEN>``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse

from voice.deps import Admin, Ctx

router = APIRouter(prefix="/api", tags=["api"], dependencies=[Admin])

LIVE_POLL_S = 0.5
LIVE_MAX_S = 3600


@router.get("/calls")
async def list_calls(
    ctx: Ctx,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
    search: str | None = Query(None, max_length=100, description="caller number or words said"),
    caller: str | None = Query(None, max_length=40),
    handed_over: bool | None = Query(None),
) -> dict[str, Any]:
    calls = await ctx.store.list_calls(
        limit=limit,
        offset=offset,
        search=search or None,
        caller=caller or None,
        handed_over=handed_over,
    )
    return {"calls": calls, "limit": limit, "offset": offset}


@router.get("/calls/{call_sid}")
async def get_call(call_sid: str, ctx: Ctx) -> dict[str, Any]:
    if not call_sid.startswith("CA") or len(call_sid) > 64:
        raise HTTPException(400, "call_sid must be a Twilio call SID (CA...)")
    call = await ctx.store.get_call(call_sid)
    if call is None:
        raise HTTPException(404, f"no call {call_sid}")
    return call


@router.get("/calls/{call_sid}/live")
async def live_turns(call_sid: str, ctx: Ctx) -> StreamingResponse:
    """Server-sent events: every turn of the call as it is stored (already redacted), then
    ``event: end`` once the call is over. Works across instances: it reads the store."""
    if not call_sid.startswith("CA") or len(call_sid) > 64:
        raise HTTPException(400, "call_sid must be a Twilio call SID (CA...)")
    if await ctx.store.get_call(call_sid) is None:
        raise HTTPException(404, f"no call {call_sid}")

    async def events() -> AsyncIterator[str]:
        sent = 0
        quiet = 0
        deadline = time.monotonic() + LIVE_MAX_S
        while time.monotonic() < deadline:
            call = await ctx.store.get_call(call_sid)
            if call is None:
                break
            for turn in call["turns"][sent:]:
                yield f"event: turn\ndata: {json.dumps(turn)}\n\n"
            new = len(call["turns"]) - sent
            sent = len(call["turns"])
            ended = call.get("ended_at") is not None
            quiet = 0 if new else quiet + 1
            if ended and quiet >= 2:
                break
            if not new:
                yield ": keep-alive\n\n"
            await asyncio.sleep(LIVE_POLL_S)
        yield "event: end\ndata: {}\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
