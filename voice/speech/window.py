"""Whisper's encoder window fitted to the utterance, and the repeats that fitting invites.

Whisper's encoder reads a fixed 30 s window (3000 feature frames), however short the audio:
faster-whisper pads a 2 s phone turn with 28 s of zero features, and on a 2-core CPU the
encoder is most of the decoding time (0.7-0.8 s of a turn on an AVX2 machine without
AVX-512). CTranslate2's encoder takes a shorter window; ``fit_window`` cuts the padding to
``margin_s`` after the audio, so the encoder's work follows the utterance's length.

The decoder was trained on full windows and, given a short one, tends to say the utterance
again ("Are you open on Sunday? Are you open on Sunday?", "four, five" as "four, five,
four, five"). A transcript that ``says_again`` is therefore decoded again on the full
window, whose answer stands: a caller may really have said "no, no" or "0, 0, 0, 0". With
7 s of padding kept the words heard are as good as with the full window; with 1-3 s they
are much worse (see BENCHMARKS.md, "Hearing").
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np

FRAMES_PER_S: Final = 100

_WORD = re.compile(r"[^\w']+")


def fit_window(features: np.ndarray, margin_s: float) -> np.ndarray:
    """``features`` (..., n_mels, 3000), padded with zero frames as faster-whisper pads
    them, cut to the audio plus ``margin_s`` of that padding (an even frame count, as the
    encoder's stride-2 convolution wants). ``margin_s`` <= 0 leaves the window whole."""
    frames = features.shape[-1]
    if margin_s <= 0 or frames <= 2:
        return features
    voiced = np.flatnonzero(np.any(features != 0, axis=tuple(range(features.ndim - 1))))
    content = int(voiced[-1]) + 1 if voiced.size else 0
    keep = min(frames, content + round(margin_s * FRAMES_PER_S))
    keep += keep % 2
    return features if keep >= frames else features[..., :keep]


def says_again(text: str) -> bool:
    """Whether ``text`` is one phrase said at least twice over, the last copy perhaps cut
    off ("Are you open? Are you open?", "four, five, four, five", "no, no"), or ends by
    saying its last two or more words again ("7, zero, zero, zero, seven, zero, zero,
    seven")."""
    keys = [key for key in (_WORD.sub("", word.lower()) for word in text.split()) if key]
    count = len(keys)
    whole = any(
        all(keys[i] == keys[i % period] for i in range(count))
        for period in range(1, count // 2 + 1)
    )
    return whole or any(keys[-k:] == keys[-2 * k : -k] for k in range(2, count // 2 + 1))
