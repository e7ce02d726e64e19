"""Serving the built-in pages (agent console, analytics, admin): one place for their headers.

The pages hold no data: their scripts ask the JSON API with the admin token. Every page is
served uncached, never framed, and with a Content-Security-Policy that allows nothing from
elsewhere.
"""

from __future__ import annotations

from importlib.resources.abc import Traversable

from fastapi.responses import HTMLResponse

INLINE_SCRIPT_POLICY = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"


def packaged_page(
    resource: Traversable, *, policy: str = INLINE_SCRIPT_POLICY, **headers: str
) -> HTMLResponse:
    """The HTML of a packaged page with the security headers every page gets."""
    return HTMLResponse(
        resource.read_text(encoding="utf-8"),
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": policy,
            "X-Frame-Options": "DENY",
            **headers,
        },
    )
