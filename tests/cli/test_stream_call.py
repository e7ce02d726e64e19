"""`voice call` against a server in the default live mode: the call runs over a Media Stream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_commands import clean_env, running_server, voice
from voice.simulator.voices import available, why_unavailable


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    workdir = tmp_path_factory.mktemp("cli-stream")
    env = clean_env(workdir, AGENT_NUMBER="+14155550100")
    with running_server(env, workdir) as url:
        yield url, env, workdir


def test_call_over_the_live_stream(live: tuple[str, dict[str, str], Path]) -> None:
    url, env, workdir = live
    done = voice(
        "call", "--url", url, "What are your opening hours?", "keys:0", env=env, cwd=workdir
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "-> business_hours" in out
    assert "eos_to_first_audio" in out  # live-mode timings
    assert "call transferred to +14155550100" in out


@pytest.mark.skipif(not available("flite-slt"), reason=str(why_unavailable("flite-slt")))
def test_call_in_another_voice_prints_only_its_own_lines(
    live: tuple[str, dict[str, str], Path],
) -> None:
    url, env, workdir = live
    question = "What are your opening hours?"
    done = voice("call", "--url", url, "--voice", "flite-slt", question, env=env, cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "with voice flite-slt" in done.stdout
    assert "-> business_hours" in done.stdout
    assert "Call ended by the" in done.stdout
    for stream in (done.stdout, done.stderr):  # no request log lines between the turns
        assert "httpx" not in stream and "HTTP Request" not in stream
