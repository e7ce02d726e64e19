"""The first words of an utterance reach the turn (issue: "first words lost", live mode).

Reproduces the failure seen over the live path: a phone-band caller (300-3400 Hz, the
bundled voice slightly slower) saying a short answer after a second of silence. With the
16 kHz Silero model fed upsampled phone audio, ``SpeechStarted`` came 90-570 ms late and
one-word answers ("help", "no") made no turn at all once the caller was a little quiet.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.speech import audio_fixtures as af
from voice.speech.codecs import resample
from voice.speech.models import BUNDLED_VOICE, resolve_piper_voice
from voice.speech.vad import StreamingVAD
from voice.turntaking.detector import SpeechStarted, TurnDetector, TurnEnded, TurnEvent

ANSWERS = ("no", "help", "yes", "operator", "agent", "yes, that's right")
GAINS_DB = (0.0, -12.0, -20.0)
LEAD_MS = 1000
LATE_MS = 100  # the detected start may trail the true one by at most this much


@pytest.fixture(scope="module")
def slower_joe(executor: ThreadPoolExecutor) -> dict[str, np.ndarray]:
    """Each answer by the bundled voice at length_scale 1.1, 8 kHz, trimmed to its voice."""
    from piper import PiperVoice, SynthesisConfig

    model, config = resolve_piper_voice(BUNDLED_VOICE)
    voice = PiperVoice.load(model, config_path=config)
    slow = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=1.1)
    out: dict[str, np.ndarray] = {}
    for text in ANSWERS:
        chunks = list(voice.synthesize(text, syn_config=slow))
        samples = np.concatenate([c.audio_int16_array for c in chunks]).astype(np.int16)
        narrow = resample(samples, chunks[0].sample_rate, af.RATE)
        out[text] = _trim(narrow)
    return out


def _trim(samples: np.ndarray) -> np.ndarray:
    """Cut leading and trailing silence (10 ms windows under -50 dBFS)."""
    windows = samples[: len(samples) // 80 * 80].reshape(-1, 80).astype(np.float64)
    loud = np.flatnonzero(np.sqrt(np.mean(windows**2, axis=1)) > 100)
    return samples[loud[0] * 80 : (loud[-1] + 1) * 80].copy()


def run(samples: np.ndarray) -> list[TurnEvent]:
    detector = TurnDetector(StreamingVAD(), start_ms=120, pause_ms=250, end_ms=600)
    events: list[TurnEvent] = []
    for frame, now_ms in af.frames(samples):
        events += detector.push(frame, now_ms)
    return events


@pytest.mark.parametrize("gain_db", GAINS_DB)
@pytest.mark.parametrize("text", ANSWERS)
def test_a_short_phone_band_answer_is_one_turn_from_its_first_syllable(
    slower_joe: dict[str, np.ndarray], text: str, gain_db: float
) -> None:
    voice = af.phone_band(slower_joe[text], gain_db)
    line = np.concatenate([af.silence(LEAD_MS / 1000), voice, af.silence(1.5)])
    events = run(line)
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    ends = [e for e in events if isinstance(e, TurnEnded)]
    assert len(starts) == 1 and len(ends) == 1, (text, gain_db, events)
    late = starts[0].at_ms - LEAD_MS
    assert -150 <= late <= LATE_MS, f"{text!r} at {gain_db} dB: voice detected {late:.0f} ms late"
    # The turn's audio holds the whole answer: from before the voice to after it.
    preroll = (len(ends[0].audio) - (ends[0].last_voice_ms - starts[0].at_ms) * 8) / 8
    assert starts[0].at_ms - preroll <= LEAD_MS
