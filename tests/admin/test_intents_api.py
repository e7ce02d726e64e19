"""The admin intents API on a running app: real files, real store, real Whisper."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from tests.conftest import ADMIN_TOKEN, Line
from voice.simulator.caller_voice import CallerVoice
from voice.speech.codecs import read_wav

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NEW_PHRASE = "is the shop open on bank holidays"


async def get(line: Line, path: str) -> dict[str, Any]:
    response = await line.client.get(path, headers=AUTH)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def post(line: Line, path: str, body: dict[str, Any] | None = None) -> Any:
    return await line.client.post(path, json=body, headers=AUTH)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/intents"),
        ("GET", "/api/intents/status"),
        ("POST", "/api/intents/reload"),
        ("POST", "/api/intents/try"),
        ("POST", "/api/intents/try-audio"),
        ("GET", "/api/intents/suggestions"),
        ("POST", "/api/intents/business_hours/examples"),
    ],
)
async def test_every_endpoint_needs_the_token(admin_line: Line, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = await admin_line.client.request(
            method, path, json={"text": "hello"}, headers=headers
        )
        assert response.status_code == 401, path


async def test_the_page_and_its_script_hold_no_data(admin_line: Line) -> None:
    page = await admin_line.client.get("/admin/intents")
    assert page.status_code == 200 and '<script src="/admin/static/intents.js">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "track_order" not in page.text
    script = await admin_line.client.get("/admin/static/intents.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert (await admin_line.client.get("/admin/static/other.js")).status_code == 404


async def test_list_intents(admin_line: Line, intents_dir: Path) -> None:
    data = await get(admin_line, "/api/intents")
    track = next(i for i in data["intents"] if i["name"] == "track_order")
    assert track["file"] == "track_order.yaml" and track["slots"] == ["order_number"]
    assert track["fulfillment"] == "order_status" and "where is my order" in track["examples"]
    assert 0 < data["threshold"] < 1 and 0 < data["margin"] < 1
    assert data["status"]["last_error"] is None and len(data["status"]["version"]) == 12


@pytest.mark.parametrize(
    ("text", "accepted", "intent", "reason"),
    [
        ("where is my order", True, "track_order", "accepted"),
        ("the purple elephant sings opera", False, None, "below_threshold"),
        ("yes", False, None, "nothing"),
        ("What's the date today?", False, None, "meaning"),
    ],
)
async def test_try_a_phrase(
    admin_line: Line, text: str, accepted: bool, intent: str | None, reason: str
) -> None:
    response = await post(admin_line, "/api/intents/try", {"text": text})
    assert response.status_code == 200
    data = response.json()
    assert (data["accepted"], data["intent"], data["reason"]) == (accepted, intent, reason)
    assert len(data["ranked"]) == 8 and data["why"]
    scores = [r["score"] for r in data["ranked"]]
    assert scores == sorted(scores, reverse=True)


async def test_try_says_when_the_policy_hands_over_at_once(admin_line: Line) -> None:
    data = (await post(admin_line, "/api/intents/try", {"text": "someone stole my card"})).json()
    assert data["topic"] == {"topic": "fraud", "priority": "urgent"}


async def test_add_an_example_then_it_is_live(admin_line: Line, intents_dir: Path) -> None:
    path = intents_dir / "business_hours.yaml"
    before = path.read_text()
    first = (await post(admin_line, "/api/intents/try", {"text": NEW_PHRASE})).json()
    old_version = (await get(admin_line, "/api/intents/status"))["version"]
    count = len(next(i for i in (await get(admin_line, "/api/intents"))["intents"]
                     if i["name"] == "business_hours")["examples"])  # fmt: skip
    response = await post(admin_line, "/api/intents/business_hours/examples", {"text": NEW_PHRASE})
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["examples"] == count + 1 and added["reloaded"] is True
    assert added["status"]["version"] != old_version
    assert path.read_text() == before + f"  - {NEW_PHRASE}\n"  # comments above untouched
    after = (await post(admin_line, "/api/intents/try", {"text": NEW_PHRASE})).json()
    assert after["accepted"] and after["intent"] == "business_hours"
    assert after["confidence"] > first["confidence"]


@pytest.mark.parametrize(
    ("intent", "text", "status", "words"),
    [
        ("business_hours", "Where is my order?", 409, "already an example of 'track_order'"),
        ("nope", "hello there my friend", 404, "no intent 'nope'"),
        ("business_hours", "my card is [card]", 422, "redaction tag"),
        ("business_hours", "", 422, "invalid request"),
    ],
)
async def test_refused_examples_say_why(
    admin_line: Line, intents_dir: Path, intent: str, text: str, status: int, words: str
) -> None:
    before = (intents_dir / "business_hours.yaml").read_text()
    response = await post(admin_line, f"/api/intents/{intent}/examples", {"text": text})
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert (intents_dir / "business_hours.yaml").read_text() == before


async def test_a_bad_edit_is_reported_and_the_old_set_keeps_answering(
    admin_line: Line, intents_dir: Path
) -> None:
    path = intents_dir / "track_order.yaml"
    text = path.read_text()
    path.write_text(text.replace("fulfillment: order_status", "fulfillment: order_lookup"))
    response = await post(admin_line, "/api/intents/reload")
    data = response.json()
    line = 1 + text.splitlines().index("fulfillment: order_status")
    assert data["changed"] is False and f"{path}:{line}: fulfillment" in data["error"]
    status = await get(admin_line, "/api/intents/status")
    assert status["last_error"] == data["error"]
    still = (await post(admin_line, "/api/intents/try", {"text": "where is my order"})).json()
    assert still["intent"] == "track_order"
    # Adding an example while a file is broken is refused with the same message.
    refused = await post(admin_line, "/api/intents/business_hours/examples", {"text": NEW_PHRASE})
    assert refused.status_code == 422 and f"{path}:{line}" in refused.json()["detail"]
    path.write_text(text)
    fixed = (await post(admin_line, "/api/intents/reload")).json()
    assert fixed["error"] is None and fixed["status"]["last_error"] is None


async def test_suggestions_come_from_the_calls(admin_line: Line) -> None:
    store = admin_line.ctx.store
    said = ["send me a receipt for last month", "can you send me last months receipt", "yes"]
    for n, text in enumerate(said):
        sid = f"CA{n:032d}"
        await store.open_call(
            sid, account_sid="AC1", from_number="+1", to_number="+2", direction="inbound",
            status="in-progress",
        )  # fmt: skip
        await store.add_turn(sid, speaker="caller", kind="speech", text=text, confidence=0.5)
    data = await get(admin_line, "/api/intents/suggestions?days=7")
    [group] = data["suggestions"]
    assert group["count"] == 2 and group["proposed"] == "billing_question" and group["addable"]


def webm(wav: bytes) -> bytes:
    """The WAV re-encoded as WebM/Opus, what Chromium's MediaRecorder uploads."""
    audio = read_wav(wav)
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as container:
        stream = container.add_stream("libopus", rate=48000)
        frame = av.AudioFrame.from_ndarray(
            audio.samples.reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = audio.rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


async def test_say_a_phrase(admin_line: Line, caller_voice: CallerVoice) -> None:
    wav = await caller_voice.say("I forgot my password.")
    for body, kind in ((wav, "audio/wav"), (webm(wav), "audio/webm;codecs=opus")):
        response = await admin_line.client.post(
            "/api/intents/try-audio", content=body, headers={**AUTH, "Content-Type": kind}
        )
        assert response.status_code == 200, response.text
        data = response.json()
        assert "forgot my password" in data["transcript"].lower(), kind
        assert data["intent"] == "reset_password" and data["accepted"]
        assert data["duration_s"] > 1


async def test_say_nothing_garbage_and_too_much(admin_line: Line) -> None:
    silence = io.BytesIO()
    with av.open(silence, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=16000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 16000), dtype=np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    quiet = await admin_line.client.post(
        "/api/intents/try-audio", content=silence.getvalue(), headers=AUTH
    )
    assert quiet.status_code == 200 and quiet.json()["reason"] == "no_speech"
    junk = await admin_line.client.post(
        "/api/intents/try-audio", content=b"junk" * 10, headers=AUTH
    )
    assert junk.status_code == 415 and "could not read" in junk.json()["detail"]
    big = await admin_line.client.post(
        "/api/intents/try-audio", content=b"\0" * (2 * 1024 * 1024 + 1), headers=AUTH
    )
    assert big.status_code == 413


async def test_a_changed_answer_is_synthesized_when_it_is_loaded(
    admin_line: Line, intents_dir: Path
) -> None:
    path = intents_dir / "business_hours.yaml"
    spoken = "We are open around the clock, every day of the year."
    cache = admin_line.ctx.cache
    assert cache.path(cache.id_for(spoken)) is None
    path.write_text(_replace_answer(path.read_text(), spoken))
    data = (await post(admin_line, "/api/intents/reload")).json()
    assert data["changed"] and data["error"] is None
    assert cache.path(cache.id_for(spoken)) is not None  # ready before the first caller asks


def _replace_answer(document: str, answer: str) -> str:
    """The document with its ``answer:`` (plain or a folded block) replaced."""
    lines = document.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("answer:"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  ") and not lines[end].startswith("  -"):
        end += 1
    return "".join([*lines[:start], f"answer: {answer}\n", *lines[end:]])
