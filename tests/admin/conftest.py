"""An app whose intent folder is a scratch copy the tests may edit."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Line, always_open_policy, make_settings, open_line
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost


def scratch_intents(tmp_path: Path) -> Path:
    """A copy of the shipped intents whose policy has no opening hours."""
    folder = tmp_path / "intents"
    shutil.copytree(ROOT / "intents", folder)
    shutil.copyfile(always_open_policy(tmp_path), folder / "policy.yaml")
    return folder


@pytest.fixture
def intents_dir(tmp_path: Path) -> Path:
    return scratch_intents(tmp_path)


@pytest.fixture
async def admin_line(
    tmp_path: Path,
    shared_data: Path,
    intents_dir: Path,
    engines: Engines,
    recordings: RecordingHost,
    caller_voice: CallerVoice,
) -> AsyncIterator[Line]:
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        intents_dir=intents_dir,
        policy_file=intents_dir / "policy.yaml",
        intents_reload_s=0,  # the tests reload on purpose
    )
    async with open_line(settings, engines, recordings, caller_voice) as line:
        yield line
