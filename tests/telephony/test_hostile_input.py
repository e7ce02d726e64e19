"""Hostile webhook input, signed as Twilio would sign it (an attacker with a replayed or
forged request): huge numbers, negative durations, ``file://`` and redirecting recording
URLs, odd digits. Each gets a 4xx naming the parameter, or is ignored; never a 500, and
nothing is stored for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import ADMIN_TOKEN, Line
from tests.telephony.test_webhooks import CALL, calls_stored, signed
from voice.cli import call_error_hint

HUGE = "99999999999999999999999"


async def post(line: Line, path: str, params: dict[str, str]) -> Any:
    return await line.client.post(path, data=params, headers=signed(path, params))


async def opened(line: Line) -> dict[str, Any]:
    assert (await post(line, "/twilio/voice", CALL)).status_code == 200
    return await line.record(CALL["CallSid"])


@pytest.mark.parametrize(
    "extra",
    [
        {"CallDuration": HUGE},
        {"CallDuration": "-5"},
        {"CallDuration": "1e3"},
        {"CallDuration": "\u0661\u0662"},  # Arabic-Indic digits: int() would take them
        {"SequenceNumber": HUGE},
        {"SequenceNumber": "-1"},
    ],
    ids=["huge", "negative", "float", "unicode-digits", "huge-sequence", "negative-sequence"],
)
async def test_status_callback_numbers_out_of_range_are_400_and_store_nothing(
    line: Line, extra: dict[str, str]
) -> None:
    params = {**CALL, "CallStatus": "completed", **extra}
    response = await post(line, "/twilio/status", params)
    assert response.status_code == 400
    assert next(iter(extra)) in response.json()["detail"]
    assert await calls_stored(line) == []


async def test_a_status_callback_in_range_still_counts(line: Line) -> None:
    params = {**CALL, "CallStatus": "completed", "CallDuration": "86400", "SequenceNumber": "3"}
    assert (await post(line, "/twilio/status", params)).status_code == 204
    [call] = await calls_stored(line)
    assert call["duration_s"] == 86400


@pytest.mark.parametrize(
    "extra",
    [
        {"RecordingDuration": "-5"},
        {"RecordingDuration": HUGE},
        {"RecordingUrl": "file:///etc/passwd"},
        {"RecordingUrl": "http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"},
        {"RecordingUrl": "https://evil.example/RE1"},
        {"RecordingUrl": "https://api.twilio.com:99999/RE1"},
        {"RecordingUrl": "gopher://127.0.0.1:6379/_INFO"},
    ],
    ids=["negative", "huge", "file", "plain-http", "other-host", "bad-port", "gopher"],
)
@pytest.mark.parametrize("path", ["/twilio/voicemail", "/twilio/turn"])
async def test_recording_results_out_of_range_are_400_and_store_nothing(
    line: Line, path: str, extra: dict[str, str]
) -> None:
    before = await opened(line)
    recording = {
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        "RecordingSid": "RE1",
        "RecordingDuration": "3",
    }
    response = await post(line, path, {**CALL, **recording, **extra})
    assert response.status_code == 400
    assert next(iter(extra)) in response.json()["detail"]
    after = await line.record(CALL["CallSid"])
    assert after["voicemails"] == [] and after["turns"] == before["turns"]
    assert after["state"] == before["state"]


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/twilio/dial", {"DialCallStatus": "completed", "DialCallDuration": "-1"}),
        ("/twilio/dial", {"DialCallStatus": "completed", "DialCallDuration": HUGE}),
        ("/twilio/queue-wait", {"QueuePosition": HUGE}),
        ("/twilio/queue-wait", {"QueueTime": "-3"}),
    ],
)
async def test_transfer_numbers_out_of_range_are_400(
    line: Line, path: str, extra: dict[str, str]
) -> None:
    before = await opened(line)
    response = await post(line, path, {**CALL, **extra})
    assert response.status_code == 400
    after = await line.record(CALL["CallSid"])
    assert after["transfers"] == before["transfers"] and after["turns"] == before["turns"]


async def test_api_paging_out_of_range_is_422(line: Line) -> None:
    response = await line.client.get(
        f"/api/calls?offset={HUGE}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code == 422


class _Redirector(BaseHTTPRequestHandler):
    """An allowed recordings host whose recording redirects to a host that is not."""

    target = ""

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.target)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Counter(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def redirecting_host() -> Iterator[tuple[str, type[_Counter]]]:
    """``http://127.0.0.1:P/RE1`` (allowed in the tests) -> ``http://localhost:Q/`` (not)."""
    counter = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    _Counter.hits = 0
    _Redirector.target = f"http://localhost:{counter.server_address[1]}/steal"
    redirector = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    servers = (counter, redirector)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    yield f"http://127.0.0.1:{redirector.server_address[1]}/RE1", _Counter
    for server in servers:
        server.shutdown()
        server.server_close()


async def test_a_redirecting_recording_is_not_followed_off_the_allowed_hosts(
    line: Line, redirecting_host: tuple[str, type[_Counter]]
) -> None:
    url, counter = redirecting_host
    await opened(line)
    params = {**CALL, "RecordingUrl": url, "RecordingSid": "RE9", "RecordingDuration": "4"}
    response = await post(line, "/twilio/voicemail", params)
    assert response.status_code == 200  # the caller hears the goodbye, not an error
    assert counter.hits == 0  # the redirect target was never contacted
    [voicemail] = (await line.record(CALL["CallSid"]))["voicemails"]
    assert not voicemail["transcript"]  # nothing was fetched from where it pointed


async def test_a_replayed_voice_webhook_never_resets_a_call(line: Line) -> None:
    """Turn by turn: ``/twilio/voice`` again for a call under way, or one that ended, gets
    a hang-up and leaves the stored call exactly as it was."""
    await opened(line)
    keys = {**CALL, "Digits": "0"}  # the caller asks for a person: the call moves on
    assert (await post(line, "/twilio/turn", keys)).status_code == 200
    before = await line.record(CALL["CallSid"])
    assert before["phase"] == "transferring"
    replay = await post(line, "/twilio/voice", CALL)
    assert replay.status_code == 200 and "<Hangup" in replay.text
    after = await line.record(CALL["CallSid"])
    assert (after["phase"], after["state"], after["turns"]) == (
        before["phase"],
        before["state"],
        before["turns"],
    )


async def test_a_replayed_voice_webhook_for_a_finished_call_adds_nothing(line: Line) -> None:
    await opened(line)
    done = {**CALL, "CallStatus": "completed", "CallDuration": "3"}
    assert (await post(line, "/twilio/status", done)).status_code == 204
    before = await line.record(CALL["CallSid"])
    replay = await post(line, "/twilio/voice", CALL)
    assert "<Hangup" in replay.text
    assert (await line.record(CALL["CallSid"]))["turns"] == before["turns"]


async def test_voice_call_explains_a_refused_simulator_recording(line: Line) -> None:
    """The simulator's loopback recordings, to a server that does not list loopback: the
    400 carries what ``voice call`` needs to tell the user how to fix it."""
    recording = {
        "RecordingUrl": "http://localhost:8765/recordings/RE1",  # loopback, not listed
        "RecordingSid": "RE1",
        "RecordingDuration": "3",
    }
    response = await post(line, "/twilio/turn", {**CALL, **recording})
    assert response.status_code == 400
    hint = call_error_hint(f"POST /twilio/turn -> 400: {response.text[:200]}")
    assert hint is not None and "RECORDING_HOSTS=api.twilio.com,127.0.0.1" in hint
    assert call_error_hint("POST /twilio/turn -> 400: something else") is None
