"""FastAPI dependency aliases: the app context, verified Twilio forms, the admin token."""

from __future__ import annotations

import hmac
import logging
import math
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from voice.calls.capacity import LiveLines
from voice.calls.handoff import HandoffService
from voice.calls.sentence_audio import SentenceAudio
from voice.calls.service import CallService
from voice.config import Secrets, Settings
from voice.handoff.transfer import queue_name
from voice.metrics import Metrics
from voice.pack.live import LiveIntents
from voice.speech.cache import ReplyAudioCache
from voice.store.aio import AsyncStore
from voice.throttle import FailureThrottle
from voice.wire.signature import SignatureChecker, read_twilio_form
from voice.wire.twiml import Twiml

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    settings: Settings
    secrets: Secrets
    store: AsyncStore
    calls: CallService
    cache: ReplyAudioCache
    checker: SignatureChecker
    twiml: Twiml
    metrics: Metrics
    sentence_audio: SentenceAudio
    handoff: HandoffService
    hold_music_url: str | None = None
    intents: LiveIntents | None = None  # the active intent set and its reloads
    lines: LiveLines = field(default_factory=lambda: LiveLines(0))  # live calls here
    admin_throttle: FailureThrottle = field(default_factory=FailureThrottle)

    def queue_name(self, priority: str) -> str:
        return queue_name(self.settings.queue_name or "support", priority)


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]


async def twilio_form(request: Request, ctx: Ctx) -> dict[str, str]:
    return await read_twilio_form(request, ctx.checker)


TwilioForm = Annotated[dict[str, str], Depends(twilio_form)]


def require_admin(request: Request, ctx: Ctx) -> None:
    """The admin token, with failed tries throttled per client address (429 and
    ``Retry-After`` while locked out; the token itself is never logged)."""
    client = request.client.host if request.client else "unknown"
    wait = ctx.admin_throttle.retry_after(client)
    if wait > 0:
        raise HTTPException(
            429,
            "too many wrong admin tokens from this address; try again later",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    expected = ctx.secrets.admin_token.encode()
    given = token.strip().encode("utf-8", "surrogateescape")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given, expected):
        failures = ctx.admin_throttle.failed(client)
        log.warning(
            "refused %s %s: %s admin token from %s (failure %d in a row)",
            request.method,
            request.url.path,
            "wrong" if token else "no",
            client,
            failures,
        )
        raise HTTPException(
            401,
            "missing or wrong admin token: send 'Authorization: Bearer <ADMIN_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    ctx.admin_throttle.succeeded(client)


Admin = Depends(require_admin)
