"""The fake Twilio Media Streams peer, against a tiny stand-in for our stream endpoint.

``StubServer`` is a test double of *our* server, only here to exercise the fake Twilio: it
checks the handshake signature (close code 1008 when wrong), records every message with
its arrival time, and runs a per-test behaviour that streams audio, marks and clears.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import numpy as np
import pytest
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, VoiceResponse
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from voice.simulator.stream_caller import (
    StreamCaller,
    StreamCallError,
    StreamRefused,
    stream_parameters,
)
from voice.speech.audio import Audio
from voice.speech.codecs import mulaw_decode, mulaw_encode, wav_bytes
from voice.wire.media_stream import (
    Connected,
    Dtmf,
    Mark,
    Media,
    Start,
    Stop,
    clear_message,
    frames,
    mark_message,
    media_message,
    parse_message,
)

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC_WS_URL = "wss://voice.example.test/twilio/stream"
RATE = 8000


def tone(seconds: float, hz: float = 440.0, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def phone(pcm: np.ndarray) -> np.ndarray:
    """What survives mu-law: the samples the caller can hear."""
    return mulaw_decode(mulaw_encode(pcm))


class Session:
    """One accepted stream on the stub server."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.headers: Headers = ws.request.headers if ws.request else Headers()
        self._changed = asyncio.Event()

    @property
    def stream_sid(self) -> str:
        return str(self.events("start")[0][1]["streamSid"])

    def events(self, name: str) -> list[tuple[float, dict[str, Any]]]:
        return [(at, m) for at, m in self.messages if m["event"] == name]

    def echo_time(self, name: str) -> float | None:
        return next((at for at, m in self.events("mark") if m["mark"]["name"] == name), None)

    async def read(self) -> None:
        async for raw in self.ws:
            self.messages.append((time.monotonic(), json.loads(raw)))
            self._changed.set()

    async def wait_for(self, predicate: Callable[[Session], object], timeout: float = 5) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

    async def send_audio(self, pcm: np.ndarray) -> float:
        """Send ``pcm`` as 20 ms media messages, all at once (the way a fast TTS does)."""
        for frame in frames(mulaw_encode(pcm)):
            await self.ws.send(media_message(self.stream_sid, frame))
        return time.monotonic()

    async def send_mark(self, name: str) -> float:
        await self.ws.send(mark_message(self.stream_sid, name))
        return time.monotonic()


Behaviour = Callable[[Session], Awaitable[None]]


class StubServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.sessions: list[Session] = []
        self.refused = 0
        self.failures: list[BaseException] = []
        self.done = asyncio.Event()

    async def handler(self, ws: ServerConnection) -> None:
        signature = ws.request.headers.get("X-Twilio-Signature", "") if ws.request else ""
        if not RequestValidator(AUTH_TOKEN).validate(PUBLIC_WS_URL, {}, signature):
            self.refused += 1
            await ws.close(1008, "invalid X-Twilio-Signature")
            self.done.set()
            return
        session = Session(ws)
        self.sessions.append(session)
        reader = asyncio.create_task(session.read())
        try:
            await session.wait_for(lambda s: s.events("start"))
            await self.behaviour(session)
            await reader  # until the caller hangs up, or the behaviour closed
        except BaseException as exc:
            self.failures.append(exc)
            raise
        finally:
            reader.cancel()
            self.done.set()

    async def finished(self) -> Session:
        await asyncio.wait_for(self.done.wait(), 5)
        assert not self.failures, self.failures
        assert len(self.sessions) == 1
        return self.sessions[0]


@asynccontextmanager
async def stub_server(
    behaviour: Behaviour,
    process_request: Callable[[ServerConnection, Request], Response | None] | None = None,
) -> AsyncIterator[tuple[StubServer, str]]:
    stub = StubServer(behaviour)
    async with serve(stub.handler, "127.0.0.1", 0, process_request=process_request) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield stub, f"ws://127.0.0.1:{port}/twilio/stream"


def caller(ws_url: str, **overrides: Any) -> StreamCaller:
    options: dict[str, Any] = {
        "public_ws_url": PUBLIC_WS_URL,
        "auth_token": AUTH_TOKEN,
        "account_sid": ACCOUNT_SID,
    }
    options.update(overrides)
    return StreamCaller(ws_url, **options)


async def listen(session: Session) -> None:
    """Behaviour: only listen."""


async def close_when_quiet(session: Session) -> None:
    await asyncio.sleep(0.3)
    await session.ws.close()


# ---------------------------------------------------------------------------------------------
# What the fake sends


async def test_messages_have_twilios_shapes_and_counters() -> None:
    speech = tone(0.1)  # 5 frames
    async with stub_server(listen) as (stub, url):
        fake = caller(url, custom_parameters={"Lang": "en"}, realtime=False)
        async with fake:
            await fake.play(speech)
            await fake.silence(0.04)
            await fake.press("7")
        session = await stub.finished()

    expected_signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_WS_URL, {})
    assert session.headers["X-Twilio-Signature"] == expected_signature
    assert session.headers["User-Agent"] == "Twilio.TmeWs/1.0"
    messages = [m for _, m in session.messages]
    assert [m["event"] for m in messages] == ["connected", "start"] + ["media"] * 7 + [
        "dtmf",
        "stop",
    ]
    assert messages[0] == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    start = messages[1]
    assert start == {
        "event": "start",
        "sequenceNumber": "1",
        "start": {
            "accountSid": ACCOUNT_SID,
            "streamSid": fake.stream_sid,
            "callSid": fake.call_sid,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"Lang": "en"},  # exactly the <Parameter>s, nothing added
        },
        "streamSid": fake.stream_sid,
    }
    sent = frames(mulaw_encode(speech)) + [b"\xff" * 160] * 2
    for index, message in enumerate(messages[2:9]):
        assert message == {
            "event": "media",
            "sequenceNumber": str(index + 2),
            "media": {
                "track": "inbound",
                "chunk": str(index + 1),
                "timestamp": str(index * 20),
                "payload": base64.b64encode(sent[index]).decode(),
            },
            "streamSid": fake.stream_sid,
        }
    assert messages[9] == {
        "event": "dtmf",
        "sequenceNumber": "9",
        "dtmf": {"track": "inbound_track", "digit": "7"},
        "streamSid": fake.stream_sid,
    }
    assert messages[10] == {
        "event": "stop",
        "sequenceNumber": "10",
        "stop": {"accountSid": ACCOUNT_SID, "callSid": fake.call_sid},
        "streamSid": fake.stream_sid,
    }
    parsed = [parse_message(json.dumps(m)) for m in messages]  # our own parser agrees
    assert isinstance(parsed[0], Connected)
    assert isinstance(parsed[1], Start) and parsed[1].custom_parameters == {"Lang": "en"}
    assert all(isinstance(p, Media) and p.track == "inbound" for p in parsed[2:9])
    assert isinstance(parsed[9], Dtmf) and isinstance(parsed[10], Stop)
    assert fake.last_voice_sent_at is not None  # the tone; the trailing silence is not voice
    assert not fake.closed_by_server


async def test_play_reports_when_its_voice_was_sent_even_after_the_loop_stalled() -> None:
    """A blocked event loop leaves the real-time pump behind; it catches up with a burst, so
    the voice leaves earlier than "when play was called + the clip's own onset" says."""
    async with stub_server(listen) as (stub, url):
        async with caller(url) as fake:
            await asyncio.sleep(0.1)
            time.sleep(0.4)  # noqa: ASYNC251 -- the loop blocked, as by synthesis in the test
            called = time.monotonic()
            clip = np.concatenate([np.zeros(1600, dtype=np.int16), tone(0.2)])  # 0.2 s lead-in
            began = await fake.play(clip)
            assert await fake.play(np.zeros(800, dtype=np.int16)) is None  # silence: no voice
        await stub.finished()

    assert began is not None and began == fake.voice_onsets[0]
    assert began - called < 0.1  # sent in the catch-up burst, not 0.2 s after the call


async def test_realtime_media_is_continuous_and_paced() -> None:
    async with stub_server(listen) as (stub, url):
        async with caller(url) as fake:
            await asyncio.sleep(0.2)  # idle: the fake streams silence, as Twilio does
            idle_frames = fake.frames_sent
            began = time.monotonic()
            await fake.play(tone(0.4))
            play_took = time.monotonic() - began
            voice_at = fake.last_voice_sent_at
            await asyncio.sleep(0.1)
            assert fake.started_at is not None
            elapsed = time.monotonic() - fake.started_at
            sent = fake.frames_sent
        session = await stub.finished()

    assert 7 <= idle_frames <= 13
    assert 0.36 <= play_took <= 0.7
    assert voice_at is not None and abs(voice_at - (began + play_took)) < 0.05
    assert abs(sent - elapsed / 0.02) <= 3  # the absolute clock does not drift
    media = [parse_message(json.dumps(m)) for _, m in session.events("media")]
    assert [m.chunk for m in media if isinstance(m, Media)] == list(range(1, len(media) + 1))
    assert all(isinstance(m, Media) and m.timestamp_ms == (m.chunk - 1) * 20 for m in media)
    voiced = [at for at, m in session.events("media") if m["media"]["payload"][:4] != "////"]
    assert 0.3 <= voiced[-1] - voiced[0] <= 0.6  # 20 frames over ~0.38 s, not in a burst


# ---------------------------------------------------------------------------------------------
# How the fake plays the bot's audio


async def test_marks_are_echoed_when_playback_reaches_them() -> None:
    sent: dict[str, float] = {}

    async def behaviour(session: Session) -> None:
        await session.send_audio(tone(1.0))
        sent["one"] = await session.send_mark("one")
        await session.wait_for(lambda s: s.echo_time("one"))
        sent["two"] = await session.send_mark("two")  # nothing buffered: echoed at once
        await session.wait_for(lambda s: s.echo_time("two"))
        await session.ws.close()

    async with stub_server(behaviour) as (stub, url):
        async with caller(url) as fake:
            first = await fake.wait_for_audio(0.0, 2)
            await fake.wait_closed(5)
            heard = fake.played_audio()
        session = await stub.finished()

    one, two = session.echo_time("one"), session.echo_time("two")
    assert one is not None and two is not None
    assert 0.8 <= one - sent["one"] <= 1.6
    assert two - sent["two"] <= 0.3
    echo = next(m for _, m in session.events("mark") if m["mark"]["name"] == "one")
    assert set(echo) == {"event", "sequenceNumber", "streamSid", "mark"}
    assert isinstance(parse_message(json.dumps(echo)), Mark)
    assert fake.marks_echoed == ["one", "two"]
    assert first < one
    assert len(fake.received) == 50 and all(n == 160 for _, n in fake.received)
    assert np.array_equal(heard, phone(tone(1.0)))
    assert fake.closed_by_server and fake.close_code == 1000


async def test_clear_drops_unplayed_audio_and_echoes_pending_marks() -> None:
    times: dict[str, float] = {}

    async def behaviour(session: Session) -> None:
        await session.send_audio(tone(2.0, 440))
        await session.send_mark("a")
        await session.send_audio(tone(1.0, 440))
        await session.send_mark("b")
        await asyncio.sleep(0.3)
        await session.ws.send(clear_message(session.stream_sid))
        times["clear"] = time.monotonic()
        await session.wait_for(lambda s: s.echo_time("b"))
        await asyncio.sleep(0.1)
        await session.send_audio(tone(0.2, 1000))
        times["c"] = await session.send_mark("c")
        await session.wait_for(lambda s: s.echo_time("c"))
        await session.ws.close()

    async with stub_server(behaviour) as (stub, url):
        async with caller(url) as fake:
            await fake.wait_closed(5)
        session = await stub.finished()

    a, b, c = (session.echo_time(name) for name in "abc")
    assert a is not None and b is not None and c is not None
    assert a <= b and b - times["clear"] <= 0.3  # both echoed at once, in order
    assert c - times["c"] >= 0.16
    assert fake.marks_echoed == ["a", "b", "c"]
    assert len(fake.clears) == 1 and fake.clears[0] <= times["clear"] + 0.1
    heard = fake.played_audio()
    before_clear = len(heard) - 1600
    assert 0.25 * RATE <= before_clear <= 0.5 * RATE  # ~0.3 s of the 3 s sent
    assert np.array_equal(heard[:before_clear], phone(tone(2.0, 440))[:before_clear])
    assert np.array_equal(heard[before_clear:], phone(tone(0.2, 1000)))


async def test_wait_for_audio_and_quiet() -> None:
    async def behaviour(session: Session) -> None:
        await session.wait_for(lambda s: s.events("dtmf"))
        await session.send_audio(tone(0.3))

    async with stub_server(behaviour) as (stub, url):
        async with caller(url) as fake:
            with pytest.raises(TimeoutError):
                await fake.wait_for_audio(time.monotonic(), 0.1)
            pressed = time.monotonic()
            await fake.press("5")
            arrival = await fake.wait_for_audio(pressed, 2)
            quiet_since = await fake.wait_until_quiet(0.1, 3)
            assert time.monotonic() - quiet_since >= 0.1
            assert fake.first_audio_after(pressed) == arrival > pressed
            assert fake.first_audio_after(time.monotonic()) is None
            assert 0.28 <= quiet_since - arrival <= 0.4
            assert len(fake.played_audio()) == 0.3 * RATE
        await stub.finished()


async def test_bad_server_messages_are_recorded_not_fatal() -> None:
    async def behaviour(session: Session) -> None:
        await session.ws.send(b"\x00\x01")
        await session.ws.send(json.dumps({"event": "media", "streamSid": session.stream_sid}))
        await session.ws.send(media_message("MZ-some-other-stream", b"\xff" * 160))
        await session.ws.send('{"event": "dance", "streamSid": "x"}')
        await session.send_mark("still-works")
        await session.wait_for(lambda s: s.echo_time("still-works"))
        await session.ws.close()

    async with stub_server(behaviour) as (stub, url):
        async with caller(url) as fake:
            await fake.wait_closed(5)
        await stub.finished()
    assert len(fake.errors) == 4
    assert "binary" in fake.errors[0] and "'media'" in fake.errors[1]
    assert "other-stream" in fake.errors[2] and "dance" in fake.errors[3]
    assert fake.marks_echoed == ["still-works"] and fake.received == []


# ---------------------------------------------------------------------------------------------
# Refusals and endings


async def test_wrong_token_is_refused_with_a_clear_error() -> None:
    async with stub_server(listen) as (stub, url):
        # The refusal surfaces at entry, or at the first call or exit if the close frame
        # arrives after ``start`` went out; either way it is a StreamRefused.
        fake = caller(url, auth_token="wrong-token")
        with pytest.raises(StreamRefused, match="1008"):
            async with fake:
                await fake.wait_closed(5)
        assert fake.closed_by_server and fake.close_code == 1008
        fake = caller(url, auth_token="wrong-token")
        with pytest.raises(StreamRefused, match="invalid X-Twilio-Signature"):
            async with fake:
                await fake.wait_for_audio(0.0, 5)
        assert stub.refused == 2 and not stub.sessions


async def test_http_refusal_is_a_clear_error() -> None:
    def forbid(connection: ServerConnection, request: Request) -> Response:
        return connection.respond(HTTPStatus.FORBIDDEN, "no\n")

    async with stub_server(listen, process_request=forbid) as (_, url):
        with pytest.raises(StreamRefused, match="HTTP 403"):
            async with caller(url):
                pass


async def test_nothing_listening_is_a_clear_error() -> None:
    with pytest.raises(StreamCallError, match="could not connect"):
        async with caller("ws://127.0.0.1:9/twilio/stream"):
            pass


async def test_playing_after_the_server_hung_up_raises() -> None:
    async with stub_server(close_when_quiet) as (stub, url):
        async with caller(url) as fake:
            await fake.wait_closed(5)
            assert fake.closed_by_server
            with pytest.raises(StreamCallError, match="closed the stream"):
                await fake.play(tone(0.1))
            with pytest.raises(StreamCallError, match="closed the stream"):
                await fake.press("1")
            assert await fake.wait_until_quiet(0.5, 0.1) <= time.monotonic()
        await stub.finished()


def test_say_wav_gives_8_khz_samples() -> None:
    fake = caller("ws://unused")
    wide = tone(0.5)
    assert np.array_equal(fake.say_wav(wav_bytes(Audio(wide, RATE))), wide)
    samples_16k = np.repeat(wide, 2)
    narrowed = fake.say_wav(wav_bytes(Audio(samples_16k, 16000)))
    assert narrowed.dtype == np.int16 and abs(len(narrowed) - len(wide)) <= 2


def test_stream_parameters_are_read_from_the_twiml() -> None:
    """What the fake sends as ``customParameters`` is what the ``<Stream>`` TwiML holds."""
    response = VoiceResponse()
    connect = Connect(action="https://voice.example.test/twilio/stream-ended")
    stream = connect.stream(url=PUBLIC_WS_URL)
    stream.parameter(name="streamToken", value="a&b<c>")
    stream.parameter(name="Lang", value="en")
    response.append(connect)
    parsed = ET.fromstring(str(response)).find("Connect/Stream")
    assert parsed is not None
    assert stream_parameters(parsed) == {"streamToken": "a&b<c>", "Lang": "en"}
