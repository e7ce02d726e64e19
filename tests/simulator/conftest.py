"""The speech fixtures of tests/speech (one thread pool, the bundled tiny.en), and the caller
voices, each loaded once per session."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.speech.conftest import executor, whisper
from voice.simulator.voices import VOICE_NAMES, CallerSpeaker, available, caller_speaker

__all__ = ["executor", "speakers", "whisper"]


@pytest.fixture(scope="session")
def speakers(executor: ThreadPoolExecutor) -> dict[str, CallerSpeaker]:
    """Every caller voice whose engine is installed here, by name."""
    return {name: caller_speaker(name, executor) for name in VOICE_NAMES if available(name)}
