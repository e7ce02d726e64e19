"""The one audio value passed between speech components."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice.errors import AudioFormatError


@dataclass(frozen=True, eq=False)
class Audio:
    """Mono 16-bit PCM audio.

    ``samples`` is a one-dimensional ``int16`` array (full scale is 32767) and ``rate`` the
    sample rate in Hz. Treat the array as read-only: the value is shared, not copied.
    Equality is identity (comparing arrays element-wise is rarely what a caller means).
    """

    samples: np.ndarray  # int16 mono
    rate: int  # Hz

    def __post_init__(self) -> None:
        if self.samples.dtype != np.int16 or self.samples.ndim != 1:
            raise AudioFormatError(
                f"Audio needs a 1-D int16 array, got {self.samples.ndim}-D {self.samples.dtype}"
            )
        if self.rate <= 0:
            raise AudioFormatError(f"Audio sample rate must be positive, got {self.rate} Hz")

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate
