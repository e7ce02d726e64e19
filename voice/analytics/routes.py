"""The analytics API (admin token) and its page.

The page, like the agent console, holds no data: it asks for the token (or takes it from
``#token=...``) and calls ``/api/analytics`` with it.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from voice.analytics.service import PAGE_PATH, Analytics
from voice.deps import Admin
from voice.pages import packaged_page

MAX_DAYS = 90

api_router = APIRouter(prefix="/api/analytics", tags=["analytics"], dependencies=[Admin])
page_router = APIRouter(tags=["analytics"])

_PAGE = resources.files("voice.analytics").joinpath("static/analytics.html")


def get_analytics(request: Request) -> Analytics:
    analytics: Analytics = request.app.state.analytics
    return analytics


AnalyticsDep = Annotated[Analytics, Depends(get_analytics)]


@api_router.get("")
async def report(
    analytics: AnalyticsDep,
    days: int = Query(14, ge=1, le=MAX_DAYS, description="local days, today included"),
    top: int = Query(10, ge=1, le=50, description="how many intents"),
) -> dict[str, Any]:
    return await analytics.report(days, top_intents=top)


@api_router.get("/alerts")
async def alerts(analytics: AnalyticsDep, limit: int = Query(20, ge=1, le=200)) -> dict[str, Any]:
    return {"alerts": await analytics.alerts(limit)}


@api_router.post("/check-spikes")
async def check_spikes(analytics: AnalyticsDep) -> dict[str, Any]:
    """Run the spike check now (the background task runs the same one)."""
    result = await analytics.monitor.check()
    return result.to_json()


@page_router.get(PAGE_PATH, response_class=HTMLResponse)
async def page() -> HTMLResponse:
    return packaged_page(_PAGE)
