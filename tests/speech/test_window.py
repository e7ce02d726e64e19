"""The encoder window fitted to the utterance, and Whisper's repeats taken back to one copy."""

from __future__ import annotations

import numpy as np
import pytest

from voice.speech.window import fit_window, says_again


def _padded(content_frames: int, frames: int = 3000) -> np.ndarray:
    """Features as faster-whisper hands them to the encoder: the audio's frames (log-mel
    values, never all zero in a frame) and zero frames after them up to 30 s."""
    features = np.zeros((80, frames), dtype=np.float32)
    features[:, :content_frames] = np.random.default_rng(1).uniform(-0.8, 1.2, (80, content_frames))
    return features


def test_the_window_keeps_the_audio_and_the_margin() -> None:
    fitted = fit_window(_padded(251), margin_s=7.0)
    assert fitted.shape == (80, 952)  # 251 + 700, made even
    np.testing.assert_array_equal(fitted[:, :251], _padded(251)[:, :251])
    assert not fitted[:, 251:].any()


def test_a_batch_and_a_long_utterance() -> None:
    batch = np.stack([_padded(400), _padded(1200)])
    assert fit_window(batch, margin_s=2.0).shape == (2, 80, 1400)  # the longest decides
    assert fit_window(_padded(2900), margin_s=7.0).shape == (80, 3000)  # never longer


def test_a_zero_margin_or_silence_only() -> None:
    assert fit_window(_padded(251), margin_s=0).shape == (80, 3000)
    assert fit_window(np.zeros((80, 3000), np.float32), margin_s=1.0).shape == (80, 100)


@pytest.mark.parametrize(
    ("heard", "again"),
    [
        ("Are you open on Christmas Eve? Are you open on Christmas Eve?", True),
        ("But you open this Saturday, but you open this Saturday, but you open this", True),
        ("Four, five, four, five.", True),
        ("No, no.", True),
        ("0, 0, 0, 0", True),
        ("My order is 7, 0, 0, 0, 7.", False),
        ("7, zero, zero, zero, seven, zero, zero, seven.", True),  # test row digits-013
        ("I need a person, a person", True),
        ("my order 4, 5, 4, 5", True),
        ("I said refund, refund please", False),
        ("Yes.", False),
        ("", False),
        (" . ", False),
    ],
)
def test_a_transcript_that_says_itself_again(heard: str, again: bool) -> None:
    assert says_again(heard) is again
