"""JSON API behind the admin intents page. Needs ``Authorization: Bearer <ADMIN_TOKEN>``.

Everything reads the live active set (``ctx.intents``), so answers reflect the files as
last loaded; ``POST /api/intents/{name}/examples`` writes a file and reloads at once.
Matching, suggestion grouping, file edits and audio decoding run in worker threads.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from voice.admin.verdict import explain
from voice.deps import Admin, Ctx
from voice.errors import (
    AudioFormatError,
    DuplicateExample,
    IntentEditError,
    SpeechError,
    UnknownIntent,
)
from voice.intents.suggest import Utterance, suggest, unsure_below
from voice.pack.editor import add_example
from voice.pack.live import LiveIntents
from voice.speech.upload import decode_upload

router = APIRouter(prefix="/api/intents", tags=["admin"], dependencies=[Admin])

MAX_AUDIO_BYTES = 2 * 1024 * 1024
MAX_AUDIO_S = 30.0


class Phrase(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=500)]


def _live(ctx: Ctx) -> LiveIntents:
    if ctx.intents is None:
        raise HTTPException(503, "intents are not loaded")
    return ctx.intents


@router.get("")
async def list_intents(ctx: Ctx) -> dict[str, Any]:
    """Every intent with its examples, the matcher's threshold and margin, reload status."""
    live = _live(ctx)
    active = live.active
    intents = [
        {
            "name": name,
            "description": spec.description,
            "outcome": spec.outcome,
            "fulfillment": spec.fulfillment,
            "slots": [slot.name for slot in spec.slots],
            "file": active.intents.source[name].name,
            "examples": list(spec.examples),
        }
        for name, spec in active.intents.intents.items()
    ]
    return {
        "intents": intents,
        "threshold": active.matcher.threshold,
        "margin": active.matcher.margin,
        "status": live.status().to_json(),
    }


@router.get("/status")
async def status(ctx: Ctx) -> dict[str, Any]:
    return _live(ctx).status().to_json()


@router.post("/reload")
async def reload(ctx: Ctx) -> dict[str, Any]:
    """Load the files now (even if they look unchanged); a bad file keeps the old set."""
    live = _live(ctx)
    result = await live.reload(force=True)
    return {"changed": result.changed, "error": result.error, "status": live.status().to_json()}


@router.post("/try")
async def try_phrase(ctx: Ctx, phrase: Phrase) -> dict[str, Any]:
    """How the active matcher ranks ``text``, and whether it would accept the best."""
    return await _rank(_live(ctx), phrase.text)


@router.post("/try-audio")
async def try_audio(ctx: Ctx, request: Request) -> dict[str, Any]:
    """A recording (WAV, WebM, Ogg... at most 2 MiB and 30 s) through the app's
    speech-to-text, then ranked like ``/try``."""
    live = _live(ctx)
    data = await _read_limited(request, MAX_AUDIO_BYTES)
    try:
        audio = await asyncio.to_thread(decode_upload, data, max_s=MAX_AUDIO_S)
    except AudioFormatError as exc:
        raise HTTPException(415, f"could not read the recording: {exc}") from exc
    try:
        transcript = await ctx.calls.stt.transcribe(audio)
    except SpeechError as exc:
        raise HTTPException(503, f"speech recognition failed: {exc}") from exc
    heard = {
        "transcript": transcript.text,
        "stt_confidence": round(transcript.confidence, 4),
        "duration_s": round(transcript.duration_s, 2),
    }
    if not transcript.text:
        return {**heard, "ranked": [], "accepted": False, "reason": "no_speech",
                "why": "no words were heard in the recording"}  # fmt: skip
    return {**heard, **await _rank(live, transcript.text)}


@router.get("/suggestions")
async def suggestions(
    ctx: Ctx, days: int = Query(30, ge=1, le=365), limit: int = Query(50, ge=1, le=500)
) -> dict[str, Any]:
    """What callers said lately that the matcher is unsure of, grouped (see
    ``voice.intents.suggest``)."""
    matcher = _live(ctx).active.matcher
    since = datetime.now(UTC) - timedelta(days=days)
    rows = await ctx.store.caller_utterances(since=since, unsure_below=unsure_below(matcher))
    utterances = [Utterance(r["text"], r["intent"], r["confidence"]) for r in rows]
    found = await asyncio.to_thread(suggest, utterances, matcher)
    return {"days": days, "suggestions": [s.to_json() for s in found[:limit]]}


@router.post("/{name}/examples", status_code=201)
async def add(ctx: Ctx, name: str, phrase: Annotated[Phrase, Body()]) -> Any:
    """Append an example to the intent's file (comments and layout kept), then reload.

    409 when it is already an example (of any intent), 404 for an unknown intent, 422
    when the edit is refused (no words, personal data, files that would not load)."""
    live = _live(ctx)
    try:
        added = await asyncio.to_thread(
            add_example, live.directory, name, phrase.text, policy_path=live.policy_path
        )
    except DuplicateExample as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    except UnknownIntent as exc:
        return JSONResponse({"detail": str(exc)}, status_code=404)
    except IntentEditError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    result = await live.reload()  # at once: do not wait for the poller
    spec = live.active.intents.intents.get(name)
    return {
        "intent": name,
        "text": added.text,
        "file": added.path.name,
        "line": added.line,
        "examples": len(spec.examples) if spec else added.examples,
        "reloaded": result.changed or result.error is None,
        "status": live.status().to_json(),
    }


async def _rank(live: LiveIntents, text: str) -> dict[str, Any]:
    active = live.active
    match = await asyncio.to_thread(active.matcher.match, text)
    topic = active.escalation.topics.detect(text)
    return {
        "text": text,
        **explain(match, threshold=active.matcher.threshold, margin=active.matcher.margin),
        "topic": {"topic": topic.topic, "priority": topic.priority} if topic else None,
        "version": active.version,
    }


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, f"the recording is over {limit // 1024} KiB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"the recording is over {limit // 1024} KiB")
    return bytes(body)
