"""Downloading caller recordings from Twilio (``RecordingUrl``), with retry and limits."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import httpx

from voice.errors import RecordingUnavailable

log = logging.getLogger(__name__)

MAX_RECORDING_BYTES = 16 * 1024 * 1024  # 30 s of 8 kHz 16-bit audio is under 0.5 MB
RETRY_DELAYS_S = (0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.0)  # about 4 s in all
_RETRY_STATUSES = {404, 409, 423, 429, 500, 502, 503, 504}


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
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or host not in self._allowed:
            raise RecordingUnavailable(
                f"recording host {host or url!r} is not allowed (RECORDING_HOSTS)"
            )
        if parts.scheme == "http" and host not in ("127.0.0.1", "localhost", "::1"):
            raise RecordingUnavailable("recordings are fetched over https only")

    async def fetch(self, url: str) -> bytes:
        self.check_url(url)
        last_error = "no attempt"
        for attempt, delay in enumerate((0.0, *self._delays)):
            if delay:
                await asyncio.sleep(delay)
            try:
                response = await self._client.get(url, auth=self._auth, timeout=5.0)
            except httpx.HTTPError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code == 200:
                body = response.content
                if len(body) > MAX_RECORDING_BYTES:
                    raise RecordingUnavailable(f"recording is {len(body)} bytes, over the limit")
                if attempt:
                    log.info("recording ready after %d retries", attempt)
                return body
            last_error = f"HTTP {response.status_code}"
            if response.status_code not in _RETRY_STATUSES:
                break
        raise RecordingUnavailable(f"could not download {url}: {last_error}")
