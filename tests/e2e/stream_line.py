"""A real server (uvicorn on loopback) in stream mode, and fake Twilio stream callers for it."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import numpy as np
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, RunningApp
from voice.app import create_app
from voice.config import Settings
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.local_server import serve_locally
from voice.simulator.stream_caller import StreamCaller, stream_parameters
from voice.speech.codecs import read_wav

PUBLIC_WS = PUBLIC_URL.replace("https://", "wss://") + "/twilio/stream"
CALLER = "+15005550006"


def call_params(call_sid: str, from_number: str = CALLER, attestation: str = "") -> dict[str, str]:
    """The signed ``/twilio/voice`` form Twilio posts for a new inbound call (``StirVerstat``
    only when ``attestation`` is given)."""
    params = {
        "CallSid": call_sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_number,
        "To": "+15005550001",
        "CallStatus": "in-progress",
        "Direction": "inbound",
    }
    return {**params, "StirVerstat": attestation} if attestation else params


class StreamLine(RunningApp):
    def __init__(self, app: FastAPI, base: str, client: httpx.AsyncClient, voice: CallerVoice):
        super().__init__(app, client)
        self.base = base
        self.voice = voice

    @asynccontextmanager
    async def caller(
        self,
        call_sid: str,
        *,
        token: str = AUTH_TOKEN,
        answered: bool = True,
        from_number: str = CALLER,
        **kwargs: Any,
    ) -> AsyncIterator[StreamCaller]:
        """A fake Twilio stream for ``call_sid``. ``answered``: first POST the signed
        ``/twilio/voice`` and stream with the ``<Parameter>``s of its ``<Stream>`` (the
        call's ticket), as Twilio does; otherwise stream with none (an unbound stream)."""
        params: dict[str, str] = {}
        if answered:
            params = await self.answer(call_sid, from_number=from_number)
        async with self.stream(call_sid, params, token=token, **kwargs) as caller:
            yield caller

    async def answer(
        self, call_sid: str, *, from_number: str = CALLER, attestation: str = ""
    ) -> dict[str, str]:
        """POST ``/twilio/voice`` for a new call; the ``<Stream>``'s parameters come back."""
        form = call_params(call_sid, from_number, attestation)
        response = await self.post("/twilio/voice", form)
        assert response.status_code == 200, response.text
        stream = ET.fromstring(response.text).find("Connect/Stream")
        assert stream is not None, response.text
        return stream_parameters(stream)

    def stream(
        self, call_sid: str, params: dict[str, str], *, token: str = AUTH_TOKEN, **kwargs: Any
    ) -> StreamCaller:
        """A fake Twilio stream sending exactly ``params`` as its custom parameters."""
        return StreamCaller(
            self.base.replace("http://", "ws://") + "/twilio/stream",
            public_ws_url=PUBLIC_WS,
            auth_token=token,
            account_sid=ACCOUNT_SID,
            call_sid=call_sid,
            custom_parameters=params,
            **kwargs,
        )

    async def speech(self, text: str) -> np.ndarray:
        return read_wav(await self.voice.say(text)).samples

    async def ask(
        self, caller: StreamCaller, text: str, *, quiet_s: float = 15, answer_s: float = 10
    ) -> float:
        """Once the bot is quiet (the greeting), say ``text``; returns when the first audio
        of the answer arrived (after the caller's last voiced frame)."""
        await caller.wait_until_quiet(0.6, timeout=quiet_s)
        await caller.play(await self.speech(text))
        assert caller.last_voice_sent_at is not None
        return await caller.wait_for_audio(after=caller.last_voice_sent_at, timeout=answer_s)

    async def post(self, path: str, params: dict[str, str]) -> httpx.Response:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
        return await self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})

    async def wait_for_turns(
        self, call_sid: str, count: int, timeout: float = 10
    ) -> dict[str, Any]:
        """The stored call once it has ``count`` turns (the server stores as calls go)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            record = await self.record(call_sid)
            if len(record["turns"]) >= count or asyncio.get_running_loop().time() > deadline:
                return record
            await asyncio.sleep(0.1)


@asynccontextmanager
async def stream_line(
    settings: Settings, engines: Engines, voice: CallerVoice
) -> AsyncIterator[StreamLine]:
    fetch = httpx.AsyncClient()
    app = create_app(settings, engines=engines, http_client=fetch)
    try:
        async with (
            serve_locally(app) as base,
            httpx.AsyncClient(base_url=base, timeout=30) as client,
        ):
            yield StreamLine(app, base, client, voice)
    finally:
        await fetch.aclose()
