"""The admin intents page in a real headless Chromium (Debian's, driven by Playwright): try a
phrase and see the ranking, add what a caller said as an example (the file changes on disk,
its comments kept, and the page shows the new count), say a phrase into a (fake) microphone,
and see a broken edit reported with its file and line."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.admin.conftest import scratch_intents
from tests.browser import CHROMIUM, chromium
from tests.conftest import ADMIN_TOKEN, make_settings
from voice.app import create_app
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.local_server import serve_locally
from voice.store.repo import Store

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium: apt-get install chromium"
)
SCREENSHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS", "/tmp"))
NOT_UNDERSTOOD = [
    "send me a receipt for last month",
    "can you send me last months receipt",
    "send me a receipt for last month",
    "my gizmo keeps beeping at night",
    "the gizmo keeps beeping all night",
    "yes",
]


def seed(url: str) -> None:
    """Calls with turns the bot did not understand, through the Store's own methods."""
    store = Store(url)
    store.create_all()
    for n, text in enumerate(NOT_UNDERSTOOD):
        sid = f"CA{n:032d}"
        store.open_call(
            sid, account_sid="AC1", from_number="+15005550006", to_number="+1",
            direction="inbound", status="completed",
        )  # fmt: skip
        store.add_turn(sid, speaker="caller", kind="speech", text=text, confidence=0.5)
    store.close()


@pytest.fixture
async def server(
    tmp_path: Path, shared_data: Path, engines: Engines
) -> AsyncIterator[tuple[str, Path]]:
    folder = scratch_intents(tmp_path)
    url = f"sqlite:///{tmp_path / 'voice.db'}"
    seed(url)
    settings = make_settings(
        shared_data,
        database_url=url,
        intents_dir=folder,
        policy_file=folder / "policy.yaml",
        intents_reload_s=0.5,
    )
    fetch = httpx.AsyncClient()
    app = create_app(settings, engines=engines, http_client=fetch)
    async with serve_locally(app) as base:
        yield base, folder
    await fetch.aclose()


async def test_try_add_and_say(
    server: tuple[str, Path], caller_voice: CallerVoice, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    base, folder = server
    mic = tmp_path / "mic.wav"
    mic.write_bytes(await caller_voice.say("I forgot my password."))
    async with chromium(
        [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic}",
        ]
    ) as browser:
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await page.goto(f"{base}/admin/intents#token={ADMIN_TOKEN}")
        await expect(page.locator(".intent")).to_have_count(8)
        await expect(page.locator("#status")).to_contain_text("version")

        # Try a phrase: one bar per intent, the best accepted.
        await page.locator("#phrase").fill("where is my order")
        await page.locator("#try-form button[type=submit]").click()
        await expect(page.locator(".verdict")).to_contain_text("track_order")
        await expect(page.locator(".bars .bar")).to_have_count(8)
        width = await page.locator('.bar[data-intent="track_order"] .fill').evaluate(
            "el => el.offsetWidth / el.parentElement.offsetWidth"
        )
        assert width > 0.6
        await page.locator("#phrase").fill("the purple elephant sings opera")
        await page.locator("#phrase").press("Enter")
        await expect(page.locator(".verdict")).to_contain_text("below threshold")
        await expect(page.locator(".why")).to_contain_text("below the threshold")

        # What callers said: the receipt group, billing_question proposed; add it.
        billing = page.locator('.intent[data-name="billing_question"] .count')
        count = int((await billing.inner_text()).split()[0])
        row = page.locator(".suggestion", has_text="receipt")
        await expect(row.locator(".times")).to_have_text("3×")
        await expect(row.locator("select")).to_have_value("billing_question")
        gizmo = page.locator(".suggestion", has_text="gizmo")
        await expect(gizmo.locator("select")).to_have_value("")  # a new intent?
        await expect(gizmo.locator(".add")).to_be_disabled()
        await page.locator('.intent[data-name="billing_question"] summary').click()
        await page.screenshot(path=str(SCREENSHOTS / "admin-intents-before.png"), full_page=True)
        await row.locator(".add").click()
        await expect(row.locator(".msg")).to_contain_text("now has")
        await expect(row.locator(".msg")).to_contain_text("is live")
        await expect(billing).to_have_text(f"{count + 1} examples")
        await expect(page.locator('.intent[data-name="billing_question"] li.new')).to_have_text(
            "send me a receipt for last month"
        )
        text = (folder / "billing_question.yaml").read_text()
        assert text.startswith("# General questions about charges and invoices")
        assert text.endswith("  - send me a receipt for last month\n")
        # Now the matcher knows it.
        await row.locator(".try-it").click()
        await expect(page.locator(".verdict")).to_contain_text("billing_question")
        await page.screenshot(path=str(SCREENSHOTS / "admin-intents.png"), full_page=True)

        # Say a phrase: the fake microphone plays the caller's words.
        await page.locator("#mic").click()
        await expect(page.locator("#mic")).to_have_text("■ Stop")
        await page.wait_for_timeout(3500)
        await page.locator("#mic").click()
        await expect(page.locator(".heard")).to_contain_text("password", timeout=30_000)
        await expect(page.locator(".verdict")).to_contain_text("reset_password")
        await page.screenshot(path=str(SCREENSHOTS / "admin-intents-said.png"), full_page=True)

        # A broken edit: the watcher reports it with its file and line; the old set stays.
        path = folder / "report_outage.yaml"
        path.write_text(path.read_text().replace("outcome: answer", "outcome: sometimes"))
        banner = page.locator("#file-error")
        await expect(banner).to_be_visible(timeout=10_000)
        await expect(banner).to_contain_text(f"{path}:")
        await expect(banner).to_contain_text("outcome")
        await expect(page.locator("#status")).to_contain_text("last edit not loaded")
        await page.screenshot(path=str(SCREENSHOTS / "admin-intents-error.png"), full_page=True)
        assert not errors, errors

        # Without the token nothing is shown.
        other = await browser.new_page()
        await other.goto(f"{base}/admin/intents")
        await expect(other.locator("#error")).to_contain_text("admin token")
        assert await other.locator(".intent").count() == 0
