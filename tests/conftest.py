"""Shared fixtures: the real speech engines (loaded once), apps on temporary data folders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from voice.app import create_app
from voice.config import Settings
from voice.deps import AppContext
from voice.dialog.verification import ATTESTED
from voice.engines import Engines, load_engines
from voice.intents.semantic import SentenceVectors
from voice.simulator.call import AgentOutcome, CallResult, QueueOutcome, SimulatedCall
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.simulator.script import Step
from voice.speech.audio import Audio
from voice.speech.tts import TextToSpeech

pytest_plugins = ["tests.pg"]  # the pg_url fixture, for every test folder

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_URL = "https://voice.example.test"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ADMIN_TOKEN = "test-admin-token"
ACCOUNT_SID = "AC" + "1" * 32
AGENT = "+14155550100"


def always_open_policy(folder: Path) -> Path:
    """The shipped policy without its opening hours, so tests never depend on the clock."""
    policy = yaml.safe_load((ROOT / "intents" / "policy.yaml").read_text())
    policy.pop("hours", None)
    path = folder / "policy-always-open.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test app: its own database in ``data_dir``, tokens fixed."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{data_dir / 'voice.db'}",
        "public_base_url": PUBLIC_URL,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "admin_token": ADMIN_TOKEN,
        "data_dir": data_dir,
        "intents_dir": ROOT / "intents",
        "agent_number": AGENT,
        "voice_mode": "turns",
        "policy_file": always_open_policy(data_dir),
        "recording_hosts": "api.twilio.com,127.0.0.1",  # the loopback RecordingHost
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class SessionVoice:
    """The bot's real voice, each text synthesized once per test session.

    Every test app starts by synthesizing all of its fixed prompts into its reply cache, and
    an app with a data folder of its own (a fresh cache) would synthesize them all again,
    about a minute of Piper each time. In production the reply cache keeps each text's audio
    once; here the session does, so every app still warms and plays real Piper audio. A
    failure is not kept (the next request tries again)."""

    def __init__(self, inner: TextToSpeech) -> None:
        self.inner = inner
        self._said: dict[str, Audio] = {}

    @property
    def name(self) -> str:
        return self.inner.name

    async def synthesize(self, text: str) -> Audio:
        audio = self._said.get(text)
        if audio is None:
            audio = await self.inner.synthesize(text)
            self._said[text] = audio  # shared, read-only (as Audio always is)
        return audio


@pytest.fixture(scope="session")
def engines() -> Iterator[Engines]:
    loaded = load_engines(Settings(_env_file=None))
    loaded.tts = SessionVoice(loaded.tts)
    yield loaded
    loaded.close()


@pytest.fixture(scope="session")
def sentences(engines: Engines) -> SentenceVectors:
    """The intent matcher's bundled sentence model, as the engines loaded it."""
    assert engines.sentences is not None, "the bundled sentence model is part of the install"
    return engines.sentences


@pytest.fixture(scope="session")
def recordings() -> Iterator[RecordingHost]:
    host = RecordingHost(ACCOUNT_SID, AUTH_TOKEN).start()
    yield host
    host.close()


@pytest.fixture(scope="session")
def caller_voice(engines: Engines) -> CallerVoice:
    return CallerVoice.bundled(engines.tts_pool)


class RunningApp:
    """An app under test and a client for it; reads calls back through the API."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    @property
    def ctx(self) -> AppContext:
        ctx: AppContext = self.app.state.ctx
        return ctx

    async def record(self, call_sid: str) -> dict[str, Any]:
        response = await self.client.get(
            f"/api/calls/{call_sid}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


class Line(RunningApp):
    """A running app plus a way to place simulated calls against it."""

    def __init__(
        self, app: FastAPI, client: httpx.AsyncClient, recordings: RecordingHost, voice: CallerVoice
    ) -> None:
        super().__init__(app, client)
        self.recordings = recordings
        self.voice = voice

    def call(
        self,
        *,
        agent: AgentOutcome | list[AgentOutcome] = "completed",
        queue: QueueOutcome = "bridged",
        from_number: str = "+15005550006",
        auth_token: str = AUTH_TOKEN,
        attestation: str = ATTESTED,
    ) -> SimulatedCall:
        return SimulatedCall(
            self.client,
            public_base_url=PUBLIC_URL,
            auth_token=auth_token,
            account_sid=ACCOUNT_SID,
            recordings=self.recordings,
            voice=self.voice,
            from_number=from_number,
            agent=agent,
            queue=queue,
            attestation=attestation,
        )

    async def run(self, steps: list[Step], **kwargs: Any) -> tuple[CallResult, dict[str, Any]]:
        result = await self.call(**kwargs).run(steps)
        return result, await self.record(result.call_sid)


@asynccontextmanager
async def open_line(
    settings: Settings, engines: Engines, recordings: RecordingHost, voice: CallerVoice
) -> AsyncIterator[Line]:
    fetch_client = httpx.AsyncClient()
    app = create_app(settings, engines=engines, http_client=fetch_client)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
                yield Line(app, client, recordings, voice)
    finally:
        await fetch_client.aclose()


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder (audio key, reply cache) for all test apps, so prompts are
    synthesized once per session; each test still gets its own database."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
async def line(
    tmp_path: Path,
    shared_data: Path,
    engines: Engines,
    recordings: RecordingHost,
    caller_voice: CallerVoice,
) -> AsyncIterator[Line]:
    settings = make_settings(shared_data, database_url=f"sqlite:///{tmp_path / 'voice.db'}")
    async with open_line(settings, engines, recordings, caller_voice) as opened:
        yield opened
