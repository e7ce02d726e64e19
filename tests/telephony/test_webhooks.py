"""Webhook security and robustness: signatures, bad input, retries, failures mid-call."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from tests.conftest import ACCOUNT_SID, ADMIN_TOKEN, AUTH_TOKEN, PUBLIC_URL, Line
from voice.simulator.call import SimulationError
from voice.simulator.script import Say
from voice.text import prompts

CALL = {
    "CallSid": "CA" + "a" * 32,
    "AccountSid": ACCOUNT_SID,
    "From": "+15005550006",
    "To": "+15005550001",
    "CallStatus": "ringing",
    "Direction": "inbound",
}


def signed(path: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {
        "X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC_URL + path, params)
    }


async def calls_stored(line: Line) -> list[Any]:
    response = await line.client.get(
        "/api/calls", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code == 200
    calls: list[Any] = response.json()["calls"]
    return calls


async def test_signed_voice_webhook_greets_and_listens(line: Line) -> None:
    response = await line.client.post(
        "/twilio/voice", data=CALL, headers=signed("/twilio/voice", CALL)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    body = response.text
    assert f"<Play>{PUBLIC_URL}/audio/" in body
    assert f'action="{PUBLIC_URL}/twilio/turn"' in body
    assert 'playBeep="false"' in body and 'finishOnKey="0123456789*#"' in body
    assert f'<Redirect method="POST">{PUBLIC_URL}/twilio/silence</Redirect>' in body


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        signed("/twilio/voice", CALL, token="someone-elses-token"),
        signed("/twilio/other", CALL),
    ],
    ids=["missing", "garbage", "wrong-token", "wrong-url"],
)
async def test_forged_signature_is_refused_and_nothing_stored(
    line: Line, headers: dict[str, str]
) -> None:
    response = await line.client.post("/twilio/voice", data=CALL, headers=headers)
    assert response.status_code == 403
    assert await calls_stored(line) == []


async def test_tampered_parameters_are_refused(line: Line) -> None:
    headers = signed("/twilio/voice", CALL)
    response = await line.client.post(
        "/twilio/voice", data={**CALL, "From": "+19999999999"}, headers=headers
    )
    assert response.status_code == 403
    assert await calls_stored(line) == []


async def test_simulator_with_the_wrong_token_cannot_place_a_call(line: Line) -> None:
    with pytest.raises(SimulationError, match="403"):
        await line.call(auth_token="wrong").run([Say("hello")])
    assert await calls_stored(line) == []


async def test_missing_call_sid_is_a_clear_400(line: Line) -> None:
    params = {k: v for k, v in CALL.items() if k != "CallSid"}
    response = await line.client.post(
        "/twilio/voice", data=params, headers=signed("/twilio/voice", params)
    )
    assert response.status_code == 400
    assert "CallSid" in response.json()["detail"]


async def test_oversized_body_is_413(line: Line) -> None:
    params = {**CALL, "Padding": "x" * 70_000}
    response = await line.client.post(
        "/twilio/voice", data=params, headers=signed("/twilio/voice", params)
    )
    assert response.status_code == 413


async def test_json_body_is_415(line: Line) -> None:
    response = await line.client.post(
        "/twilio/voice", json=CALL, headers=signed("/twilio/voice", {})
    )
    assert response.status_code == 415


async def test_bad_integer_is_400(line: Line) -> None:
    params = {**CALL, "CallStatus": "completed", "SequenceNumber": "three"}
    response = await line.client.post(
        "/twilio/status", data=params, headers=signed("/twilio/status", params)
    )
    assert response.status_code == 400
    assert "SequenceNumber" in response.json()["detail"]


async def test_status_callbacks_out_of_order_and_repeated(line: Line) -> None:
    async def status(value: str, seq: int) -> None:
        params = {**CALL, "CallStatus": value, "SequenceNumber": str(seq), "CallDuration": "12"}
        response = await line.client.post(
            "/twilio/status", data=params, headers=signed("/twilio/status", params)
        )
        assert response.status_code == 204

    await status("completed", 3)
    await status("ringing", 1)
    await status("completed", 3)
    record = await line.record(CALL["CallSid"])
    assert record["status"] == "completed"
    assert record["ended_at"] is not None


async def test_retried_webhook_replays_the_same_reply(line: Line) -> None:
    headers = {**signed("/twilio/voice", CALL), "I-Twilio-Idempotency-Token": "tok-1"}
    first = await line.client.post("/twilio/voice", data=CALL, headers=headers)
    again = await line.client.post("/twilio/voice", data=CALL, headers=headers)
    assert first.text == again.text
    record = await line.record(CALL["CallSid"])
    assert len([t for t in record["turns"] if t["speaker"] == "bot"]) == 1


async def test_recording_not_ready_yet_is_retried(line: Line) -> None:
    await line.client.post("/twilio/voice", data=CALL, headers=signed("/twilio/voice", CALL))
    sid, url = line.recordings.add(
        await line.voice.say("What are your opening hours?"), not_ready_for=2
    )
    params = {
        **CALL,
        "CallStatus": "in-progress",
        "RecordingUrl": url,
        "RecordingSid": sid,
        "RecordingDuration": "2",
    }
    response = await line.client.post(
        "/twilio/turn", data=params, headers=signed("/twilio/turn", params)
    )
    assert response.status_code == 200
    record = await line.record(CALL["CallSid"])
    assert record["turns"][1]["intent"] == "business_hours"


async def test_recording_that_never_arrives_gets_an_apology_and_a_retry(line: Line) -> None:
    await line.client.post("/twilio/voice", data=CALL, headers=signed("/twilio/voice", CALL))
    url = f"{line.recordings.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/REmissing"
    params = {
        **CALL,
        "CallStatus": "in-progress",
        "RecordingUrl": url,
        "RecordingSid": "RE1",
        "RecordingDuration": "2",
    }
    response = await line.client.post(
        "/twilio/turn", data=params, headers=signed("/twilio/turn", params)
    )
    assert response.status_code == 200
    assert "<Record" in response.text  # the caller is listened to again
    record = await line.record(CALL["CallSid"])
    assert record["turns"][1]["kind"] == "unclear"
    assert record["turns"][2]["text"] == prompts.UNCLEAR


async def test_recording_from_a_foreign_host_is_refused_and_not_fetched(line: Line) -> None:
    """Twilio never sends such a URL: a 400 before anything is stored (Twilio's fallback
    URL then apologises to the caller), and the host is never contacted."""
    await line.client.post("/twilio/voice", data=CALL, headers=signed("/twilio/voice", CALL))
    params = {
        **CALL,
        "RecordingUrl": "http://169.254.169.254/latest/meta-data",
        "RecordingSid": "RE2",
        "RecordingDuration": "2",
    }
    response = await line.client.post(
        "/twilio/turn", data=params, headers=signed("/twilio/turn", params)
    )
    assert response.status_code == 400
    assert "RECORDING_HOSTS" in response.json()["detail"]
    assert len((await line.record(CALL["CallSid"]))["turns"]) == 1  # the greeting only


async def test_database_failure_mid_call_apologises_then_hands_over(line: Line) -> None:
    await line.client.post("/twilio/voice", data=CALL, headers=signed("/twilio/voice", CALL))
    engine = line.ctx.store.sync.engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE turns"))
    sid, url = line.recordings.add(await line.voice.say("I forgot my password."))
    params = {**CALL, "RecordingUrl": url, "RecordingSid": sid, "RecordingDuration": "2"}
    first = await line.client.post(
        "/twilio/turn", data=params, headers=signed("/twilio/turn", params)
    )
    assert first.status_code == 200
    assert "<Record" in first.text  # first failure: apologise and listen again
    assert f"{PUBLIC_URL}/twilio/turn?e=1" in first.text
    second = await line.client.post(
        "/twilio/turn?e=1", data=params, headers=signed("/twilio/turn?e=1", params)
    )
    assert second.status_code == 200
    assert "<Dial" in second.text  # second failure in a row: a person takes over


async def test_reply_audio_is_cacheable_wav(line: Line) -> None:
    response = await line.client.post(
        "/twilio/voice", data=CALL, headers=signed("/twilio/voice", CALL)
    )
    url = response.text.split("<Play>")[1].split("</Play>")[0]
    audio = await line.client.get(url.removeprefix(PUBLIC_URL))
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    assert "immutable" in audio.headers["cache-control"]
    assert audio.content[:4] == b"RIFF"
    assert int.from_bytes(audio.content[24:28], "little") == 8000
    assert (await line.client.get("/audio/" + "0" * 32 + ".wav")).status_code == 404
    assert (await line.client.get("/audio/..%2F..%2Fetc%2Fpasswd.wav")).status_code == 404


async def test_api_needs_the_admin_token(line: Line) -> None:
    assert (await line.client.get("/api/calls")).status_code == 401
    wrong = await line.client.get("/api/calls", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert (await line.client.get("/api/calls/CAxyz")).status_code == 401
