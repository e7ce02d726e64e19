"""Several real `voice serve` processes behind a real nginx, on one PostgreSQL.

``Proxy`` runs Debian's nginx with the shipped ``deploy/nginx/voice-locations.conf`` in a
server whose upstream lists the instances (round robin, one worker, so requests alternate
strictly) and logs which instance served each request. ``Instance`` is one `voice serve`
subprocess with a data folder of its own. ``Receiver`` is the CRM and the alert channel: it
keeps every webhook it is sent. ``seed_reply_audio`` makes the prompts' audio ahead with this
test session's voice, so the instances start without synthesizing them all again.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import httpx

from voice.app import create_app
from voice.config import Settings
from voice.engines import Engines

ROOT = Path(__file__).resolve().parents[2]
VOICE = str(Path(sys.executable).parent / "voice")
LOCATIONS = ROOT / "deploy" / "nginx" / "voice-locations.conf"
START_TIMEOUT_S = 150.0
# Every variable the settings class reads: none may leak in from the developer's shell.
SETTING_NAMES = frozenset(
    str(field.validation_alias or name).upper() for name, field in Settings.model_fields.items()
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def service_env(values: Mapping[str, str]) -> dict[str, str]:
    """The process environment without any setting of the service, plus ``values``; this
    checkout first on the path (a second worktree may share the venv)."""
    kept = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**kept, "PYTHONPATH": path, **values}


class Instance:
    """One `voice serve` on 127.0.0.1:``port``; its log in its own folder."""

    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = folder / "data"
        self.log_path = folder / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.mode = ""

    @property
    def address(self) -> str:
        """As nginx names the instance in ``$upstream_addr``."""
        return f"127.0.0.1:{self.port}"

    def start(self, env: Mapping[str, str]) -> None:
        self.mode = env["VOICE_MODE"]
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(f"==== voice serve, VOICE_MODE={self.mode}\n")
            log.flush()
            self.process = subprocess.Popen(
                [VOICE, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=service_env({**env, "DATA_DIR": str(self.data_dir)}),
                cwd=self.folder,  # no .env here
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self) -> None:
        """Until /healthz answers; the log in the error if the process dies or never does."""
        deadline = time.monotonic() + START_TIMEOUT_S
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"instance {self.name} exited:\n{self.log()}")
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
        raise RuntimeError(f"instance {self.name} did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass(frozen=True)
class Served:
    """One line of the proxy's access log."""

    method: str
    path: str
    status: int
    upstream: str  # the instance's address ("127.0.0.1:port")


class Proxy:
    """Debian's nginx as a subprocess, listening on 127.0.0.1:``port``."""

    def __init__(self, folder: Path, upstreams: list[str]) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = folder / "access.log"
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "nginx.conf"
        self.conf.write_text(self._config(upstreams))

    def _config(self, upstreams: list[str]) -> str:
        temp = "\n".join(
            f"    {kind}_temp_path {self.folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        servers = "\n".join(f"        server {address};" for address in upstreams)
        user = "user root;\n" if os.geteuid() == 0 else ""  # its temp folders are root's
        return f"""{user}worker_processes 1;
pid {self.folder / "nginx.pid"};
error_log {self.folder / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    log_format served '$request_method $uri $status $upstream_addr';
    access_log {self.access_log} served;
{temp}
    upstream voice {{
{servers}
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        include {LOCATIONS};
    }}
}}
"""

    def start(self, binary: str) -> None:
        """Start nginx (in the foreground, its own prefix) and wait until it listens."""
        argv = [binary, "-c", str(self.conf), "-p", str(self.folder), "-e", "stderr"]
        with (self.folder / "stderr.log").open("w") as stderr:
            self.process = subprocess.Popen(
                [*argv, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=stderr
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nginx exited: " + (self.folder / "stderr.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not listen: " + (self.folder / "stderr.log").read_text())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def mark(self) -> int:
        """A place in the access log; ``served_since`` reads what came after it."""
        return len(self._lines())

    def served_since(self, mark: int) -> list[Served]:
        out = []
        for line in self._lines()[mark:]:
            method, path, status, upstream = line.split(" ", 3)
            out.append(Served(method, path, int(status), upstream))
        return out

    def _lines(self) -> list[str]:
        if not self.access_log.exists():
            return []
        return [line for line in self.access_log.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Webhook:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


class Receiver:
    """A CRM and an alert channel on loopback: answers 204 and keeps every request."""

    def __init__(self) -> None:
        self.received: list[Webhook] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with receiver._lock:
                    receiver.received.append(Webhook(self.path, dict(self.headers), body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def of(self, event: str) -> list[Webhook]:
        with self._lock:
            return [w for w in self.received if w.payload.get("event") == event]

    async def wait_for(self, event: str, call_sid: str, timeout: float = 20) -> Webhook:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [w for w in self.of(event) if w.payload.get("call_sid") == call_sid]
            if found:
                return found[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {event} webhook for {call_sid} within {timeout} s")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def seed_reply_audio(env: Mapping[str, str], engines: Engines, folder: Path) -> None:
    """The reply audio an instance with ``env`` warms at start-up, with its key, made into
    ``folder`` (the shared AUDIO_CACHE_DIR) by this session's voice (tests/conftest.py
    ``SessionVoice``): an app with the instances' settings but a scratch data folder and
    database warms it once. Anything else the instances say they synthesize themselves."""
    scratch = folder.parent / "reply-audio-seed"
    with mock.patch.dict(os.environ, service_env(env), clear=True):
        settings = Settings(
            _env_file=None,
            data_dir=scratch,
            audio_cache_dir=folder,
            database_url=f"sqlite:///{scratch / 'voice.db'}",
            alert_check_interval_s=0,
            intents_reload_s=0,
            handoff_webhook_url=None,
            alert_webhook_url=None,
        )
    app = create_app(settings, engines=engines)
    async with app.router.lifespan_context(app):
        pass
    shutil.rmtree(scratch)
