"""The admin intents page and its script. Like the agent console, the page holds no data:
every request its script makes needs the admin token, typed in or given as
``/admin/intents#token=...`` (a fragment never reaches the server or its logs)."""

from __future__ import annotations

from importlib import resources
from typing import Final

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from voice.pages import packaged_page

router = APIRouter(tags=["admin"])

_STATIC = resources.files("voice.admin").joinpath("static")
_SCRIPTS: Final = {"intents.js"}
_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; "
    "media-src 'self' blob:; img-src 'self' data:"
)


@router.get("/admin/intents", response_class=HTMLResponse)
async def intents_page() -> HTMLResponse:
    return packaged_page(
        _STATIC.joinpath("intents.html"),
        policy=_POLICY,
        **{"Permissions-Policy": "microphone=(self)"},
    )


@router.get("/admin/static/{name}")
async def script(name: str) -> Response:
    if name not in _SCRIPTS:
        raise HTTPException(404, "no such file")
    return Response(
        _STATIC.joinpath(name).read_text(encoding="utf-8"),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
