"""Downloading caller recordings from Twilio (``RecordingUrl``), with retry and limits.

Only hosts in ``RECORDING_HOSTS`` are contacted, over https (plain http only to a loopback
host listed there explicitly: the tests' stand-in for Twilio). Redirects are followed by
hand, at most ``MAX_REDIRECTS``, each hop checked again like the first URL. The account SID
and auth token (HTTP Basic) go only to Twilio's own hosts over https, and to an explicitly
listed loopback host; any other allowed host, and every redirect elsewhere, gets none.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urljoin, urlsplit

import httpx

from voice.errors import RecordingUnavailable

log = logging.getLogger(__name__)

MAX_RECORDING_BYTES = 16 * 1024 * 1024  # 30 s of 8 kHz 16-bit audio is under 0.5 MB
MAX_REDIRECTS = 3
RETRY_DELAYS_S = (0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.0)  # about 4 s in all
_RETRY_STATUSES = {404, 409, 423, 429, 500, 502, 503, 504}
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_twilio_host(host: str) -> bool:
    """Twilio's own API hosts (``api.twilio.com`` and the other ``*.twilio.com``)."""
    return host == "twilio.com" or host.endswith(".twilio.com")


class _Refused(RecordingUnavailable):
    """A URL or hop that is never fetched (not retried)."""


class RecordingFetcher:
    """Fetches a recording as WAV bytes. Only hosts in ``allowed_hosts`` are contacted.

    The file may not exist yet when Twilio calls the ``<Record action>`` URL, so 404 and
    transient errors are retried with a short backoff.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        account_sid: str,
        auth_token: str,
        allowed_hosts: frozenset[str],
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    ) -> None:
        self._client = client
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._allowed = allowed_hosts
        self._delays = retry_delays_s

    def check_url(self, url: str) -> None:
        """Raise ``RecordingUnavailable`` unless ``url`` may be fetched at all."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            _ = parts.port  # a malformed port raises ValueError
        except ValueError as exc:
            raise _Refused(f"recording URL is malformed: {exc}") from exc
        if parts.scheme not in ("http", "https") or not host:
            raise _Refused(f"recording URL must be https, got scheme {parts.scheme or 'none'!r}")
        if host not in self._allowed:
            raise _Refused(f"recording host {host!r} is not allowed (RECORDING_HOSTS)")
        if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
            raise _Refused("recordings are fetched over https only")
        if parts.username is not None or parts.password is not None:
            raise _Refused("recording URLs must not carry credentials")

    def _auth_for(self, url: str) -> httpx.BasicAuth | None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme == "https" and is_twilio_host(host):
            return self._auth
        if host in LOOPBACK_HOSTS and host in self._allowed:  # listed on purpose (tests)
            return self._auth
        return None

    async def fetch(self, url: str) -> bytes:
        self.check_url(url)
        last_error = "no attempt"
        for attempt, delay in enumerate((0.0, *self._delays)):
            if delay:
                await asyncio.sleep(delay)
            try:
                status, body = await self._get(url)
            except httpx.HTTPError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                continue
            if status == 200:
                if attempt:
                    log.info("recording ready after %d retries", attempt)
                return body
            last_error = f"HTTP {status}"
            if status not in _RETRY_STATUSES:
                break
        raise RecordingUnavailable(f"could not download {url}: {last_error}")

    async def _get(self, url: str) -> tuple[int, bytes]:
        """One download, following at most ``MAX_REDIRECTS`` redirects, each hop checked."""
        for _hop in range(MAX_REDIRECTS + 1):
            request = self._client.build_request("GET", url, timeout=5.0)
            response = await self._client.send(
                request, auth=self._auth_for(url), follow_redirects=False, stream=True
            )
            try:
                if response.status_code in _REDIRECT_STATUSES:
                    location = response.headers.get("location", "")
                    if not location:
                        return response.status_code, b""
                    url = urljoin(url, location)
                    self.check_url(url)  # refused hops raise, never retried
                    continue
                if response.status_code != 200:
                    return response.status_code, b""
                return 200, await _read_limited(response)
            finally:
                await response.aclose()
        raise _Refused(f"recording URL redirects more than {MAX_REDIRECTS} times")


async def _read_limited(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_RECORDING_BYTES:
            raise _Refused(f"recording is over {MAX_RECORDING_BYTES} bytes")
    return bytes(body)
