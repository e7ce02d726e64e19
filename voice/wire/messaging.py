"""Text messages through Twilio's Messaging REST API: the one-time codes of caller
verification.

``POST {TWILIO_API_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded
``To``, ``Body`` and ``From`` (``SMS_FROM``) or ``MessagingServiceSid``, HTTP Basic auth
with the account SID and auth token. Twilio answers ``201 Created`` with the message as
JSON (``sid`` ``SM...``, ``status`` ``queued`` or ``accepted``); an error is a 4xx/5xx
with ``code`` and ``message``. Nothing is retried: a caller waits on the line, and the
dialog verifies another way or hands over when a code cannot be sent. The body (it holds
the code) is never logged, and the number only in part.
"""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import quote, urlsplit

import httpx

log = logging.getLogger(__name__)

TIMEOUT_S: Final = 5.0
API_URL: Final = "https://api.twilio.com"


class TwilioMessages:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        account_sid: str,
        auth_token: str,
        sender: str | None = None,
        messaging_service_sid: str | None = None,
        api_url: str = API_URL,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        if not (sender or messaging_service_sid):
            raise ValueError("a text message needs SMS_FROM or TWILIO_MESSAGING_SERVICE_SID")
        self._client = client
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._from = (
            {"MessagingServiceSid": messaging_service_sid}
            if messaging_service_sid
            else {"From": sender or ""}
        )
        base = api_url.rstrip("/")
        self.url = f"{base}/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
        self._timeout = timeout_s
        self._host = urlsplit(base).hostname or ""

    async def send(self, to: str, body: str) -> bool:
        """Send ``body`` to ``to``; False (logged, without the body) when Twilio did not
        take the message."""
        data = {"To": to, "Body": body, **self._from}
        try:
            response = await self._client.post(
                self.url,
                data=data,
                auth=self._auth,
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            log.warning("text to %s not sent: %s: %s", _masked(to), type(exc).__name__, exc)
            return False
        if response.status_code != 201:
            log.warning(
                "text to %s not sent: HTTP %d from %s (%s)",
                _masked(to),
                response.status_code,
                self._host,
                _twilio_error(response),
            )
            return False
        try:
            sid = str(response.json().get("sid", ""))
        except ValueError:
            sid = ""
        if not sid.startswith("SM"):
            log.warning("text to %s: Twilio's answer has no message SID", _masked(to))
            return False
        log.info("text %s to %s queued", sid, _masked(to))
        return True


def _twilio_error(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return "no JSON"
    if not isinstance(data, dict):
        return "no error object"
    return f"error {data.get('code')}: {str(data.get('message', ''))[:120]}"


def _masked(number: str) -> str:
    """``+1500555••06``: enough to tell numbers apart in a log, not to dial one."""
    return number[:-4] + "••" + number[-2:] if len(number) > 6 else "••"
