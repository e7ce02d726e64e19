"""A stand-in for Twilio's recordings API on loopback, used by the simulator and tests.

Serves ``GET /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}`` as WAV, requires
HTTP Basic auth with the account SID and auth token (as Twilio can), and can answer 404 for
the first requests of a recording to imitate a file that is not ready yet.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingHost:
    def __init__(self, account_sid: str, auth_token: str, host: str = "127.0.0.1") -> None:
        self.account_sid = account_sid
        self._expected = (
            "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        )
        self._files: dict[str, bytes] = {}
        self._not_ready: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests = 0
        self.unauthorized = 0
        handler = self._handler()
        self._server = ThreadingHTTPServer((host, 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RecordingHost:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, wav: bytes, *, not_ready_for: int = 0) -> tuple[str, str]:
        """Publish a recording; returns (RecordingSid, RecordingUrl)."""
        sid = "RE" + secrets.token_hex(16)
        with self._lock:
            self._files[sid] = wav
            self._not_ready[sid] = not_ready_for
        return sid, f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}"

    def _lookup(self, path: str, auth: str | None) -> tuple[int, bytes]:
        with self._lock:
            self.requests += 1
            if auth is None or not hmac.compare_digest(auth, self._expected):
                self.unauthorized += 1
                return 401, b"authentication required"
            prefix = f"/2010-04-01/Accounts/{self.account_sid}/Recordings/"
            if not path.startswith(prefix):
                return 404, b"not found"
            sid = path.removeprefix(prefix).removesuffix(".wav")
            if sid not in self._files:
                return 404, b"not found"
            if self._not_ready[sid] > 0:
                self._not_ready[sid] -= 1
                return 404, b"not ready"
            return 200, self._files[sid]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = host._lookup(self.path, self.headers.get("Authorization"))
                self.send_response(status)
                self.send_header("Content-Type", "audio/x-wav" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
