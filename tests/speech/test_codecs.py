import io
import wave

import numpy as np
import pytest

from tests.speech.conftest import tone
from voice.speech.audio import Audio
from voice.speech.codecs import (
    for_whisper,
    mulaw_decode,
    mulaw_encode,
    phone_wav,
    resample,
    to_phone_quality,
)

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


@pytest.mark.parametrize(
    ("pcm", "code"),
    [(0, 0xFF), (-1, 0x7F), (1000, 0xCE), (-1000, 0x4E), (32767, 0x80), (-32768, 0x00)],
)
def test_mulaw_encode_known_values(pcm: int, code: int) -> None:
    assert mulaw_encode(np.array([pcm], np.int16)) == bytes([code])


@pytest.mark.parametrize(
    ("code", "pcm"),
    [(0xFF, 0), (0x7F, 0), (0xCE, 988), (0x4E, -988), (0x80, 32124), (0x00, -32124)],
)
def test_mulaw_decode_known_values(code: int, pcm: int) -> None:
    decoded = mulaw_decode(bytes([code]))
    assert decoded.dtype == np.int16
    assert decoded.tolist() == [pcm]


def test_mulaw_round_trip_error_is_within_half_a_step() -> None:
    decoded = mulaw_decode(mulaw_encode(ALL_INT16)).astype(np.int32)
    original = ALL_INT16.astype(np.int32)
    # A step in segment e is 2**(e+3) and |x| + 132 >= 2**(e+7): half a step <= (|x|+132)/32.
    assert np.all(np.abs(decoded - original) <= (np.abs(original) + 132) / 32)


def test_mulaw_decode_then_encode_is_identity() -> None:
    codes = bytes(code for code in range(256) if code != 0x7F)  # 0x7F is "negative zero"
    assert mulaw_encode(mulaw_decode(codes)) == codes


def test_mulaw_is_monotonic() -> None:
    assert np.all(np.diff(mulaw_decode(mulaw_encode(ALL_INT16)).astype(np.int32)) >= 0)


@pytest.mark.parametrize(("src", "dst"), [(22050, 8000), (8000, 16000), (16000, 8000)])
def test_resample_length_and_type(src: int, dst: int) -> None:
    out = resample(tone(440, 1.0, rate=src).samples, src, dst)
    assert out.dtype == np.int16
    assert abs(len(out) - dst) <= 1


def test_resample_same_rate_is_identity() -> None:
    samples = tone(440, 0.1).samples
    assert np.array_equal(resample(samples, 16000, 16000), samples)


def test_resample_keeps_the_frequency() -> None:
    out = resample(tone(440, 1.0, rate=22050).samples, 22050, 8000)
    spectrum = np.abs(np.fft.rfft(out.astype(np.float64)))
    peak_hz = np.argmax(spectrum) * 8000 / len(out)
    assert peak_hz == pytest.approx(440, abs=2)


def test_to_phone_quality_is_8khz_and_close_to_the_original() -> None:
    audio = tone(440, 1.0, rate=22050)
    phone = to_phone_quality(audio)
    assert phone.rate == 8000
    assert phone.duration_s == pytest.approx(audio.duration_s, abs=0.001)
    reference = resample(audio.samples, 22050, 8000).astype(np.float64)
    noise = phone.samples.astype(np.float64) - reference
    snr_db = 10 * np.log10(np.sum(reference**2) / np.sum(noise**2))
    assert 25 < snr_db < 60  # mu-law gives about 38 dB; not lossless


def test_phone_wav_is_8khz_mono_16bit() -> None:
    data = phone_wav(tone(440, 0.5, rate=22050))
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (8000, 1, 2)
        assert reader.getnframes() == 4000


def test_for_whisper_is_float32_16khz_in_range() -> None:
    loud = Audio(np.full(8000, -32768, np.int16), 8000)
    samples = for_whisper(loud)
    assert samples.dtype == np.float32
    assert len(samples) == 16000
    assert np.all(np.abs(samples) <= 1.0)
    assert len(for_whisper(Audio(np.zeros(0, np.int16), 8000))) == 0
