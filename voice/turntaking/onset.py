"""A sound on the caller's line, from its loudness alone: the earliest sign of a barge-in.

Silero is slow to call the first syllables of phone-band speech voice (on hibari's
"Actually" its probability stays under 0.26 for 130 ms, and ``TurnDetector`` also wants
``start_ms`` of voice), so a caller talking over the bot heard about a third of a second
more of it. Loudness rises within a frame or two of the voice. :class:`SoundOnset` reports
a sound ``RISE_DB`` above the line's own noise floor for ``ONSET_FRAMES`` frames in a row;
the session pauses the bot on it (cheap to undo) and resumes if Silero does not confirm a
voice (``voice.turntaking.overlap``). A click is too short to count; a cough or a tone is
not, and costs a brief pause of the bot.

Pure: fed 20 ms frames of 8 kHz int16 audio; no clock.
"""

from __future__ import annotations

from collections import deque

import numpy as np

RISE_DB = 12.0
"""How far above the noise floor a frame must be to count as a sound."""
MIN_DBFS = -50.0
"""Nothing quieter counts, however quiet the line (a quiet caller speaks at about -40)."""
ONSET_FRAMES = 3
"""Consecutive loud 20 ms frames that make an onset (a 20 ms click makes at most two)."""
REARM_FRAMES = 10
"""Quiet frames after a sound before another onset can be reported."""
FLOOR_FRAMES = 100
"""The noise floor is a low percentile of the last two seconds of frame levels."""
FLOOR_PERCENTILE = 10.0
_EMPTY_DBFS = -90.0


def frame_dbfs(frame: np.ndarray) -> float:
    """The RMS level of int16 samples in dB below full scale."""
    if len(frame) == 0:
        return _EMPTY_DBFS
    x = np.asarray(frame, dtype=np.float64) / 32768
    return max(_EMPTY_DBFS, 10 * float(np.log10(float(np.mean(x * x)) + 1e-12)))


class SoundOnset:
    """Onsets of sound on one caller's line. Not thread-safe; one per call."""

    def __init__(
        self,
        *,
        rise_db: float = RISE_DB,
        min_dbfs: float = MIN_DBFS,
        onset_frames: int = ONSET_FRAMES,
    ) -> None:
        self.rise_db = rise_db
        self.min_dbfs = min_dbfs
        self.onset_frames = onset_frames
        self._levels: deque[float] = deque(maxlen=FLOOR_FRAMES)
        self._loud = 0  # loud frames in a row
        self._quiet = REARM_FRAMES  # quiet frames in a row
        self._armed = True

    @property
    def floor_dbfs(self) -> float:
        """The line's noise floor as heard so far."""
        if not self._levels:
            return _EMPTY_DBFS
        return float(np.percentile(np.fromiter(self._levels, float), FLOOR_PERCENTILE))

    @property
    def sounding(self) -> bool:
        """A sound is on the line right now (loud for at least the last frame)."""
        return self._loud > 0

    def push(self, frame: np.ndarray) -> bool:
        """One 20 ms frame; True on the frame at which a sound has lasted ``onset_frames``."""
        level = frame_dbfs(frame)
        threshold = max(self.floor_dbfs + self.rise_db, self.min_dbfs)
        self._levels.append(level)
        if level < threshold:
            self._loud = 0
            self._quiet += 1
            if self._quiet >= REARM_FRAMES:
                self._armed = True
            return False
        self._loud += 1
        self._quiet = 0
        if self._armed and self._loud >= self.onset_frames:
            self._armed = False
            return True
        return False
