"""Closeness in meaning to sets of example sentences, with the sentence model the intent
matcher loads (``voice.intents.semantic.SentenceVectors`` fits ``Embedder``; handoff sits
beside intents in the layers, so it takes the model as a parameter rather than importing
it). Without a model every score is 0 and only the phrase lists count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

NEAREST: Final = 2

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    def vectors(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text (rows): example sentences, which may be memoized."""
        ...

    def query(self, text: str) -> Vectors:
        """The unit vector of what a caller said (never memoized)."""
        ...


class Prototypes:
    """Named groups of example sentences; ``similarity`` is the mean cosine of a text to
    the ``NEAREST`` closest examples of each group (-1..1)."""

    def __init__(self, embedder: Embedder | None, groups: Mapping[str, Sequence[str]]) -> None:
        self.embedder = embedder
        self.names = tuple(groups)
        self._groups: dict[str, Vectors] = {}
        if embedder is not None:
            for name, texts in groups.items():
                if texts:
                    self._groups[name] = embedder.vectors(list(texts))

    @property
    def enabled(self) -> bool:
        return self.embedder is not None

    def vector(self, text: str) -> Vectors | None:
        return None if self.embedder is None else self.embedder.query(text)

    def similarity(self, vector: Vectors | None) -> dict[str, float]:
        """Similarity of one text's vector to each group (0.0 for all without a model)."""
        if vector is None:
            return dict.fromkeys(self.names, 0.0)
        out = dict.fromkeys(self.names, 0.0)
        for name, matrix in self._groups.items():
            cosines = np.sort(matrix @ vector)[::-1][:NEAREST]
            out[name] = round(float(cosines.mean()), 4)
        return out
