"""Generate audio/hold-music.wav: a calm 24 s loop of soft chords, 8 kHz mono 16-bit.

Made here rather than downloaded, so its licence is the project's own. Run again to change it.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 8000
CHORDS = [  # I - vi - IV - V in C major, frequencies in Hz
    (261.63, 329.63, 392.00),
    (220.00, 261.63, 329.63),
    (174.61, 220.00, 261.63),
    (196.00, 246.94, 293.66),
]


def chord(freqs: tuple[float, ...], seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    tone = sum(np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t) for f in freqs)
    envelope = np.minimum(1.0, t / 0.4) * np.minimum(1.0, (seconds - t) / 0.8)
    return np.asarray(tone * envelope / (len(freqs) * 1.3))


def main() -> None:
    parts = [chord(c, 3.0) for _ in range(2) for c in CHORDS]
    audio = np.concatenate(parts) * 0.25
    samples = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    path = Path(__file__).resolve().parents[1] / "audio" / "hold-music.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    print(f"wrote {path} ({len(samples) / RATE:.0f} s)")


if __name__ == "__main__":
    main()
