"""How well one spoken row was heard: words, turns and the intent the bot acted on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voice.text.normalise import normalised_tokens

DROP_MIN_MS = 300.0
"""Speech at least this long that makes no turn at all counts as a dropped utterance."""
ONSET_SLACK_MS = 20.0
"""Audio given to Whisper may start this much after the true voice onset (one VAD chunk's
timing error) before the onset counts as clipped."""


def caller_speech(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored call's caller turns that hold words (not keys, not empty)."""
    return [t for t in record.get("turns", []) if t["speaker"] == "caller" and t["text"]]


def words(text: str) -> list[str]:
    """Comparable words: lower case, no punctuation, contractions expanded, numbers as single
    digits ("45712", "four five seven one two" and "4, 5, 7, 1, 2" all compare equal)."""
    out: list[str] = []
    for token in normalised_tokens(text, drop_fillers=False):
        out.extend(list(token) if token.isdigit() else [token])
    return out


def word_errors(reference: list[str], heard: list[str]) -> int:
    """Substitutions, insertions and deletions (Levenshtein over words)."""
    previous = list(range(len(heard) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i] + [0] * len(heard)
        for j, hyp in enumerate(heard, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class Heard:
    """The verdict on one row in one mode."""

    mode: str  # "live" or "turns"
    text: str  # every caller turn's text, joined
    intent: str | None  # the intent of the first caller turn (what the bot acted on)
    turns: int  # caller speech turns stored
    reference_words: int
    errors: int  # word errors against the reference
    correct: bool  # the intent the row expects (None for out of scope), from a heard turn
    first_word_lost: bool
    clipped_onset: bool | None  # live only: Whisper's audio began after the voice did
    onset_late_ms: float | None  # live only: detected start minus true start
    split: bool  # one utterance stored as several turns
    cut_early: bool  # live only: a reply began while the caller was still talking, then stopped
    dropped: bool  # speech of DROP_MIN_MS or more that made no turn
    false_turn: bool  # a non-speech row that made a turn


def judge(
    mode: str,
    *,
    reference: str,
    expected: str | None,
    is_speech: bool,
    speech: tuple[tuple[float, float], ...],
    caller_turns: list[dict[str, Any]],
    starts_ms: list[float] | None = None,
    preroll_ms: float = 0.0,
    early_cut: int = 0,
) -> Heard:
    """``speech`` are the clip's voiced spans (ms); ``starts_ms`` the live detector's
    ``SpeechStarted`` times in clip time (None in turn mode)."""
    text = " ".join(t["text"] for t in caller_turns)
    intent = caller_turns[0]["intent"] if caller_turns else None
    ref = words(reference)
    said = words(text)
    spoken_ms = sum(end - start for start, end in speech)
    dropped = is_speech and spoken_ms >= DROP_MIN_MS and not caller_turns
    first_lost = bool(ref) and ref[0] not in said[:2]
    onset_late = clipped = None
    if starts_ms is not None and speech:
        true_start = speech[0][0]
        if starts_ms:
            onset_late = starts_ms[0] - true_start
            clipped = starts_ms[0] - preroll_ms > true_start + ONSET_SLACK_MS
        else:
            clipped = is_speech
    return Heard(
        mode=mode,
        text=text,
        intent=intent,
        turns=len(caller_turns),
        reference_words=len(ref),
        errors=word_errors(ref, said) if is_speech else len(said),
        correct=(intent == expected) and (bool(caller_turns) or not is_speech),
        first_word_lost=is_speech and first_lost,
        clipped_onset=clipped,
        onset_late_ms=onset_late,
        split=len(caller_turns) > 1,
        cut_early=early_cut > 0,
        dropped=dropped,
        false_turn=not is_speech and bool(caller_turns),
    )
