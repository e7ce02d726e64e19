"""Reply audio for ``<Play>``: 8 kHz mono WAV under content-hashed, cacheable URLs.

Ids are keyed hashes of the text (see ``ReplyAudioCache``), so they cannot be guessed
from a reply's wording; the files never change, so they are cached for a year.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from voice.deps import Ctx

router = APIRouter(tags=["audio"])


@router.get("/audio/{audio_id}.wav")
async def reply_audio(audio_id: str, ctx: Ctx) -> FileResponse:
    path = ctx.cache.path(audio_id)
    if path is None:
        raise HTTPException(404, "no such audio")
    return FileResponse(
        path,
        media_type="audio/wav",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
