"""Recording downloads: only allowed hosts, every redirect hop checked again, and Twilio's
credentials sent to Twilio's hosts only. Twilio's side is an ``httpx.MockTransport``."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from voice.errors import RecordingUnavailable
from voice.wire.recordings import MAX_RECORDING_BYTES, RecordingFetcher

SID, TOKEN = "AC" + "1" * 32, "twilio-auth-token"
BASIC = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
RECORDING = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Recordings/RE1"
WAV = b"RIFF....WAVEfmt "


class Twilio:
    """Answers by URL; remembers every request (URL and Authorization header)."""

    def __init__(self, routes: dict[str, Callable[[], httpx.Response]]) -> None:
        self.routes = routes
        self.seen: list[tuple[str, str | None]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((str(request.url), request.headers.get("authorization")))
        route = self.routes.get(str(request.url))
        return route() if route else httpx.Response(404)


def redirect(to: str, status: int = 302) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(status, headers={"Location": to})


def ok(body: bytes = WAV) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(200, content=body)


async def fetch(
    twilio: Twilio, url: str, hosts: str = "api.twilio.com", *, follow: bool = True
) -> bytes:
    # The app's shared client follows redirects; the fetcher must not let it.
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(twilio), follow_redirects=follow
    ) as client:
        fetcher = RecordingFetcher(
            client,
            account_sid=SID,
            auth_token=TOKEN,
            allowed_hosts=frozenset(hosts.split(",")),
            retry_delays_s=(0.0,),
        )
        return await fetcher.fetch(url)


async def test_a_recording_from_twilio_is_fetched_with_credentials() -> None:
    twilio = Twilio({RECORDING: ok()})
    assert await fetch(twilio, RECORDING) == WAV
    assert twilio.seen == [(RECORDING, BASIC)]


async def test_a_redirect_to_a_host_not_allowed_is_never_contacted() -> None:
    twilio = Twilio({RECORDING: redirect("http://169.254.169.254/latest/meta-data/")})
    with pytest.raises(RecordingUnavailable, match="not allowed"):
        await fetch(twilio, RECORDING)
    assert [url for url, _ in twilio.seen] == [RECORDING]  # one request: the first hop


async def test_a_redirect_to_loopback_is_refused_unless_listed() -> None:
    twilio = Twilio({RECORDING: redirect("http://127.0.0.1:6379/")})
    with pytest.raises(RecordingUnavailable):
        await fetch(twilio, RECORDING)
    assert len(twilio.seen) == 1


async def test_an_allowed_redirect_is_followed_without_credentials_off_twilio() -> None:
    cdn = "https://media.cdn.example/RE1.wav"
    twilio = Twilio({RECORDING: redirect(cdn, 307), cdn: ok()})
    assert await fetch(twilio, RECORDING, "api.twilio.com,media.cdn.example") == WAV
    assert twilio.seen == [(RECORDING, BASIC), (cdn, None)]


async def test_a_relative_redirect_on_twilio_keeps_credentials() -> None:
    twilio = Twilio({RECORDING: redirect("/media/RE1"), "https://api.twilio.com/media/RE1": ok()})
    assert await fetch(twilio, RECORDING) == WAV
    assert [auth for _, auth in twilio.seen] == [BASIC, BASIC]


async def test_redirect_loops_end() -> None:
    a, b = RECORDING, RECORDING + ".wav"
    twilio = Twilio({a: redirect(b), b: redirect(a)})
    with pytest.raises(RecordingUnavailable, match="redirects more than"):
        await fetch(twilio, a)
    assert len(twilio.seen) == 4


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        ("file:///etc/passwd", "api.twilio.com"),
        ("ftp://api.twilio.com/x", "api.twilio.com"),
        ("http://api.twilio.com/x", "api.twilio.com"),  # https only off loopback
        ("https://evil.example/x", "api.twilio.com"),
        ("https://api.twilio.com.evil.example/x", "api.twilio.com"),
        ("https://user:pw@api.twilio.com/x", "api.twilio.com"),
        ("https://api.twilio.com:99999/x", "api.twilio.com"),
        ("http://127.0.0.1:8000/x", "api.twilio.com"),  # loopback not listed
        ("", "api.twilio.com"),
    ],
)
async def test_urls_never_fetched(url: str, hosts: str) -> None:
    twilio = Twilio({})
    with pytest.raises(RecordingUnavailable):
        await fetch(twilio, url, hosts)
    assert twilio.seen == []


async def test_credentials_to_an_explicitly_listed_loopback_only() -> None:
    local = "http://127.0.0.1:9999/2010-04-01/Accounts/AC/Recordings/RE1"
    other = "https://media.cdn.example/RE1"
    twilio = Twilio({local: ok(), other: ok()})
    assert await fetch(twilio, local, "127.0.0.1") == WAV
    assert await fetch(twilio, other, "media.cdn.example") == WAV
    assert [auth for _, auth in twilio.seen] == [BASIC, None]


async def test_a_recording_not_ready_is_retried_and_an_oversized_one_refused() -> None:
    answers = iter([httpx.Response(404), httpx.Response(200, content=WAV)])
    twilio = Twilio({RECORDING: lambda: next(answers)})
    assert await fetch(twilio, RECORDING) == WAV
    huge = Twilio({RECORDING: ok(b"\0" * (MAX_RECORDING_BYTES + 1))})
    with pytest.raises(RecordingUnavailable, match="over"):
        await fetch(huge, RECORDING)
