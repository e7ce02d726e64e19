"""The agent console: one page served by the service. The page itself holds no data; every
request it makes needs the admin token (``Authorization: Bearer``), which the agent types
in or opens the page with as ``/console#token=...`` (a fragment never reaches the server
or its logs)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from voice.pages import packaged_page

router = APIRouter(tags=["console"])

_PAGE = resources.files("voice.console").joinpath("static/console.html")


@router.get("/console", response_class=HTMLResponse)
async def console() -> HTMLResponse:
    return packaged_page(_PAGE)
