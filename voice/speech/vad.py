"""Streaming voice activity detection on telephone audio: Silero VAD v6 at 8 kHz (ONNX, CPU).

The model comes from the ``silero-vad`` PyPI package (MIT; installed with ``--no-deps``,
because it declares torch, which we never import): its ``data/silero_vad.onnx`` scores
8 kHz audio natively, 256-sample chunks (32 ms), carrying an LSTM state and the last 32
samples of the previous chunk as context from one chunk to the next (as the package's own
``OnnxWrapper`` does).

Why natively at 8 kHz: the 16 kHz-only copy of the model that ships with faster-whisper,
fed phone audio upsampled to 16 kHz (nothing above 4 kHz, a 300-3400 Hz line), scores
speech around 0.4-0.7 and the first syllables under 0.5. On a test set of short answers
("no", "help", "operator", ...) by four voices, band-passed and 0 to 20 dB quieter than
normal, it missed 2 to 7 of 36 utterances outright and detected a further 8 to 16 more than
100 ms late; the 8 kHz model missed at most 1 and was late on at most 3, with the same
rejection of tones, DTMF, hold music, line noise, coughs and clicks (every probability
under 0.1). See BENCHMARKS.md, "Hearing".

Cost, measured on the 2-core development machine: about 0.07 ms of CPU per 20 ms frame
(one model run every 1.6 frames; no resampling), cheap enough to run inline per frame.
"""

from __future__ import annotations

import importlib.util
import os
import threading

import numpy as np

from voice.errors import ConfigError

INPUT_RATE = 8000
"""Hz, the rate of the frames :meth:`StreamingVAD.push` accepts (Twilio media streams)."""
CHUNK = 256
"""Samples at 8 kHz per probability (32 ms)."""
CONTEXT = 32
"""Samples of the previous chunk the model sees in front of each chunk (8 kHz)."""
PACKAGE = "silero-vad"
MODEL_FILE = "silero_vad.onnx"

_session: object = None
_session_lock = threading.Lock()


def model_path() -> str:
    """The 8 kHz-capable Silero model inside the installed ``silero_vad`` package.

    Found without importing the package (its ``__init__`` imports torch)."""
    spec = importlib.util.find_spec("silero_vad")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = os.path.join(folder, "data", MODEL_FILE)
        if os.path.isfile(path):
            return path
    raise ConfigError(
        f"the voice activity model is missing: install it with "
        f"`pip install --no-deps {PACKAGE}==6.2.3` (make install does this)."
    )


def _shared_session() -> object:
    """One ONNX session for the whole process, created on first use (about 20 ms).

    ``InferenceSession.run`` is safe to call from several threads at once, and every
    stream's state lives in its :class:`StreamingVAD`, so sharing the session is safe.
    One intra-op thread: a chunk is far too small to gain from more.
    """
    global _session
    with _session_lock:
        if _session is None:
            path = model_path()
            try:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.inter_op_num_threads = 1
                options.intra_op_num_threads = 1
                options.log_severity_level = 4
                _session = onnxruntime.InferenceSession(
                    path, providers=["CPUExecutionProvider"], sess_options=options
                )
            except Exception as exc:
                raise ConfigError(
                    f"could not load the Silero VAD model {path} ({exc}); reinstall "
                    f"`pip install --no-deps {PACKAGE}==6.2.3` and onnxruntime."
                ) from exc
        return _session


class StreamingVAD:
    """Speech probability of 8 kHz int16 caller audio, fed frame by frame.

    One instance per audio stream (it holds the stream's model state); the ONNX session is
    shared by all instances. Not thread-safe: feed one stream from one task.
    """

    def __init__(self, *, threshold: float = 0.5) -> None:
        """``threshold`` is the probability (0..1) above which a chunk counts as speech; it is
        stored here for the consumers (:class:`~voice.turntaking.detector.TurnDetector`)."""
        if not 0.0 < threshold < 1.0:
            raise ConfigError(f"VAD threshold must be between 0 and 1, got {threshold}")
        self.threshold = threshold
        self._session = _shared_session()
        self._run = self._session.run  # type: ignore[attr-defined]
        self._rate = np.array(INPUT_RATE, dtype=np.int64)
        self.reset()

    @property
    def frame_ms(self) -> float:
        """Milliseconds of audio covered by one returned probability (32 ms)."""
        return 1000.0 * CHUNK / INPUT_RATE

    def reset(self) -> None:
        """Forget the stream: pending samples and model state."""
        self._pending = np.zeros(0, dtype=np.float32)
        # Row 0 holds the 32 context samples, then the chunk: the model's input row.
        self._row = np.zeros((1, CONTEXT + CHUNK), dtype=np.float32)
        self._state = np.zeros((2, 1, 128), dtype=np.float32)

    def push(self, frame: np.ndarray) -> list[float]:
        """Feed int16 mono samples at 8 kHz (any length, normally 160 = 20 ms).

        Returns the speech probability (0..1) of every 32 ms chunk completed by this frame,
        oldest first: usually zero or one value, at most a few for a long frame. Chunk ``k``
        of the stream covers input samples ``[256 k, 256 (k + 1))``.
        """
        samples = np.asarray(frame)
        if samples.ndim != 1:
            samples = samples.reshape(-1)
        if not len(samples):
            return []
        scaled = samples.astype(np.float32) * np.float32(1 / 32768)
        pending = np.concatenate([self._pending, scaled]) if len(self._pending) else scaled
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
        output, self._state = self._run(
            None, {"input": row, "state": self._state, "sr": self._rate}
        )
        return float(np.clip(np.asarray(output).reshape(-1)[0], 0.0, 1.0))
