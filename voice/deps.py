"""FastAPI dependency aliases: the app context, verified Twilio forms, the admin token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from voice.calls.handoff import HandoffService
from voice.calls.sentence_audio import SentenceAudio
from voice.calls.service import CallService
from voice.config import Secrets, Settings
from voice.handoff.transfer import queue_name
from voice.metrics import Metrics
from voice.pack.live import LiveIntents
from voice.speech.cache import ReplyAudioCache
from voice.store.aio import AsyncStore
from voice.wire.signature import SignatureChecker, read_twilio_form
from voice.wire.twiml import Twiml


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
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    expected = ctx.secrets.admin_token
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        raise HTTPException(
            401,
            "missing or wrong admin token: send 'Authorization: Bearer <ADMIN_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


Admin = Depends(require_admin)
