"""`voice call` against a server in the default live mode: the call runs over a Media Stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cli.test_commands import clean_env, running_server, seed_reply_audio, voice
from voice.engines import Engines
from voice.simulator.voices import available, why_unavailable


@pytest.fixture(scope="module")
async def live(
    tmp_path_factory: pytest.TempPathFactory, engines: Engines
) -> AsyncIterator[tuple[str, dict[str, str], Path]]:
    workdir = tmp_path_factory.mktemp("cli-stream")
    env = clean_env(workdir, AGENT_NUMBER="+14155550100")
    await seed_reply_audio(env, engines)
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


def test_a_reply_cut_off_in_a_pause_is_not_taken_for_the_answer(
    live: tuple[str, dict[str, str], Path],
) -> None:
    """The bot begins answering in the caller's pause and stops when they go on (recovery);
    the simulated caller must then wait for the real answer, not speak its next line into
    the same turn (it did: both lines were heard as one turn)."""
    url, env, workdir = live
    paused = "What time do you open [noise:0.7] on Saturdays?"
    done = voice(
        "call",
        "--url",
        url,
        "--voice",
        "hibari",
        paused,
        "Where is my order?",
        env=env,
        cwd=workdir,
    )
    assert done.returncode == 0, done.stderr
    turns = [line for line in done.stdout.splitlines() if line.strip().startswith("caller:")]
    assert len(turns) == 2, done.stdout
    assert "saturday" in turns[0].lower() and "order" not in turns[0].lower(), turns[0]
    assert "-> track_order" in turns[1], turns[1]
