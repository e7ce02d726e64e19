import struct

import numpy as np
import pytest

from tests.speech.conftest import tone
from voice.errors import AudioFormatError, SpeechError
from voice.speech.audio import Audio
from voice.speech.codecs import mulaw_decode, mulaw_encode, read_wav, wav_bytes

EXTENSIBLE_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def chunk(chunk_id: bytes, body: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")


def fmt_body(tag: int, channels: int, rate: int, bits: int) -> bytes:
    block = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)


def extensible_fmt(sub_tag: int, channels: int, rate: int, bits: int) -> bytes:
    head = fmt_body(0xFFFE, channels, rate, bits)
    guid = struct.pack("<H", sub_tag) + EXTENSIBLE_TAIL
    return head + struct.pack("<HHI", 22, bits, 0) + guid


def riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_pcm16_round_trip_is_exact() -> None:
    audio = tone(440, 0.25, rate=22050)
    decoded = read_wav(wav_bytes(audio))
    assert decoded.rate == 22050
    assert np.array_equal(decoded.samples, audio.samples)


def test_mulaw_wav() -> None:
    pcm = tone(300, 0.1, rate=8000).samples
    codes = mulaw_encode(pcm)
    decoded = read_wav(riff(chunk(b"fmt ", fmt_body(7, 1, 8000, 8)), chunk(b"data", codes)))
    assert decoded.rate == 8000
    assert np.array_equal(decoded.samples, mulaw_decode(codes))


def test_stereo_is_averaged_to_mono() -> None:
    frames = np.array([[1000, 3000], [-2000, -4000], [32767, 32767]], dtype="<i2")
    data = riff(chunk(b"fmt ", fmt_body(1, 2, 16000, 16)), chunk(b"data", frames.tobytes()))
    decoded = read_wav(data)
    assert decoded.samples.tolist() == [2000, -3000, 32767]
    assert decoded.samples.dtype == np.int16


@pytest.mark.parametrize(("sub_tag", "bits"), [(1, 16), (7, 8)])
def test_wave_format_extensible(sub_tag: int, bits: int) -> None:
    payload = bytes(range(16)) if bits == 8 else np.arange(16, dtype="<i2").tobytes()
    data = riff(chunk(b"fmt ", extensible_fmt(sub_tag, 2, 8000, bits)), chunk(b"data", payload))
    assert len(read_wav(data).samples) == 8


def test_skips_other_chunks_including_odd_sized_ones() -> None:
    samples = np.array([1, 2, 3], dtype="<i2")
    data = riff(
        chunk(b"LIST", b"odd"),
        chunk(b"fmt ", fmt_body(1, 1, 8000, 16)),
        chunk(b"fact", b"\x03\x00\x00\x00"),
        chunk(b"data", samples.tobytes()),
    )
    assert read_wav(data).samples.tolist() == [1, 2, 3]


def test_well_formed_file_without_frames_is_empty_audio() -> None:
    empty = read_wav(riff(chunk(b"fmt ", fmt_body(1, 1, 8000, 16)), chunk(b"data", b"")))
    assert (len(empty.samples), empty.rate) == (0, 8000)


VALID = wav_bytes(Audio(np.arange(100, dtype=np.int16), 8000))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"this is not audio at all", "not a WAV"),
        (b"ID3\x03" + bytes(100), "not a WAV"),
        (VALID[:-10], "truncated"),
        (VALID[:30], "truncated"),
        (VALID[:12], "no 'fmt '"),
        (riff(chunk(b"fmt ", fmt_body(1, 1, 8000, 16))), "no 'data'"),
        (riff(chunk(b"fmt ", fmt_body(1, 1, 8000, 16)), chunk(b"data", b"abc")), "whole number"),
        (riff(chunk(b"fmt ", fmt_body(1, 1, 8000, 24)), chunk(b"data", bytes(6))), "unsupported"),
        (riff(chunk(b"fmt ", fmt_body(3, 1, 8000, 32)), chunk(b"data", bytes(8))), "unsupported"),
        (riff(chunk(b"fmt ", fmt_body(6, 1, 8000, 8)), chunk(b"data", bytes(8))), "unsupported"),
        (riff(chunk(b"fmt ", fmt_body(1, 0, 8000, 16)), chunk(b"data", bytes(8))), "0 channels"),
        (riff(chunk(b"fmt ", b"\x01\x00"), chunk(b"data", bytes(8))), "at least 16"),
        (
            riff(chunk(b"fmt ", fmt_body(0xFFFE, 1, 8000, 16)), chunk(b"data", bytes(8))),
            "EXTENSIBLE",
        ),
    ],
)
def test_bad_input_raises_audio_format_error(data: bytes, message: str) -> None:
    with pytest.raises(AudioFormatError, match=message) as raised:
        read_wav(data)
    assert isinstance(raised.value, SpeechError)
