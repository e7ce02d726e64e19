"""Audio conversions: G.711 mu-law, resampling, WAV bytes, phone and Whisper formats.

Pure numpy and soxr (``audioop`` is deprecated). All PCM arrays are mono ``int16``.
"""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import soxr

from voice.errors import AudioFormatError
from voice.speech.audio import Audio

PHONE_RATE = 8000
"""Hz, the telephone network's rate (Twilio media streams and <Play> audio)."""
WHISPER_RATE = 16000
"""Hz, the rate Whisper's feature extractor expects."""

# ---------------------------------------------------------------------------------------------
# G.711 mu-law (the classic Sun/CCITT tables: bias 0x84, clip 32635)

_BIAS = 0x84
_CLIP = 32635


def _build_encode_table() -> np.ndarray:
    """Mu-law byte for every int16 value, indexed by ``value + 32768``."""
    pcm = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(pcm < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(pcm), _CLIP) + _BIAS  # 132 ..= 32767
    exponent_lut = np.array([max(0, i.bit_length() - 1) for i in range(256)], dtype=np.int32)
    exponent = exponent_lut[magnitude >> 7]
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    table: np.ndarray = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return table


def _build_decode_table() -> np.ndarray:
    """int16 value for every mu-law byte (the centre of its quantization interval)."""
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(code & 0x80, -magnitude, magnitude).astype(np.int16)


_ENCODE = _build_encode_table()
_DECODE = _build_decode_table()


def mulaw_encode(pcm16: np.ndarray) -> bytes:
    """Encode int16 samples as G.711 mu-law, one byte per sample."""
    index = np.asarray(pcm16, dtype=np.int16).astype(np.int32) + 32768
    return _ENCODE[index].tobytes()


def mulaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 mu-law bytes to int16 samples (error at most 1/32 of the magnitude)."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


# ---------------------------------------------------------------------------------------------
# Resampling and formats


def resample(pcm16: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample int16 samples from ``src_rate`` to ``dst_rate`` Hz (soxr, high quality)."""
    pcm = np.asarray(pcm16, dtype=np.int16)
    if src_rate == dst_rate or len(pcm) == 0:
        return pcm
    out: np.ndarray = soxr.resample(pcm, src_rate, dst_rate)
    return out


def to_phone_quality(audio: Audio) -> Audio:
    """Degrade audio to what a phone line carries: 8 kHz, mu-law quantized, back to int16."""
    narrow = resample(audio.samples, audio.rate, PHONE_RATE)
    return Audio(mulaw_decode(mulaw_encode(narrow)), PHONE_RATE)


def phone_wav(audio: Audio) -> bytes:
    """WAV bytes at 8 kHz, mono, 16-bit PCM: what Twilio <Play> fetches."""
    return wav_bytes(Audio(resample(audio.samples, audio.rate, PHONE_RATE), PHONE_RATE))


def for_whisper(audio: Audio) -> np.ndarray:
    """float32 samples in [-1, 1] at 16 kHz, the input faster-whisper expects."""
    samples: np.ndarray = audio.samples.astype(np.float32) / np.float32(32768.0)
    if audio.rate != WHISPER_RATE and len(samples):
        samples = soxr.resample(samples, audio.rate, WHISPER_RATE)
    clipped: np.ndarray = np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False)
    return clipped


# ---------------------------------------------------------------------------------------------
# WAV


def wav_bytes(audio: Audio) -> bytes:
    """A RIFF/WAVE file: 16-bit PCM, mono, at ``audio.rate``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(audio.rate)
        writer.writeframes(audio.samples.astype("<i2", copy=False).tobytes())
    return buffer.getvalue()


_FORMAT_PCM = 0x0001
_FORMAT_MULAW = 0x0007
_FORMAT_EXTENSIBLE = 0xFFFE
# The 14 bytes after the 2-byte format tag in every KSDATAFORMAT_SUBTYPE_* GUID.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def read_wav(data: bytes) -> Audio:
    """Decode a WAV file into mono int16 audio.

    Accepts 16-bit PCM and 8-bit mu-law (format tag 7), plain or WAVE_FORMAT_EXTENSIBLE,
    with any number of channels (averaged to mono). A well-formed file with no frames gives
    empty audio (a caller who said nothing). Raises AudioFormatError for anything else and
    for empty or truncated data.
    """
    if not data:
        raise AudioFormatError("WAV data is empty")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError("not a WAV file (no RIFF/WAVE header)")
    fmt, payload = _find_chunks(data)
    tag, channels, rate, bits = _parse_fmt(fmt)
    if channels < 1 or rate <= 0:
        raise AudioFormatError(f"WAV header is invalid: {channels} channels at {rate} Hz")
    if tag == _FORMAT_PCM and bits == 16:
        width = 2
    elif tag == _FORMAT_MULAW and bits == 8:
        width = 1
    else:
        raise AudioFormatError(
            f"unsupported WAV encoding (format tag {tag:#06x}, {bits}-bit); "
            "expected 16-bit PCM or 8-bit mu-law"
        )
    frame = width * channels
    if len(payload) % frame:
        raise AudioFormatError(
            f"WAV data is truncated: {len(payload)} bytes is not a whole number of "
            f"{frame}-byte frames"
        )
    if width == 2:
        interleaved = np.frombuffer(payload, dtype="<i2").astype(np.int16)
    else:
        interleaved = mulaw_decode(payload)
    return Audio(_downmix(interleaved, channels), rate)


def _find_chunks(data: bytes) -> tuple[bytes, bytes]:
    """The bodies of the ``fmt `` and ``data`` chunks."""
    chunks: dict[bytes, bytes] = {}
    position = 12
    while position + 8 <= len(data):
        chunk_id = data[position : position + 4]
        (size,) = struct.unpack_from("<I", data, position + 4)
        body = data[position + 8 : position + 8 + size]
        if len(body) < size:
            raise AudioFormatError(
                f"WAV is truncated: chunk {chunk_id!r} declares {size} bytes, "
                f"only {len(body)} present"
            )
        chunks.setdefault(chunk_id, body)
        position += 8 + size + (size & 1)
    if b"fmt " not in chunks:
        raise AudioFormatError("WAV has no 'fmt ' chunk (truncated or not a WAV file)")
    if b"data" not in chunks:
        raise AudioFormatError("WAV has no 'data' chunk (truncated or not a WAV file)")
    return chunks[b"fmt "], chunks[b"data"]


def _parse_fmt(fmt: bytes) -> tuple[int, int, int, int]:
    """(format tag, channels, rate in Hz, bits per sample), unwrapping EXTENSIBLE."""
    if len(fmt) < 16:
        raise AudioFormatError(f"WAV 'fmt ' chunk is {len(fmt)} bytes, at least 16 expected")
    tag, channels, rate, _byte_rate, _block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _FORMAT_EXTENSIBLE:
        if len(fmt) < 40:
            raise AudioFormatError("WAV WAVE_FORMAT_EXTENSIBLE header is truncated")
        guid = fmt[24:40]
        if guid[2:] != _GUID_TAIL:
            raise AudioFormatError(f"unsupported WAV sub-format GUID {guid.hex()}")
        (tag,) = struct.unpack_from("<H", guid)
    return tag, channels, rate, bits


def _downmix(interleaved: np.ndarray, channels: int) -> np.ndarray:
    if channels == 1:
        return interleaved
    frames = interleaved.reshape(-1, channels).astype(np.int32)
    mono: np.ndarray = np.rint(frames.mean(axis=1)).astype(np.int16)
    return mono
