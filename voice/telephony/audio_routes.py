"""Reply audio for ``<Play>``: 8 kHz mono WAV under content-hashed, cacheable URLs.

Ids are keyed hashes of the text (see ``ReplyAudioCache``), so they cannot be guessed
from a reply's wording; the files never change, so they are cached for a year.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from voice.config import Settings
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


HOLD_MUSIC = "hold-music.wav"


def hold_music_url(settings: Settings) -> str | None:
    """The public URL of the hold music in ``AUDIO_DIR``, or None if the file is missing."""
    if not (settings.audio_dir / HOLD_MUSIC).is_file():
        return None
    return f"{settings.public_base_url}/audio/static/{HOLD_MUSIC}"


@router.get("/audio/static/{name}")
async def static_audio(name: str, ctx: Ctx) -> FileResponse:
    """Fixed assets from ``AUDIO_DIR`` (hold music, earcons): WAV files by plain name only."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*\.wav", name):
        raise HTTPException(404, "no such audio")
    path = ctx.settings.audio_dir / name
    if not path.is_file():
        raise HTTPException(404, "no such audio")
    return FileResponse(
        path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"}
    )
