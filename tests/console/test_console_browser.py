"""The agent console in a real headless Chromium (Debian's, driven by Playwright; no browser
download): a call in progress streams its transcript into the page, and once the caller asks
for a person they appear in the queue with the summary."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.browser import CHROMIUM, chromium
from tests.conftest import ACCOUNT_SID, ADMIN_TOKEN, AUTH_TOKEN, PUBLIC_URL, make_settings
from voice.app import create_app
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.local_server import serve_locally
from voice.simulator.recording_host import RecordingHost

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium: apt-get install chromium"
)
SID = "CA" + "c" * 32
SCREENSHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS", "/tmp"))


class Phone:
    """Posts the signed webhooks Twilio would, one turn at a time."""

    def __init__(self, client: httpx.AsyncClient, recordings: RecordingHost, voice: CallerVoice):
        self.client, self.recordings, self.voice = client, recordings, voice
        self.base = {
            "CallSid": SID,
            "AccountSid": ACCOUNT_SID,
            "From": "+15005550006",
            "To": "+15005550001",
            "CallStatus": "in-progress",
            "Direction": "inbound",
        }

    async def post(self, path: str, extra: dict[str, str]) -> str:
        params = {**self.base, **extra}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
        response = await self.client.post(
            path, data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text
        return response.text

    async def say(self, text: str) -> str:
        sid, url = self.recordings.add(await self.voice.say(text))
        return await self.post(
            "/twilio/turn", {"RecordingUrl": url, "RecordingSid": sid, "RecordingDuration": "2"}
        )


@pytest.fixture
async def server(
    tmp_path: Path, shared_data: Path, engines: Engines
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    settings = make_settings(shared_data, database_url=f"sqlite:///{tmp_path / 'voice.db'}")
    fetch = httpx.AsyncClient()
    app = create_app(settings, engines=engines, http_client=fetch)
    async with serve_locally(app) as base, httpx.AsyncClient(base_url=base) as client:
        yield base, client
    await fetch.aclose()


async def test_console_follows_a_live_call_and_shows_the_transfer(
    server: tuple[str, httpx.AsyncClient], recordings: RecordingHost, caller_voice: CallerVoice
) -> None:
    from playwright.async_api import expect

    base, client = server
    phone = Phone(client, recordings, caller_voice)
    await phone.post("/twilio/voice", {"CallStatus": "ringing"})
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1360, "height": 800})
        await page.goto(f"{base}/console#token={ADMIN_TOKEN}")
        # The call is in the history; open it and watch its transcript stream in.
        await page.locator(f'#history .item[data-sid="{SID}"]').click()
        transcript = page.locator("#transcript")
        await expect(transcript).to_contain_text("Thanks for calling Acme")
        await expect(page.locator("#live")).to_contain_text("live")
        await phone.say("Where is my order?")
        await phone.post("/twilio/turn", {"Digits": "4"})
        await phone.post("/twilio/keys?first=4", {"Digits": "5712"})
        await expect(transcript).to_contain_text("Where")
        await expect(transcript).to_contain_text("Order four five seven one two shipped")
        # Now the caller wants a person: they wait in the queue with the summary.
        await phone.say("My card number is 4111 1111 1111 1111.")
        await phone.say("I want to talk to a person.")
        queued = page.locator(f'#queue .item[data-sid="{SID}"]')
        await expect(queued).to_be_visible(timeout=10_000)
        await queued.click()
        await expect(page.locator("#spoken")).to_contain_text("The caller, ending")
        await expect(page.locator("#card")).to_contain_text("order number: 45712")
        told = page.locator("dt:text('Bot already said') + dd")
        await expect(told).to_contain_text("Order four five seven one two shipped")
        await expect(told).not_to_contain_text("What's your order number")
        await expect(transcript).to_contain_text("[card]")
        assert "4111" not in await page.locator("body").inner_text()
        await page.screenshot(path=str(SCREENSHOTS / "console.png"), full_page=True)
        # Without the token the page shows nothing of the calls.
        other = await browser.new_page()
        await other.goto(f"{base}/console")
        await expect(other.locator("#error")).to_contain_text("admin token")
        assert await other.locator(".item").count() == 0


async def test_console_shows_how_an_angry_caller_feels(
    server: tuple[str, httpx.AsyncClient], recordings: RecordingHost, caller_voice: CallerVoice
) -> None:
    from playwright.async_api import expect

    base, client = server
    phone = Phone(client, recordings, caller_voice)
    phone.base = {**phone.base, "CallSid": "CA" + "d" * 32}
    await phone.post("/twilio/voice", {"CallStatus": "ringing"})
    await phone.say("I was charged twice, this is the third time I'm calling and I'm furious.")
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1360, "height": 800})
        await page.goto(f"{base}/console#token={ADMIN_TOKEN}")
        queued = page.locator(f'#queue .item[data-sid="{"CA" + "d" * 32}"]')
        await expect(queued).to_contain_text("sounded angry", timeout=10_000)
        await expect(queued.locator(".badge")).to_have_text("high")
        await queued.click()
        feeling = page.locator("#feeling")
        await expect(feeling.locator(".feel.angry")).to_have_text("angry")
        await expect(feeling).to_contain_text("about a double charge")
        await expect(feeling).to_contain_text("third call")
        await expect(page.locator("#spoken")).to_contain_text("sounded angry about a double charge")
        await page.screenshot(path=str(SCREENSHOTS / "console-feeling.png"), full_page=True)
