"""Streaming voice activity detection on telephone audio: Silero VAD v6 (ONNX, CPU).

The model ships with faster-whisper (``faster_whisper/assets/silero_vad_v6.onnx``), so no
extra download is needed. It scores 512-sample chunks at 16 kHz (32 ms) and carries an LSTM
state (``h``, ``c``) and the last 64 samples of the previous chunk as context from one chunk
to the next. Feeding one chunk at a time with that state gives exactly the probabilities
faster-whisper's batch call (``SileroVADModel``) gives for the whole file.

Cost, measured on the 2-core development machine: about 0.05 ms of CPU per 20 ms frame
(one model run of about 0.1 ms every 1.6 frames, plus resampling), so it is cheap enough to
call inline on the event loop for every frame of every live call.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import soxr

from voice.errors import ConfigError

INPUT_RATE = 8000
"""Hz, the rate of the frames :meth:`StreamingVAD.push` accepts (Twilio media streams)."""
MODEL_RATE = 16000
"""Hz, the rate Silero scores."""
CHUNK = 512
"""Samples at 16 kHz per probability (32 ms)."""
CONTEXT = 64
"""Samples of the previous chunk the model sees in front of each chunk."""
RESAMPLE_QUALITY = "QQ"
"""soxr's quick (cubic) resampler: a steady 320 samples out per 160 in with a 4-sample
delay. The higher qualities buffer internally and emit in bursts of about 1700 samples,
100 ms or more late, which would delay every decision; Silero's probabilities barely
change (the line is band-limited to 4 kHz anyway)."""

_session: object = None
_session_lock = threading.Lock()


def _model_path() -> str:
    from faster_whisper.utils import get_assets_path

    return os.path.join(get_assets_path(), "silero_vad_v6.onnx")


def _shared_session() -> object:
    """One ONNX session for the whole process, created on first use (about 20 ms).

    ``InferenceSession.run`` is safe to call from several threads at once, and every
    stream's state lives in its :class:`StreamingVAD`, so sharing the session is safe.
    One intra-op thread: a chunk is far too small to gain from more.
    """
    global _session
    with _session_lock:
        if _session is None:
            try:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.inter_op_num_threads = 1
                options.intra_op_num_threads = 1
                options.log_severity_level = 4
                _session = onnxruntime.InferenceSession(
                    _model_path(), providers=["CPUExecutionProvider"], sess_options=options
                )
            except Exception as exc:
                raise ConfigError(
                    f"could not load the Silero VAD model shipped with faster-whisper ({exc}); "
                    "reinstall faster-whisper>=1.1 and onnxruntime."
                ) from exc
        return _session


class StreamingVAD:
    """Speech probability of 8 kHz int16 caller audio, fed frame by frame.

    One instance per audio stream (it holds the stream's resampler and model state); the
    ONNX session is shared by all instances. Not thread-safe: feed one stream from one task.
    """

    def __init__(self, *, threshold: float = 0.5) -> None:
        """``threshold`` is the probability (0..1) above which a chunk counts as speech; it is
        stored here for the consumers (:class:`~voice.speech.endpointing.TurnDetector`)."""
        if not 0.0 < threshold < 1.0:
            raise ConfigError(f"VAD threshold must be between 0 and 1, got {threshold}")
        self.threshold = threshold
        self._session = _shared_session()
        self._run = self._session.run  # type: ignore[attr-defined]
        self.reset()

    @property
    def frame_ms(self) -> float:
        """Milliseconds of audio covered by one returned probability (32 ms)."""
        return 1000.0 * CHUNK / MODEL_RATE

    def reset(self) -> None:
        """Forget the stream: resampler, pending samples and model state."""
        self._resampler = soxr.ResampleStream(
            INPUT_RATE, MODEL_RATE, 1, dtype="float32", quality=RESAMPLE_QUALITY
        )
        self._pending = np.zeros(0, dtype=np.float32)
        # Row 0 holds the 64 context samples, then the chunk: the model's input row.
        self._row = np.zeros((1, CONTEXT + CHUNK), dtype=np.float32)
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)

    def push(self, frame: np.ndarray) -> list[float]:
        """Feed int16 mono samples at 8 kHz (any length, normally 160 = 20 ms).

        Returns the speech probability (0..1) of every 32 ms chunk completed by this frame,
        oldest first: usually zero or one value, at most a few for a long frame. Chunk ``k``
        of the stream covers input samples ``[256 k, 256 (k + 1))`` (the resampler's delay is
        compensated), and its probability is available once a few samples past its end
        have been pushed.
        """
        samples = np.asarray(frame)
        if samples.ndim != 1:
            samples = samples.reshape(-1)
        if not len(samples):
            return []
        upsampled = self._resampler.resample_chunk(
            samples.astype(np.float32) * np.float32(1 / 32768)
        )
        pending = np.concatenate([self._pending, upsampled]) if len(self._pending) else upsampled
        probabilities: list[float] = []
        start = 0
        while len(pending) - start >= CHUNK:
            probabilities.append(self._score(pending[start : start + CHUNK]))
            start += CHUNK
        self._pending = pending[start:].copy()
        return probabilities

    def _score(self, chunk: np.ndarray) -> float:
        row = self._row
        row[0, :CONTEXT] = row[0, -CONTEXT:]
        row[0, CONTEXT:] = chunk
        output, self._h, self._c = self._run(None, {"input": row, "h": self._h, "c": self._c})
        return float(np.clip(np.asarray(output).reshape(-1)[0], 0.0, 1.0))
