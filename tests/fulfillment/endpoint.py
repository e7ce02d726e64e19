"""A stand-in fulfillment endpoint on loopback (a real HTTP server in a thread).

The first path segment picks the behaviour, so one server serves every case:
``{url}/ok/order_status`` answers well, ``{url}/slow/...`` only after ``SLOW_S``, and so on
(see ``Handler.do_POST``). Every request is kept (path, headers, body) for assertions.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLOW_S = 5.0  # far beyond any timeout under test
DELAYED_S = 1.2  # slow enough for a spoken "one moment", within the default 1.5 s timeout

ORDER_FOUND: dict[str, Any] = {
    "found": True,
    "fields": {
        "order_number_spoken": "four five seven one two",
        "status_sentence": "left our Berlin warehouse this morning.",
    },
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """The client gave up first (timeouts, size limits): expected here, not news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class Endpoint:
    """Answers POSTs; ``requests`` holds (path, headers, body) of each, in order."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], str]] = []
        self.answers: dict[str, Any] = {"ok": ORDER_FOUND}  # mode -> JSON for "ok"-like modes
        self.release = threading.Event()  # set at close: slow handlers stop waiting
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                endpoint.requests.append((self.path, dict(self.headers), body))
                mode = self.path.strip("/").split("/")[0]
                if mode in endpoint.answers:
                    self._send(200, json.dumps(endpoint.answers[mode]).encode())
                elif mode == "delayed":
                    endpoint.release.wait(DELAYED_S)
                    self._send(200, json.dumps(ORDER_FOUND).encode())
                elif mode == "slow":
                    endpoint.release.wait(SLOW_S)
                    self._send(200, json.dumps(ORDER_FOUND).encode())
                elif mode == "trickle":  # headers at once, then a byte every 0.3 s
                    payload = json.dumps(ORDER_FOUND).encode()
                    self._head(200, len(payload))
                    for byte in payload:
                        if endpoint.release.wait(0.3):
                            break
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                elif mode == "error":
                    self._send(500, b'{"error": "database down"}')
                elif mode == "missing":
                    self._send(404, b"no such lookup")
                elif mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "/ok/order_status")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif mode == "garbage":
                    self._send(200, b"<html>Service Unavailable</html>")
                elif mode == "huge":
                    self._send(200, b'{"found": true, "say": "' + b"a" * 100_000 + b'"}')
                elif mode == "huge_chunked":  # no Content-Length: the size shows while reading
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b" " * 16_384
                    for _ in range(8):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                elif mode == "hangup":  # read the request, then drop the connection
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                else:
                    self._send(400, b"unknown mode")

            def _head(self, status: int, length: int) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(length))
                self.end_headers()

            def _send(self, status: int, payload: bytes) -> None:
                self._head(status, len(payload))
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def body(self, index: int = -1) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.requests[index][2])
        return loaded

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def refused_url() -> str:
    """A loopback URL where nothing listens (the port was just free)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
