"""Twilio request checking: size, content type, and the ``X-Twilio-Signature`` header.

The URL Twilio signed is rebuilt from ``PUBLIC_BASE_URL`` (behind a proxy or tunnel the URL
the app sees differs). There is no switch that turns checking off.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"


def public_url(base_url: str, request: Request) -> str:
    """The absolute URL Twilio used for this request: public base + path + query string."""
    query = request.url.query
    return base_url + request.url.path + (f"?{query}" if query else "")


class SignatureChecker:
    def __init__(self, auth_token: str, base_url: str) -> None:
        self._validator = RequestValidator(auth_token)
        self.base_url = base_url

    def valid(self, url: str, params: dict[str, str], signature: str | None) -> bool:
        if not signature:
            return False
        try:
            return bool(self._validator.validate(url, params, signature))
        except Exception:  # a malformed signature must not become a 500
            return False

    def sign(self, url: str, params: dict[str, str]) -> str:
        """Compute the signature Twilio would send (used by the simulator and tests)."""
        return str(self._validator.compute_signature(url, params))


async def read_twilio_form(request: Request, checker: SignatureChecker) -> dict[str, str]:
    """Parse and verify a Twilio webhook; raise 4xx ``HTTPException`` on anything wrong."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise HTTPException(413, f"request body over {MAX_FORM_BYTES} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, f"request body over {MAX_FORM_BYTES} bytes")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and ctype != FORM_TYPE:
        raise HTTPException(415, f"Twilio webhooks are {FORM_TYPE}, got {ctype or 'none'}")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, f"malformed form body: {exc}") from exc
    params = dict(pairs)
    url = public_url(checker.base_url, request)
    if not checker.valid(url, params, request.headers.get("x-twilio-signature")):
        log.warning(
            "refused %s: bad or missing X-Twilio-Signature (signed URL %s)", request.url.path, url
        )
        raise HTTPException(403, "invalid Twilio signature")
    return params
