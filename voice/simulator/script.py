"""What a simulated caller does at each turn, parsed from command-line words.

``"I forgot my password"`` says that; ``"keys:45712#"`` types on the keypad; ``"[silence]"``
stays quiet; ``"[tone]"`` plays a 440 Hz tone; ``"audio:path.wav"`` plays a recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class PlayFile:
    path: Path


@dataclass(frozen=True)
class Keys:
    digits: str


@dataclass(frozen=True)
class Silence:
    pass


@dataclass(frozen=True)
class Tone:
    seconds: float = 2.0
    hz: float = 440.0


Step = Say | PlayFile | Keys | Silence | Tone


def parse_step(word: str, *, audio_files: bool = False) -> Step:
    """One command-line word as a step; ``audio_files`` makes plain words WAV paths."""
    stripped = word.strip()
    if stripped.lower().startswith("keys:"):
        digits = stripped[5:].strip()
        if not digits or any(c not in "0123456789*#" for c in digits):
            raise ValueError(f"{word!r}: keys: takes digits, * and # only")
        return Keys(digits)
    if stripped.lower() == "[silence]":
        return Silence()
    if stripped.lower() == "[tone]":
        return Tone()
    if stripped.lower().startswith("audio:") or audio_files:
        path = Path(stripped.removeprefix("audio:"))
        if not path.is_file():
            raise ValueError(f"{path}: no such audio file")
        return PlayFile(path)
    if not stripped:
        raise ValueError("an empty step; use [silence] for a quiet turn")
    return Say(stripped)
