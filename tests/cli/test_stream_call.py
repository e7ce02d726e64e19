"""`voice call` against a server in the default live mode: the call runs over a Media Stream."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_commands import ROOT, VOICE, free_port, voice, wait_healthy


@pytest.fixture(scope="module")
def stream_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str], Path]]:
    workdir = tmp_path_factory.mktemp("cli-stream")
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k.upper()
            not in {
                "TWILIO_AUTH_TOKEN",
                "ADMIN_TOKEN",
                "DATABASE_URL",
                "AGENT_NUMBER",
                "VOICE_MODE",
            }
        },
        "DATA_DIR": str(workdir / "data"),
        "INTENTS_DIR": str(ROOT / "intents"),
        "AGENT_NUMBER": "+14155550100",
    }
    port = free_port()
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen(
        [VOICE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, workdir / "serve.log")
        yield url, env, workdir
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_call_over_the_live_stream(stream_server: tuple[str, dict[str, str], Path]) -> None:
    url, env, workdir = stream_server
    done = voice(
        "call", "--url", url, "What are your opening hours?", "keys:0", env=env, cwd=workdir
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "-> business_hours" in out
    assert "eos_to_first_audio" in out  # live-mode timings
    assert "call transferred to +14155550100" in out
