"""The matcher's semantic layer: how close a caller's words are in meaning to each intent.

An intent's semantic score is the mean cosine similarity of the query to its two nearest
examples (its one example when it has one): one stray example cannot carry an intent, and a
cluster of close examples counts for more than a lone one. Scores are clipped to 0..1.
"""

from __future__ import annotations

from collections.abc import Sequence
from threading import Lock
from typing import Final

import numpy as np

from voice.intents.embedding import Encoder, Vectors

NEAREST: Final = 2
MEMO_LIMIT: Final = 200_000  # example vectors kept across reloads (about 300 MB at most)


class SentenceVectors:
    """An encoder with a memo of vectors by text: reloading an edited pack encodes only what
    is new, and every matcher built from it shares the one model."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self._vectors: dict[str, Vectors] = {}
        self._lock = Lock()

    def vectors(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text, encoding only texts not seen before."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        fresh = dict(zip(missing, self.encoder.encode(missing), strict=True)) if missing else {}
        with self._lock:
            rows = [fresh[t] if t in fresh else self._vectors[t] for t in texts]
            if len(self._vectors) + len(fresh) > MEMO_LIMIT:
                self._vectors.clear()
            self._vectors.update(fresh)
        return np.stack(rows) if rows else np.zeros((0, self.encoder.dim), np.float32)

    def query(self, text: str) -> Vectors:
        """The unit vector of a caller's words: encoded every time, never kept in the memo
        (which holds examples; what callers say must not pile up in memory)."""
        vector: Vectors = self.encoder.encode([text])[0]
        return vector


class SemanticIndex:
    """Example vectors laid out one row of slots per intent, for a single matrix product."""

    def __init__(self, memo: SentenceVectors, examples: Sequence[Sequence[str]]) -> None:
        self._memo = memo
        width = max((len(e) for e in examples), default=0)
        dim = memo.encoder.dim
        self._slots = np.zeros((len(examples), max(width, 1), dim), dtype=np.float32)
        self._filled = np.zeros((len(examples), max(width, 1)), dtype=bool)
        for index, texts in enumerate(examples):
            if texts:
                self._slots[index, : len(texts)] = memo.vectors(list(texts))
                self._filled[index, : len(texts)] = True
        self._counts = np.minimum(self._filled.sum(axis=1), NEAREST)

    def scores(self, query: str) -> list[float]:
        """Semantic score 0..1 of each intent for ``query``, in index order."""
        if not len(self._slots):
            return []
        vector = self._memo.query(query)
        similarity = np.where(self._filled, self._slots @ vector, -1.0)
        k = min(NEAREST, similarity.shape[1])
        nearest = -np.partition(-similarity, k - 1, axis=1)[:, :k]
        nearest = np.where(np.arange(k)[None, :] < self._counts[:, None], nearest, 0.0)
        mean = nearest.sum(axis=1) / np.maximum(self._counts, 1)
        return [float(s) for s in np.clip(mean, 0.0, 1.0)]
