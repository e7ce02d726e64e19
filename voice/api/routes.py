"""Read-only JSON API over stored calls. Needs ``Authorization: Bearer <ADMIN_TOKEN>``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from voice.deps import Admin, Ctx

router = APIRouter(prefix="/api", tags=["api"], dependencies=[Admin])


@router.get("/calls")
async def list_calls(
    ctx: Ctx,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    calls = await ctx.store.list_calls(limit=limit, offset=offset)
    return {"calls": calls, "limit": limit, "offset": offset}


@router.get("/calls/{call_sid}")
async def get_call(call_sid: str, ctx: Ctx) -> dict[str, Any]:
    if not call_sid.startswith("CA") or len(call_sid) > 64:
        raise HTTPException(400, "call_sid must be a Twilio call SID (CA...)")
    call = await ctx.store.get_call(call_sid)
    if call is None:
        raise HTTPException(404, f"no call {call_sid}")
    return call
