"""Audio files uploaded by a browser (WAV, or WebM/Ogg/MP4 from ``MediaRecorder``) as
``Audio``: mono 16-bit at 16 kHz for anything but WAV, which ``read_wav`` keeps as it is.

Containers are read with PyAV (the library faster-whisper itself decodes files with).
Decoding stops at ``max_s`` seconds, so a small compressed file cannot expand into hours
of samples. Blocking: call it in a worker thread.
"""

from __future__ import annotations

import io

import av
import numpy as np

from voice.errors import AudioFormatError
from voice.speech.audio import Audio
from voice.speech.codecs import read_wav

UPLOAD_RATE = 16_000


def decode_upload(data: bytes, *, max_s: float) -> Audio:
    """Decode ``data``; AudioFormatError when it is not audio or runs longer than ``max_s``."""
    if not data:
        raise AudioFormatError("the upload is empty")
    if data[:4] == b"RIFF":
        audio = read_wav(data)
        if audio.duration_s > max_s:
            raise AudioFormatError(f"the recording is longer than {max_s:.0f} s")
        return audio
    limit = int(max_s * UPLOAD_RATE)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=UPLOAD_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioFormatError("the upload has no audio track")
            frames = container.decode(audio=0)
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    break
                except av.error.InvalidDataError:
                    break  # a recording cut off mid-frame: keep what came before
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                    chunks.append(chunk)
                    total += len(chunk)
                if total > limit:
                    raise AudioFormatError(f"the recording is longer than {max_s:.0f} s")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.int16, copy=False))
    except av.error.FFmpegError as exc:
        raise AudioFormatError(f"not an audio file PyAV can read: {exc}") from exc
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return Audio(samples, UPLOAD_RATE)
