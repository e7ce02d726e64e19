"""Caller verification over the live Media Streams path: the balance is read only to a
verified caller; the PIN goes in on the keypad (``dtmf`` events) and a one-time code comes
by text message through Twilio's Messaging API (faked at the edge from its documented
request and answer). Neither the PIN nor the code reaches the database, the logs or
``/metrics``."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_settings
from tests.e2e.stream_line import CALLER, StreamLine, stream_line
from voice.dialog.verification import ATTESTED
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.local_server import serve_locally
from voice.simulator.stream_caller import StreamCaller

PIN = "2468"  # the demo account's (voice/fulfillment/demo.py)
BALANCE = "forty two dollars and fifteen cents"
SENDER = "+15005550001"


class FakeMessaging:
    """Twilio's ``Messages.json`` resource as documented: form in, ``201`` and JSON out."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.auth: list[str] = []
        self.app = FastAPI()
        self.app.post("/2010-04-01/Accounts/{account}/Messages.json")(self.create)

    async def create(self, account: str, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.sent.append(form)
        self.auth.append(request.headers.get("authorization", ""))
        body = '{"sid": "SM' + "a" * 32 + '", "status": "queued", "account_sid": "' + account + '"}'
        return Response(body, status_code=201, media_type="application/json")

    def code(self) -> str:
        found = re.search(r"\b(\d{6})\b", self.sent[-1]["Body"])
        assert found, self.sent[-1]
        return found.group(1)


@pytest.fixture
async def messaging() -> AsyncIterator[tuple[FakeMessaging, str]]:
    fake = FakeMessaging()
    async with serve_locally(fake.app) as base:
        yield fake, base


@pytest.fixture
async def line(
    tmp_path: Path,
    shared_data: Path,
    engines: Engines,
    caller_voice: CallerVoice,
    messaging: tuple[FakeMessaging, str],
) -> AsyncIterator[StreamLine]:
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        voice_mode="stream",
        sms_from=SENDER,
        twilio_api_url=messaging[1],
    )
    async with stream_line(settings, engines, caller_voice) as opened:
        yield opened


async def keys(caller: StreamCaller, digits: str) -> None:
    for digit in digits:
        await caller.press(digit)


def bot_said(record: dict[str, Any]) -> str:
    return " ".join(t["text"] for t in record["turns"] if t["speaker"] == "bot")


async def secrets_kept(line: StreamLine, tmp_path: Path, secrets: list[str], logs: str) -> None:
    """None of ``secrets`` in the database file, the log or ``/metrics``."""
    stored = (tmp_path / "voice.db").read_bytes()
    metrics = (await line.client.get("/metrics")).text
    for secret in secrets:
        assert secret.encode() not in stored
        assert secret not in metrics
        assert not re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9])", logs), secret


async def test_attested_caller_keys_the_pin_and_hears_the_balance(
    line: StreamLine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sid = "CA" + "a1" * 16
    params = await line.answer(sid, attestation=ATTESTED)
    async with line.stream(sid, params) as caller:
        await line.ask(caller, "What's my balance?")
        await caller.wait_until_quiet(0.8, timeout=30)
        await keys(caller, PIN + "#")
        record = await line.wait_for_turns(sid, 5, timeout=30)
        await caller.wait_until_quiet(0.8, timeout=30)
    record = await line.record(sid)
    assert "enter your PIN" in bot_said(record)
    assert BALANCE in bot_said(record)
    caller_texts = [t["text"] for t in record["turns"] if t["speaker"] == "caller"]
    assert caller_texts[-1] == "[code]"
    steps = [(v["factor"], v["outcome"]) for v in record["verifications"]]
    assert steps == [("attested", "passed"), ("pin", "asked"), ("pin", "passed")]
    await secrets_kept(line, tmp_path, [PIN], caplog.text)


async def test_a_spoofed_number_needs_the_pin_and_a_texted_code(
    line: StreamLine,
    tmp_path: Path,
    messaging: tuple[FakeMessaging, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake, _ = messaging
    sid = "CA" + "b2" * 16
    params = await line.answer(sid)  # no StirVerstat: the number is unproven
    async with line.stream(sid, params) as caller:
        await line.ask(caller, "What's my balance?")
        await caller.wait_until_quiet(0.8, timeout=30)
        await keys(caller, PIN + "#")
        await line.wait_for_turns(sid, 5, timeout=30)
        await caller.wait_until_quiet(0.8, timeout=30)
        assert BALANCE not in bot_said(await line.record(sid))  # one factor is not enough
        assert [m["To"] for m in fake.sent] == [CALLER]
        assert fake.sent[0]["From"] == SENDER
        basic = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        assert fake.auth == [f"Basic {basic}"]
        code = fake.code()
        await keys(caller, code + "#")
        await line.wait_for_turns(sid, 7, timeout=30)
        await caller.wait_until_quiet(0.8, timeout=30)
    record = await line.record(sid)
    assert "sent a six-digit code" in bot_said(record)
    assert BALANCE in bot_said(record)
    steps = [(v["factor"], v["outcome"]) for v in record["verifications"]]
    assert ("sms_code", "sent") in steps and steps[-1] == ("sms_code", "passed")
    await secrets_kept(line, tmp_path, [PIN, code], caplog.text)
