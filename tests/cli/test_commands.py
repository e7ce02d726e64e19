"""The console script as a newcomer uses it: `voice serve` in one process, `voice call` in
another, sharing the development tokens the server created in its data folder."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import httpx
import pytest

from tests.conftest import always_open_policy
from voice.app import create_app
from voice.config import DEV_SECRETS_FILE, Settings, resolve_secrets
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.voices import VOICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
VOICE = str(Path(sys.executable).parent / "voice")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def env(workdir: Path) -> dict[str, str]:
    # Turn by turn, the server fetches the simulator's recordings from loopback: listed on
    # purpose, as the README says.
    return clean_env(
        workdir,
        PUBLIC_BASE_URL="http://localhost:8000",
        VOICE_MODE="turns",
        RECORDING_HOSTS="api.twilio.com,127.0.0.1",
    )


@contextmanager
def running_server(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """`voice serve` as a subprocess on a free port; yields its URL."""
    port = free_port()
    log_path = workdir / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [VOICE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process, log_path)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def clean_env(workdir: Path, **values: str) -> dict[str, str]:
    """The environment without configured secrets, with a data folder in ``workdir``."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if k.upper()
        not in {"TWILIO_AUTH_TOKEN", "ADMIN_TOKEN", "DATABASE_URL", "AGENT_NUMBER", "VOICE_MODE"}
    }
    # The `voice` script imports the package its venv was installed from: put this checkout
    # first, so a second worktree sharing the venv tests its own code.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **kept,
        "PYTHONPATH": path,
        "DATA_DIR": str(workdir / "data"),
        "INTENTS_DIR": str(ROOT / "intents"),
        "POLICY_FILE": str(always_open_policy(workdir)),
        **values,
    }


async def seed_reply_audio(env: dict[str, str], engines: Engines) -> None:
    """The reply cache `voice serve` with ``env`` warms at start-up, made ahead in its data
    folder by this session's real voice (tests/conftest.py ``SessionVoice``), so the server
    does not spend most of its start synthesizing the same prompts again. The app warms a
    scratch folder with the server's own settings; only its audio files and the audio key
    they are named by move over. Every token is still the server's to create, and anything
    else the server says it synthesizes itself, with its own Piper."""
    data = Path(env["DATA_DIR"])
    scratch = data.parent / "reply-audio-seed"
    with mock.patch.dict(os.environ, env, clear=True):
        settings = Settings(_env_file=None, data_dir=scratch)
    app = create_app(settings, engines=engines)
    async with app.router.lifespan_context(app):
        pass
    _move_reply_audio(settings, data)


def _move_reply_audio(seeded: Settings, data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    shutil.copytree(seeded.data_dir / "audio-cache", data / "audio-cache")
    key = resolve_secrets(seeded).audio_key.hex()
    (data / DEV_SECRETS_FILE).write_text(json.dumps({"audio_key": key}))
    shutil.rmtree(seeded.data_dir)


@pytest.fixture(scope="module")
async def server(env: dict[str, str], workdir: Path, engines: Engines) -> AsyncIterator[str]:
    await seed_reply_audio(env, engines)
    with running_server(env, workdir) as url:
        yield url


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until ``url``/healthz answers; the server log in the error if it never does."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("server did not start: " + log.read_text())


def voice(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VOICE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180
    )


def test_serve_announces_its_development_tokens(server: str, workdir: Path) -> None:
    log = (workdir / "serve.log").read_text()
    assert "development tokens in use" in log
    assert (workdir / "data" / "dev-secrets.json").is_file()
    stored = json.loads((workdir / "data" / "dev-secrets.json").read_text())
    assert {"twilio_auth_token", "admin_token"} <= set(stored)  # the server's own tokens


def test_call_prints_each_turn(server: str, env: dict[str, str], workdir: Path) -> None:
    done = voice(
        "call", "--url", server, "What are your opening hours?", "No thanks.", env=env, cwd=workdir
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "-> business_hours" in out
    assert "stt " in out and "tts " in out  # stage timings
    assert "Thanks for calling. Goodbye!" in out
    assert "Call ended by the service" in out


async def test_call_with_audio_files(
    server: str, env: dict[str, str], workdir: Path, caller_voice: CallerVoice
) -> None:
    wav = workdir / "question.wav"
    wav.write_bytes(await caller_voice.say("I forgot my password."))
    done = voice("call", "--url", server, "--audio", str(wav), env=env, cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "-> reset_password" in done.stdout


def test_call_without_a_server_says_how_to_start_one(env: dict[str, str], workdir: Path) -> None:
    done = voice("call", "--url", f"http://127.0.0.1:{free_port()}", "hello", env=env, cwd=workdir)
    assert done.returncode == 1
    assert "make run" in done.stderr


def test_call_signed_with_another_token_says_why(
    server: str, env: dict[str, str], workdir: Path
) -> None:
    other = {**env, "TWILIO_AUTH_TOKEN": "not-the-servers-token"}
    done = voice("call", "--url", server, "hello", env=other, cwd=workdir)
    assert done.returncode == 1
    assert "invalid Twilio signature" in done.stderr and "DATA_DIR" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_setting_fails_with_a_fix(env: dict[str, str], workdir: Path) -> None:
    done = voice("serve", env={**env, "PUBLIC_BASE_URL": "example.com"}, cwd=workdir)
    assert done.returncode == 2
    assert "PUBLIC_BASE_URL" in done.stderr
    assert "absolute http(s) URL" in done.stderr


def test_voice_help_lists_the_caller_voices(env: dict[str, str], workdir: Path) -> None:
    done = voice("call", "--voice", "help", env=env, cwd=workdir)
    assert done.returncode == 0, done.stderr
    for name in VOICE_NAMES:
        assert f"  {name} " in done.stdout


def test_unknown_voice_is_refused_with_the_list(env: dict[str, str], workdir: Path) -> None:
    done = voice("call", "--voice", "joe-whisper", "hello", env=env, cwd=workdir)
    assert done.returncode == 2
    assert "unknown voice 'joe-whisper'" in done.stderr
    assert "festival-slt" in done.stderr


def test_bad_step_is_refused(env: dict[str, str], workdir: Path) -> None:
    done = voice("call", "keys:12a", env=env, cwd=workdir)
    assert done.returncode == 2
    assert "keys: takes digits" in done.stderr
