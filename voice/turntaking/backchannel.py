"""Barge-in or backchannel: should caller speech that overlaps the bot's reply cut it off?

Callers say "mhm", "okay", "right" while listening; stopping the bot for those makes it
stutter. Anything else (a request, "wait", "no", "hold on", "I need an agent") is a real
interruption. The decision is made on the transcript of the overlapping speech and its
duration, so it is pure and cheap.
"""

from __future__ import annotations

import re

BACKCHANNEL_MAX_MS = 700
"""Longest speech (ms) a single acknowledgement is taken for; longer speech whose
transcript is one acknowledgement probably lost words in transcription."""

# Whisper's spellings are normalised first: lower case, annotations like "[Music]" or
# "(coughs)" removed, hyphens and apostrophes dropped ("Mm-hmm." -> "mmhmm").
_ACKNOWLEDGEMENTS = frozenset(
    {
        # non-lexical: "mhm", "mm-hmm", "uh-huh", "hmm" in their spellings
        *("mhm", "mmhm", "mmhmm", "mhmm", "mmhmmm", "hm", "hmm", "hmmm", "mm", "mmm"),
        *("uhhuh", "uhuh", "ahha", "aha", "ah", "oh", "ooh", "uh", "um", "umm", "er"),
        # lexical acknowledgements
        *("ok", "okay", "okey", "okeydokey", "yeah", "yea", "yes", "yep", "yup", "ya"),
        *("right", "sure", "alright", "cool", "great", "perfect", "fine", "good", "nice"),
        *("thanks", "you", "i see", "got it", "all right", "thank you", "sounds good"),
        *("uh huh", "mm hmm", "uh hum", "i got it", "makes sense"),
    }
)
"""Phrases of one or two words that only acknowledge. "you" and "thank you" are also what
Whisper hallucinates on noise, which is not an interruption either."""

_INTERRUPTIONS = frozenset(
    {"no", "nope", "nah", "wait", "stop", "hold", "hang", "pause", "agent", "human"}
    | {"operator", "representative", "person", "help", "sorry", "excuse", "what", "hello"}
    | {"but", "actually", "cancel", "repeat", "again", "wrong", "not", "dont", "isnt"}
)
"""Words that make any utterance an interruption, however short."""

_ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*")
_NOT_WORD = re.compile(r"[^a-z0-9' -]+")


def _words(text: str) -> list[str]:
    """Lower-case words without punctuation, annotations, hyphens or apostrophes."""
    text = _ANNOTATION.sub(" ", text.lower()).replace("\u2019", "'")
    text = _NOT_WORD.sub(" ", text).replace("-", "").replace("'", "")
    return text.split()


def _only_acknowledgements(words: list[str]) -> int:
    """How many acknowledgement phrases ``words`` splits into, or 0 if some word is not
    part of one (greedy, two-word phrases first)."""
    count, index = 0, 0
    while index < len(words):
        pair = " ".join(words[index : index + 2])
        if index + 1 < len(words) and pair in _ACKNOWLEDGEMENTS:
            index += 2
        elif words[index] in _ACKNOWLEDGEMENTS:
            index += 1
        else:
            return 0
        count += 1
    return count


def is_backchannel(text: str, speech_ms: float) -> bool:
    """True if overlapping caller speech should NOT interrupt the bot.

    ``text`` is the transcript of the overlapping speech, ``speech_ms`` its voiced
    duration in milliseconds. True for an empty transcript (a cough, noise, a breath) and
    for transcripts made only of acknowledgements ("Mm-hmm.", "Okay, yeah.") that last at
    most ``BACKCHANNEL_MAX_MS`` per phrase. False if any word signals an interruption
    ("wait", "stop", "hold on", "no", "agent"), for any other content, and for a single
    acknowledgement stretched over much longer speech (the transcript likely missed words).
    """
    words = _words(text)
    if not words:
        return True
    if any(word in _INTERRUPTIONS for word in words):
        return False
    phrases = _only_acknowledgements(words)
    return phrases > 0 and speech_ms <= BACKCHANNEL_MAX_MS * phrases
