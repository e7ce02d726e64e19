"""Measurements the caller-audio tests make on what they hear."""

from __future__ import annotations

import re

import numpy as np


def word_errors(reference: str, heard: str) -> int:
    """Word-level edit distance (substitutions, insertions, deletions), ignoring case and
    punctuation."""
    ref, hyp = (re.sub(r"[^a-z0-9' ]", " ", t.lower()).split() for t in (reference, heard))
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        diagonal, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (word != other))
    return row[-1]


def median_f0(samples: np.ndarray, rate: int) -> float:
    """Median pitch (Hz) of the clearly voiced 40 ms frames, by autocorrelation (60-400 Hz)."""
    x = samples.astype(np.float64) / 32768
    size = int(0.04 * rate)
    shortest, longest = int(rate / 400), int(rate / 60)
    loudest = max(float(np.sqrt(np.mean(x**2))), 1e-9)
    pitches = []
    for start in range(0, len(x) - size, size // 2):
        frame = x[start : start + size] - np.mean(x[start : start + size])
        if np.sqrt(np.mean(frame**2)) < loudest:  # only the louder (voiced) half
            continue
        corr = np.correlate(frame, frame, "full")[size - 1 :]
        lag = shortest + int(np.argmax(corr[shortest:longest]))
        if corr[lag] > 0.5 * corr[0]:
            pitches.append(rate / lag)
    return float(np.median(pitches))


def rms_db(samples: np.ndarray) -> float:
    """Plain RMS of int16 samples, dBFS."""
    x = samples.astype(np.float64) / 32768
    return float(10 * np.log10(max(float(np.mean(x**2)), 1e-20)))


def sounding(
    samples: np.ndarray, rate: int, *, above_dbfs: float = -50.0, bridge_ms: float = 150.0
) -> list[tuple[float, float]]:
    """(start_ms, end_ms) of the stretches whose 5 ms windows are above ``above_dbfs``,
    merging stretches less than ``bridge_ms`` apart (the gaps between words)."""
    window = rate // 200
    frames = samples[: len(samples) // window * window].astype(np.float64).reshape(-1, window)
    loud = 10 * np.log10(np.mean((frames / 32768) ** 2, axis=1) + 1e-20) > above_dbfs
    stretches: list[tuple[float, float]] = []
    for index in np.flatnonzero(loud):
        start, end = 5.0 * index, 5.0 * (index + 1)
        if stretches and start - stretches[-1][1] < bridge_ms:
            stretches[-1] = (stretches[-1][0], end)
        else:
            stretches.append((start, end))
    return stretches


def band_energy_db(samples: np.ndarray, rate: int, low_hz: float, high_hz: float) -> float:
    """Share of the signal's energy between ``low_hz`` and ``high_hz``, dB (0 is all of it)."""
    power = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    share = power[(freqs >= low_hz) & (freqs < high_hz)].sum() / max(power.sum(), 1e-20)
    return float(10 * np.log10(max(share, 1e-20)))


def peak_hz(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])
