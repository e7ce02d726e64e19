"""Hand-over webhooks: signed, retried, recorded, resumed after a restart."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings, open_line
from voice.engines import Engines
from voice.handoff.webhook import Notifier, sign, verify
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.simulator.script import Keys
from voice.store.aio import AsyncStore
from voice.store.repo import Store

SECRET = b"webhook-test-secret"
CALL = "CA" + "w" * 32


class Receiver:
    """A stand-in CRM on loopback: fails the first ``failures`` requests with 500, or
    answers every request with a 307 to ``redirect_to``."""

    def __init__(self, failures: int = 0, redirect_to: str | None = None) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], str]] = []
        self.asked = threading.Event()  # set once a request came in
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append((dict(self.headers), body))
                failing = len(receiver.requests) <= receiver.failures
                if redirect_to is not None:
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.asked.set()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/handoff"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AsyncStore]:
    sync = Store(f"sqlite:///{tmp_path / 'voice.db'}")
    sync.create_all()
    sync.open_call(
        CALL,
        account_sid="AC1",
        from_number="+1",
        to_number="+2",
        direction="inbound",
        status="in-progress",
    )
    yield AsyncStore(sync)
    sync.close()


def test_signature_round_trip() -> None:
    body = '{"event": "handoff"}'
    signature = sign(SECRET, "1764000000", body)
    assert signature.startswith("sha256=")
    assert not verify(SECRET, "1764000000", body, signature)  # far too old
    import time

    now = str(int(time.time()))
    assert verify(SECRET, now, body, sign(SECRET, now, body))
    assert not verify(SECRET, now, body + " ", sign(SECRET, now, body))
    assert not verify(b"other", now, body, sign(SECRET, now, body))


async def test_retried_until_delivered_and_recorded(store: AsyncStore) -> None:
    receiver = Receiver(failures=2)
    async with httpx.AsyncClient() as client:
        notifier = Notifier(
            store, client, url=receiver.url, secret=SECRET, retry_delays_s=(0.01, 0.01, 0.01)
        )
        await notifier.notify(CALL, "handoff", {"reason": "keypad_0"})
        await notifier.drain(timeout=10)
    receiver.close()
    assert len(receiver.requests) == 3
    headers, body = receiver.requests[-1]
    assert verify(SECRET, headers["X-Voice-Timestamp"], body, headers["X-Voice-Signature"])
    assert json.loads(body) == {"event": "handoff", "call_sid": CALL, "reason": "keypad_0"}
    call = await store.get_call(CALL)
    assert call is not None
    [delivery] = call["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["last_status"]) == (
        "delivered",
        3,
        204,
    )


async def test_gives_up_after_the_last_retry(store: AsyncStore) -> None:
    receiver = Receiver(failures=99)
    async with httpx.AsyncClient() as client:
        notifier = Notifier(
            store, client, url=receiver.url, secret=SECRET, retry_delays_s=(0.01, 0.01)
        )
        await notifier.notify(CALL, "handoff", {})
        await notifier.drain(timeout=10)
    receiver.close()
    call = await store.get_call(CALL)
    assert call is not None
    assert call["deliveries"][0]["status"] == "failed"
    assert call["deliveries"][0]["attempts"] == 3
    assert call["deliveries"][0]["last_error"] == "HTTP 500"


async def test_a_redirect_is_a_failure_and_is_never_followed(store: AsyncStore) -> None:
    # A 307 keeps the method and body: following it would hand the signed hand-over
    # (summary, caller number) to whatever host the receiver names. Even on a client
    # that follows redirects by default, the notifier does not.
    elsewhere = Receiver()
    receiver = Receiver(redirect_to=elsewhere.url)
    async with httpx.AsyncClient(follow_redirects=True) as client:
        notifier = Notifier(store, client, url=receiver.url, secret=SECRET, retry_delays_s=(0.01,))
        await notifier.notify(CALL, "handoff", {"reason": "keypad_0"})
        await notifier.drain(timeout=10)
    receiver.close()
    elsewhere.close()
    assert len(receiver.requests) == 2
    assert elsewhere.requests == []
    call = await store.get_call(CALL)
    assert call is not None
    [delivery] = call["deliveries"]
    assert (delivery["status"], delivery["last_status"], delivery["last_error"]) == (
        "failed",
        307,
        "HTTP 307",
    )


async def test_pending_deliveries_resume_after_a_restart(store: AsyncStore) -> None:
    receiver = Receiver()
    await store.add_delivery(CALL, event="handoff", url=receiver.url, body='{"a": 1}')
    async with httpx.AsyncClient() as client:
        notifier = Notifier(store, client, url=receiver.url, secret=SECRET)
        await notifier.resume()
        await notifier.drain(timeout=10)
    receiver.close()
    assert [body for _, body in receiver.requests] == ['{"a": 1}']
    assert await store.pending_deliveries() == []


async def test_a_hand_over_notifies_the_webhook(
    tmp_path: Path,
    shared_data: Path,
    engines: Engines,
    recordings: RecordingHost,
    caller_voice: CallerVoice,
) -> None:
    receiver = Receiver()
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        handoff_webhook_url=receiver.url,
        handoff_webhook_secret=SECRET.decode(),
    )
    async with open_line(settings, engines, recordings, caller_voice) as line:
        result, _ = await line.run([Keys("0")])
        await line.ctx.calls.notifier.drain(timeout=10)  # type: ignore[union-attr]
        record = await line.record(result.call_sid)
    receiver.close()
    [(headers, body)] = receiver.requests
    assert verify(SECRET, headers["X-Voice-Timestamp"], body, headers["X-Voice-Signature"])
    payload = json.loads(body)
    assert payload["reason"] == "keypad_0"
    assert payload["summary"]["spoken"].startswith("The caller")
    assert record["deliveries"][0]["status"] == "delivered"


async def test_each_notifier_resumes_only_its_own_kind(store: AsyncStore) -> None:
    await store.open_call(
        "CA1", account_sid="AC", from_number="+1", to_number="+2", direction="in", status="x"
    )
    handoff = await store.add_delivery("CA1", event="handoff", url="http://a/", body="{}")
    alert = await store.add_delivery("alert-1", event="spike_alert", url="http://b/", body="{}")
    assert [d[0] for d in await store.pending_deliveries()] == [handoff, alert]
    only_alerts = await store.pending_deliveries(events={"spike_alert"})
    assert [d[0] for d in only_alerts] == [alert]
    no_alerts = await store.pending_deliveries(exclude={"spike_alert"})
    assert [d[0] for d in no_alerts] == [handoff]


async def test_a_second_instance_never_sends_what_the_first_is_sending(store: AsyncStore) -> None:
    # Two instances share the database. The first is retrying a hand-over (the receiver
    # is down); the second starts and takes up pending deliveries: not that one, which
    # would reach the receiver twice. When the first stops, it hands it back, and the
    # second sends it once.
    receiver = Receiver(failures=1)
    async with httpx.AsyncClient() as client:
        first = Notifier(store, client, url=receiver.url, secret=SECRET, retry_delays_s=(60.0,))
        await first.notify(CALL, "handoff", {"reason": "keypad_0"})
        await asyncio.to_thread(receiver.asked.wait, 10)  # it failed; it waits to retry
        second = Notifier(store, client, url=receiver.url, secret=SECRET)
        assert await second.resume() == 0
        await second.drain(timeout=1)
        assert len(receiver.requests) == 1
        await first.close()
        assert await second.resume() == 1
        await second.drain(timeout=10)
        await second.close()
    receiver.close()
    assert len(receiver.requests) == 2
    call = await store.get_call(CALL)
    assert call is not None
    [delivery] = call["deliveries"]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2)
