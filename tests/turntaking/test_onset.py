"""Loudness onsets on the caller's line (the first sign of a barge-in), on made-up audio
and on a caller voice: a voice is seen within a few frames, a click is not, and steady
line noise never is."""

from __future__ import annotations

import asyncio

import numpy as np

from voice.engines import Engines
from voice.simulator.caller_audio import Delivery, render
from voice.simulator.voices import caller_speaker
from voice.turntaking.onset import ONSET_FRAMES, SoundOnset, frame_dbfs

FRAME = 160  # 20 ms at 8 kHz


def _frames(samples: np.ndarray) -> list[np.ndarray]:
    padded = np.concatenate([samples, np.zeros(-len(samples) % FRAME, dtype=np.int16)])
    return [padded[i : i + FRAME] for i in range(0, len(padded), FRAME)]


def _noise(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = 32768 * 10 ** (dbfs / 20)
    return np.clip(rng.normal(0, scale, round(seconds * 8000)), -32768, 32767).astype(np.int16)


def _onsets(onset: SoundOnset, samples: np.ndarray) -> list[int]:
    return [i for i, frame in enumerate(_frames(samples)) if onset.push(frame)]


def test_frame_level() -> None:
    assert frame_dbfs(np.zeros(FRAME, dtype=np.int16)) == -90.0
    full = np.full(FRAME, 32767, dtype=np.int16)
    assert abs(frame_dbfs(full)) < 0.01
    assert abs(frame_dbfs(_noise(0.02, -30)) + 30) < 1.5


def test_steady_line_noise_never_makes_an_onset() -> None:
    onset = SoundOnset()
    assert _onsets(onset, _noise(10, -35)) == []
    assert -38 < onset.floor_dbfs < -34


def test_a_click_is_too_short_and_a_burst_is_an_onset_once() -> None:
    onset = SoundOnset()
    line = _noise(1, -60)
    click = _noise(0.02, -10, seed=1)
    assert _onsets(onset, np.concatenate([line, click, line])) == []
    burst = _noise(0.5, -25, seed=2)
    found = _onsets(onset, np.concatenate([line, burst, line]))
    assert found == [50 + ONSET_FRAMES - 1]  # the third loud frame, and only once


def test_a_caller_voice_over_noise_is_an_onset_within_three_frames(engines: Engines) -> None:
    async def clip() -> tuple[np.ndarray, int]:
        speaker = caller_speaker("hibari", engines.tts_pool)
        made = await render(speaker, "Actually, wait.", Delivery(lead_ms=1000, snr_db=20))
        voice_frame = int(made.speech[0][0] // 20)
        assert voice_frame >= 45
        return made.audio.samples, voice_frame

    samples, voice_frame = asyncio.run(clip())
    found = _onsets(SoundOnset(), samples)
    assert found and voice_frame <= found[0] <= voice_frame + ONSET_FRAMES + 1, (
        found,
        voice_frame,
    )
