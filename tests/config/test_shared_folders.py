"""Folders several instances share: a data folder (development tokens) and the reply audio
folder (its files and the key they are named by). Instances start at the same moment."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from voice.config import AUDIO_KEY_FILE, DEV_SECRETS_FILE, Settings, resolve_secrets

ROUNDS = 8
INSTANCES = 4

# Each process resolves its secrets in one fresh folder per round, all processes at the
# same instant (a shared start time per round), and prints what it got.
_INSTANCE = """
import json, sys, time
from pathlib import Path
from voice.config import Settings, resolve_secrets
root, start = Path(sys.argv[1]), float(sys.argv[2])
for n in range(int(sys.argv[3])):
    settings = Settings(_env_file=None, data_dir=root / f"data-{n}")
    while time.time() < start + n * 0.15:
        pass
    try:
        got = resolve_secrets(settings)
        print(json.dumps([got.twilio_auth_token, got.admin_token, got.audio_key.hex()]))
    except Exception as exc:
        print(json.dumps(["error", repr(exc), ""]))
"""


def test_instances_starting_together_on_one_data_folder_agree(tmp_path: Path) -> None:
    """They did not: two created different tokens (and so refused each other's signed
    webhooks), or one crashed replacing the file another had just renamed."""
    start = time.time() + 3.0  # time for every interpreter to start
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _INSTANCE, str(tmp_path), str(start), str(ROUNDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(INSTANCES)
    ]
    outputs = [p.communicate(timeout=60)[0].splitlines() for p in processes]
    for n in range(ROUNDS):
        seen = {tuple(json.loads(lines[n])) for lines in outputs}
        assert len(seen) == 1, f"round {n}: {seen}"
        [(auth, admin, _key)] = seen
        stored = json.loads((tmp_path / f"data-{n}" / DEV_SECRETS_FILE).read_text())
        assert (stored["twilio_auth_token"], stored["admin_token"]) == (auth, admin)


def test_the_reply_audio_key_lives_with_the_audio(tmp_path: Path) -> None:
    """Two instances with data folders of their own and one audio folder name each reply
    alike, so either serves (and neither synthesizes again) what the other made."""
    shared = tmp_path / "shared-audio"
    first, second = (
        resolve_secrets(Settings(_env_file=None, data_dir=tmp_path / name, audio_cache_dir=shared))
        for name in ("a", "b")
    )
    assert first.audio_key == second.audio_key and len(first.audio_key) == 32
    assert (shared / AUDIO_KEY_FILE).stat().st_mode & 0o077 == 0
    assert not list(shared.glob(".*"))  # no temporary file left behind
    alone = resolve_secrets(Settings(_env_file=None, data_dir=tmp_path / "c"))
    assert alone.audio_key != first.audio_key  # its own folder: data/audio-cache


def test_an_earlier_versions_key_is_carried_over(tmp_path: Path) -> None:
    """The audio made before the key moved keeps its names."""
    data = tmp_path / "data"
    data.mkdir()
    earlier = "ab" * 32
    (data / DEV_SECRETS_FILE).write_text(json.dumps({"audio_key": earlier}))
    got = resolve_secrets(Settings(_env_file=None, data_dir=data, admin_token="t" * 20))
    assert got.audio_key.hex() == earlier
    assert (data / "audio-cache" / AUDIO_KEY_FILE).read_text() == earlier
