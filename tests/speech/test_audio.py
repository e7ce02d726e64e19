import numpy as np
import pytest

from voice.errors import AudioFormatError
from voice.speech.audio import Audio


def test_duration_is_samples_over_rate() -> None:
    assert Audio(np.zeros(12000, np.int16), 8000).duration_s == pytest.approx(1.5)
    assert Audio(np.zeros(0, np.int16), 16000).duration_s == 0.0


@pytest.mark.parametrize(
    ("samples", "rate"),
    [
        (np.zeros(10, np.float32), 8000),
        (np.zeros((10, 2), np.int16), 8000),
        (np.zeros(10, np.int16), 0),
    ],
)
def test_rejects_what_is_not_mono_int16(samples: np.ndarray, rate: int) -> None:
    with pytest.raises(AudioFormatError):
        Audio(samples, rate)
