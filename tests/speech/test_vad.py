import importlib.util
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.speech import audio_fixtures as af
from voice.errors import ConfigError
from voice.simulator.caller_voice import CallerVoice
from voice.speech import vad as vad_module
from voice.speech.vad import StreamingVAD

SENTENCE = "I would like to check the status of my order."


@pytest.fixture(scope="module")
async def padded_sentence(executor: ThreadPoolExecutor) -> tuple[np.ndarray, af.Speech]:
    """The sentence with 1 s of silence either side, and the trimmed speech."""
    said = await af.speech(CallerVoice.bundled(executor), SENTENCE)
    return np.concatenate([af.silence(1.0), said.samples, af.silence(1.0)]), said


def stream(vad: StreamingVAD, samples: np.ndarray, piece: int = af.FRAME) -> np.ndarray:
    probabilities: list[float] = []
    for start in range(0, len(samples), piece):
        probabilities += vad.push(samples[start : start + piece])
    return np.array(probabilities)


def test_speech_is_likely_and_silence_is_not(
    padded_sentence: tuple[np.ndarray, af.Speech],
) -> None:
    samples, said = padded_sentence
    vad = StreamingVAD()
    probabilities = stream(vad, samples)
    assert vad.frame_ms == 32.0
    assert len(probabilities) == len(samples) // 256
    times = (np.arange(len(probabilities)) + 0.5) * vad.frame_ms
    speech = probabilities[(times > 1100) & (times < 900 + said.ms)]
    quiet = probabilities[(times < 800) | (times > 1400 + said.ms)]
    assert np.median(speech) > 0.8
    assert np.mean(speech > 0.5) > 0.8
    assert quiet.max() < 0.1


@pytest.mark.parametrize("piece", [1, 37, 160, 1000, 8000, 10**6])
def test_any_framing_gives_the_same_probabilities(
    padded_sentence: tuple[np.ndarray, af.Speech], piece: int
) -> None:
    samples, _ = padded_sentence
    framed = stream(StreamingVAD(), samples)
    other = stream(StreamingVAD(), samples, piece)
    assert len(other) == len(framed)
    np.testing.assert_allclose(other, framed, atol=1e-4)


def test_the_model_scores_8khz_audio_natively(
    padded_sentence: tuple[np.ndarray, af.Speech],
) -> None:
    """One probability per 256 samples of the 8 kHz input: no resampling in between."""
    samples, _ = padded_sentence
    assert vad_module.model_path().endswith(os.path.join("silero_vad", "data", "silero_vad.onnx"))
    probabilities = stream(StreamingVAD(), samples[: 256 * 40])
    assert len(probabilities) == 40


def test_a_missing_model_package_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match="pip install --no-deps silero-vad"):
        vad_module.model_path()


def test_instances_share_the_model_but_not_the_state(
    padded_sentence: tuple[np.ndarray, af.Speech],
) -> None:
    samples, _ = padded_sentence
    alone = stream(StreamingVAD(), samples)
    first, second = StreamingVAD(), StreamingVAD()
    noise = af.white_noise(len(samples) / af.RATE)
    together: list[float] = []
    for start in range(0, len(samples), af.FRAME):
        together += first.push(samples[start : start + af.FRAME])
        second.push(noise[start : start + af.FRAME])
    np.testing.assert_array_equal(np.array(together), alone)


def test_reset_starts_a_fresh_stream(padded_sentence: tuple[np.ndarray, af.Speech]) -> None:
    samples, _ = padded_sentence
    vad = StreamingVAD()
    first = stream(vad, samples)
    stream(vad, af.pink_noise(0.77))
    vad.reset()
    np.testing.assert_array_equal(stream(vad, samples), first)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("440 Hz tone", lambda: af.tone(3.0)),
        ("1 kHz tone", lambda: af.tone(3.0, 1000.0)),
        ("DTMF", lambda: af.dtmf()),
        ("hold music", lambda: af.hold_music(5.0)),
        ("white noise", lambda: af.white_noise(3.0, level=0.1)),
        ("pink noise", lambda: af.pink_noise(3.0, level=0.1)),
        ("noise burst", lambda: af.noise_burst(150.0)),
    ],
)
def test_non_speech_is_unlikely(name: str, make: object) -> None:
    assert callable(make)
    probabilities = stream(StreamingVAD(), make())
    assert probabilities.max() < 0.35, name


def test_empty_frame_and_bad_threshold() -> None:
    assert StreamingVAD().push(np.zeros(0, dtype=np.int16)) == []
    with pytest.raises(ConfigError, match="threshold"):
        StreamingVAD(threshold=1.5)


def test_cost_per_frame(padded_sentence: tuple[np.ndarray, af.Speech]) -> None:
    samples, _ = padded_sentence
    audio = np.concatenate([samples] * 3)
    vad = StreamingVAD()
    frames = [audio[i : i + af.FRAME] for i in range(0, len(audio) // af.FRAME * af.FRAME, 160)]
    started = time.perf_counter()
    cpu = time.process_time()
    for frame in frames:
        vad.push(frame)
    wall_ms = (time.perf_counter() - started) * 1000 / len(frames)
    cpu_ms = (time.process_time() - cpu) * 1000 / len(frames)
    print(f"StreamingVAD: {wall_ms:.3f} ms wall, {cpu_ms:.3f} ms CPU per 20 ms frame")
