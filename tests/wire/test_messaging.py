"""Text messages through Twilio's Messaging API, with Twilio's side built from its documented
request and response formats (``Messages.json``: form-encoded, Basic auth, 201 with the
message resource; errors as ``{"code", "message", "more_info", "status"}``)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from voice.wire.messaging import TwilioMessages

ACCOUNT = "AC" + "a" * 32
TOKEN = "t" * 32
TO = "+15005550006"
BODY = "Your Acme code is 402917. It works once, for 5 minutes."


def _created(request: httpx.Request) -> httpx.Response:
    form = parse_qs(request.content.decode())
    return httpx.Response(
        201,
        json={
            "sid": "SM" + "b" * 32,
            "account_sid": ACCOUNT,
            "to": form["To"][0],
            "body": form["Body"][0],
            "status": "queued",
        },
    )


def _messages(
    answer: Callable[[httpx.Request], httpx.Response],
    seen: list[httpx.Request],
    *,
    sender: str | None = None,
    messaging_service_sid: str | None = None,
) -> TwilioMessages:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True)
    return TwilioMessages(
        client,
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        sender=sender,
        messaging_service_sid=messaging_service_sid,
        api_url="https://api.twilio.com",
    )


async def test_a_text_is_posted_as_twilio_documents_it() -> None:
    seen: list[httpx.Request] = []
    messages = _messages(_created, seen, sender="+15017122661")
    assert await messages.send(TO, BODY)
    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    user, _, password = (
        base64.b64decode(request.headers["authorization"][6:]).decode().partition(":")
    )
    assert (user, password) == (ACCOUNT, TOKEN)
    assert parse_qs(request.content.decode()) == {
        "To": [TO],
        "Body": [BODY],
        "From": ["+15017122661"],
    }


async def test_a_messaging_service_replaces_the_sender() -> None:
    seen: list[httpx.Request] = []
    messages = _messages(_created, seen, messaging_service_sid="MG" + "c" * 32)
    assert await messages.send(TO, BODY)
    form = parse_qs(seen[0].content.decode())
    assert form["MessagingServiceSid"] == ["MG" + "c" * 32]
    assert "From" not in form


def test_a_sender_is_required() -> None:
    client = httpx.AsyncClient()
    with pytest.raises(ValueError, match="SMS_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        TwilioMessages(client, account_sid=ACCOUNT, auth_token=TOKEN)


def _error(status: int, code: int, message: str) -> Callable[[httpx.Request], httpx.Response]:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    return lambda request: httpx.Response(status, json=body)


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectTimeout("timed out", request=request)


@pytest.mark.parametrize(
    ("answer", "logged"),
    [
        (_error(400, 21211, "The 'To' number is not a valid phone number."), "error 21211"),
        (_error(401, 20003, "Authenticate"), "HTTP 401"),
        (_error(429, 20429, "Too Many Requests"), "error 20429"),
        (lambda r: httpx.Response(503, text="<html>down</html>"), "no JSON"),
        (lambda r: httpx.Response(201, json={"status": "queued"}), "no message SID"),
        (lambda r: httpx.Response(201, text="not json"), "no message SID"),
        (lambda r: httpx.Response(200, json={"sid": "SM" + "d" * 32}), "HTTP 200"),
        (_timeout, "ConnectTimeout"),
    ],
)
async def test_a_text_twilio_did_not_take_is_false_and_logged_without_the_code(
    answer: Callable[[httpx.Request], httpx.Response],
    logged: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[httpx.Request] = []
    messages = _messages(answer, seen, sender="+15017122661")
    with caplog.at_level(logging.INFO, logger="voice.wire.messaging"):
        assert not await messages.send(TO, BODY)
    assert logged in caplog.text
    assert "402917" not in caplog.text
    assert TO not in caplog.text  # the number only in part
    assert len(seen) == 1  # never retried


async def test_a_redirect_is_not_followed_and_carries_no_credentials_elsewhere() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"Location": "https://attacker.example/collect"})

    messages = _messages(answer, seen, sender="+15017122661")
    assert not await messages.send(TO, BODY)
    assert [r.url.host for r in seen] == ["api.twilio.com"]
