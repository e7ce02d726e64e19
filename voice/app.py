"""The FastAPI application: settings, store, models and intents wired at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from voice import __version__
from voice.admin.intents_api import router as admin_api_router
from voice.admin.routes import router as admin_router
from voice.analytics.routes import api_router as analytics_api_router
from voice.analytics.routes import page_router as analytics_page_router
from voice.analytics.service import start_analytics
from voice.api.routes import router as api_router
from voice.calls.capacity import LiveLines
from voice.calls.handoff import HandoffService
from voice.calls.sentence_audio import SentenceAudio, sentences
from voice.calls.service import CallService
from voice.calls.speaker import Speaker
from voice.config import Secrets, Settings, load_settings, resolve_secrets
from voice.console.routes import router as console_router
from voice.deps import Admin, AppContext
from voice.dialog.engine import DialogEngine
from voice.dialog.verification import Verifier
from voice.dialog.view import DialogSettings
from voice.engines import Engines, load_engines, matcher_factory
from voice.fulfillment.base import Fulfillment
from voice.fulfillment.demo import DemoFulfillment
from voice.fulfillment.http import HttpFulfillment
from voice.handoff.webhook import Notifier
from voice.intents.vocabulary import vocabulary_prompt
from voice.metrics import Metrics
from voice.pack.live import ActiveSet, LiveIntents
from voice.speech.cache import ReplyAudioCache
from voice.speech.stt import WhisperSTT
from voice.store.aio import AsyncStore
from voice.store.alerts import ALERT_EVENT
from voice.store.repo import Store
from voice.telephony.audio_routes import hold_music_url
from voice.telephony.audio_routes import router as audio_router
from voice.telephony.routes import router as twilio_router
from voice.telephony.stream_routes import router as stream_router
from voice.telephony.transfer_routes import router as transfer_router
from voice.wire.messaging import TwilioMessages
from voice.wire.recordings import RecordingFetcher
from voice.wire.signature import SignatureChecker
from voice.wire.twiml import Twiml, TwimlSettings

log = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]


def create_app(
    settings: Settings | None = None,
    *,
    engines: Engines | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> FastAPI:
    """Build the app. ``engines`` and ``http_client`` may be shared or injected (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cfg = settings or load_settings()
        ctx, owned = await _build_context(cfg, engines, http_client)
        app.state.ctx = ctx
        try:
            app.state.analytics = await start_analytics(ctx, owned)
            yield
        finally:
            for close in owned:
                await close()

    app = FastAPI(title="Voice assistant", version=__version__, lifespan=lifespan)
    app.include_router(twilio_router)
    app.include_router(stream_router)
    app.include_router(transfer_router)
    app.include_router(audio_router)
    app.include_router(api_router)
    app.include_router(console_router)
    app.include_router(analytics_api_router)
    app.include_router(analytics_page_router)
    app.include_router(admin_api_router)
    app.include_router(admin_router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["ops"], dependencies=[Admin])
    async def metrics(request: Request) -> Response:
        ctx: AppContext = request.app.state.ctx
        return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "invalid request", "errors": details}, status_code=422)

    return app


async def _build_context(
    settings: Settings, engines: Engines | None, http_client: httpx.AsyncClient | None
) -> tuple[AppContext, list[Closer]]:
    closers: list[Closer] = []
    secrets = resolve_secrets(settings)
    if secrets.generated:
        log.warning(
            "development tokens in use (%s), kept in %s: ADMIN_TOKEN=%s. Set %s for production.",
            ", ".join(secrets.generated),
            (settings.data_dir / "dev-secrets.json").resolve(),
            secrets.admin_token,
            " and ".join(name.upper() for name in secrets.generated),
        )
    store = Store(settings.database)
    store.create_all()
    async_store = AsyncStore(store)
    if engines is None:
        engines = load_engines(settings)
        owned_engines = engines

        async def close_engines() -> None:
            owned_engines.close()

        closers.append(close_engines)
    if http_client is None:
        http_client = httpx.AsyncClient(follow_redirects=False)  # each caller checks its own hops
        closers.append(http_client.aclose)

    async def close_store() -> None:
        store.close()

    closers.append(close_store)
    cache = ReplyAudioCache(settings.audio_cache_path, engines.tts, secrets.audio_key)
    live = LiveIntents(
        settings.intents_dir,
        settings.policy_path,
        make_matcher=matcher_factory(settings, engines.sentences),
        sentences=engines.sentences,
    )
    metrics = Metrics()
    texts = _texts(settings, secrets, http_client)
    engine = DialogEngine.following(
        live,
        _fulfillment(settings, secrets.fulfillment_secret, http_client, metrics),
        DialogSettings(company=settings.company_name, agent_available=bool(settings.agents)),
        # Codes' hashes are keyed from the auth token: every instance checks any instance's.
        Verifier(key=derived_key(secrets.twilio_auth_token, "codes"), can_text=texts is not None),
    )
    fetcher = RecordingFetcher(
        http_client,
        account_sid=settings.twilio_account_sid,
        auth_token=secrets.twilio_auth_token,
        allowed_hosts=settings.allowed_recording_hosts,
    )
    speaker = Speaker(cache)
    notifier = Notifier(
        async_store,
        http_client,
        url=settings.handoff_webhook_url,
        secret=secrets.webhook_secret,
        exclude=frozenset({ALERT_EVENT}),  # alerts: their own notifier and secret
    )
    closers.insert(0, notifier.close)  # before the HTTP client and the store close
    await notifier.resume()
    notifier.sweep()  # and those of an instance that stops sending (it died)
    calls = CallService(async_store, engine, engines.stt, speaker, fetcher, notifier, texts)
    closers.insert(0, calls.close)

    async def warm(active: ActiveSet | None = None) -> None:
        if isinstance(engines.stt, WhisperSTT):  # the pack's words, for Whisper's prompt
            active_set = active or live.active
            engines.stt.use_vocabulary(vocabulary_prompt(active_set.intents, settings.company_name))
        await cache.warm(engine.static_phrases())
        if settings.voice_mode == "stream":  # the stream speaks sentence by sentence
            await cache.warm(s for phrase in engine.static_phrases() for s in sentences(phrase))

    await warm()
    live.on_change(warm)  # new or changed prompts after a reload
    if settings.intents_reload_s > 0:
        watcher = asyncio.create_task(live.watch(settings.intents_reload_s), name="intents")

        async def stop_watching() -> None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

        closers.insert(0, stop_watching)
    log.info(
        "ready: %d intents, public URL %s",
        len(live.active.intents.intents),
        settings.public_base_url,
    )
    ctx = AppContext(
        settings=settings,
        secrets=secrets,
        store=async_store,
        calls=calls,
        cache=cache,
        checker=SignatureChecker(secrets.twilio_auth_token, settings.public_base_url),
        twiml=Twiml(
            TwimlSettings(
                base_url=settings.public_base_url,
                agents=settings.agents,
                queue_name=settings.queue_name or None,
                workflow_sid=settings.taskrouter_workflow_sid,
                record_timeout_s=settings.record_timeout_s,
                record_max_length_s=settings.record_max_length_s,
                dial_timeout_s=settings.dial_timeout_s,
                ws_url=settings.public_ws_url,
            )
        ),
        metrics=metrics,
        sentence_audio=SentenceAudio(cache),
        handoff=HandoffService(calls, agents=settings.agents, queue=bool(settings.queue_name)),
        hold_music_url=hold_music_url(settings),
        intents=live,
        lines=LiveLines(settings.max_live_calls if settings.voice_mode == "stream" else 0),
    )
    metrics.watch_lines(ctx.lines, engines.stt if isinstance(engines.stt, WhisperSTT) else None)
    return ctx, closers


def _texts(
    settings: Settings, secrets: Secrets, client: httpx.AsyncClient
) -> TwilioMessages | None:
    """The sender of one-time codes, when SMS_FROM or a Messaging Service is set."""
    if not (settings.sms_from or settings.twilio_messaging_service_sid):
        return None
    return TwilioMessages(
        client,
        account_sid=settings.twilio_account_sid,
        auth_token=secrets.twilio_auth_token,
        sender=settings.sms_from,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        api_url=settings.twilio_api_url,
    )


def derived_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, derived from a configured secret."""
    return hmac.new(secret.encode(), f"voice-assistant:{purpose}".encode(), "sha256").digest()


def _fulfillment(
    settings: Settings, secret: bytes, client: httpx.AsyncClient, metrics: Metrics
) -> Fulfillment:
    """The bundled demo data, or the deployment's endpoint when FULFILLMENT_URL is set.

    The endpoint is asked with the shared async client on this event loop; the dialog
    waits for it from its worker thread (see ``HttpFulfillment``)."""
    if not settings.fulfillment_url:
        return DemoFulfillment()
    log.info(
        "lookups go to %s (timeout %g s)", settings.fulfillment_url, settings.fulfillment_timeout_s
    )
    return HttpFulfillment(
        client,
        base_url=settings.fulfillment_url,
        secret=secret,
        timeout_s=settings.fulfillment_timeout_s,
        metrics=metrics,
    )
