"""Is the caller done, or only pausing mid-sentence? (live calls)

A turn ends after ``STREAM_END_MS`` of silence, but callers pause longer than that inside
one request: at a comma ("No, you are not listening, ... this is the third time I have
called"), between the digits of an order number, after "my order number is". Answering the
first half cuts the caller off and answers the wrong question. So when what was heard looks
unfinished, the session waits ``CONTINUE_S`` more before answering; if the caller goes on,
both parts are one turn. What counts as unfinished is cheap to tell from the transcript and
the dialog's preview of its answer:

- it ends with a digit (said or written), a comma, a joining word ("and", "because"), a
  filler ("um") or a word that needs another after it ("my", "the", "is", "to");
- or the dialog would only say it did not understand (no intent, keep listening). That
  includes a bare "no" at the start of "No, you are not listening, ...": where the dialog
  has a use for a bare reply (after "Is there anything else?") it is complete.

A confidently matched request ends the turn at once, so the usual reply latency is unchanged;
only turns that would have been answered with "Sorry, I didn't get that" (or cut off) wait.
"""

from __future__ import annotations

import re

from voice.calls.service import Heard
from voice.dialog.turns import Action, Decision
from voice.intents.normalise import normalised_tokens
from voice.speech.stt import Transcript

CONTINUE_S = 0.5
"""Extra silence (after the turn's end) an unfinished-looking turn waits for more words."""
MAX_PARTS = 12
"""Pauses one turn may span (a digit-by-digit order number has several)."""

_JOINING = frozenset(
    {"and", "but", "or", "so", "because", "cause", "if", "then", "also", "plus", "with"}
    | {"um", "uh", "er", "erm", "hmm", "like"}
    | {"my", "the", "a", "an", "your", "our", "this", "that", "to", "is", "are", "was"}
    | {"for", "of", "in", "on", "at", "about", "from", "it's", "its", "i'm", "i", "number"}
)
_WORD = re.compile(r"[a-z0-9']+")


def looks_unfinished(text: str, preview: Decision | None) -> bool:
    """True when ``text`` (a transcript) probably stops mid-request."""
    stripped = text.strip().lower().replace("\u2019", "'")
    words = _WORD.findall(stripped)
    if not words:
        return False
    tokens = normalised_tokens(stripped, drop_fillers=False)  # "five" -> "5"
    last = tokens[-1] if tokens else words[-1]
    if stripped.endswith(",") or last[-1].isdigit() or words[-1] in _JOINING:
        return True
    return preview is not None and preview.intent is None and preview.action is Action.LISTEN


def joined(first: Heard, then: Heard) -> Heard:
    """One heard turn from two parts of an utterance (text joined, stage times summed)."""
    a, b = first.transcript, then.transcript
    if a is None or not a.text:
        return then
    if b is None or not b.text:
        return first
    transcript = Transcript(
        text=f"{a.text.rstrip()} {b.text.lstrip()}",
        confidence=min(a.confidence, b.confidence),
        duration_s=a.duration_s + b.duration_s,
        no_speech=False,
    )
    timings = dict(then.timings)
    for key in ("stt_ms", "stt_wait_ms"):
        timings[key] = first.timings.get(key, 0.0) + then.timings.get(key, 0.0)
    timings["parts"] = first.timings.get("parts", 1.0) + then.timings.get("parts", 1.0)
    return Heard(transcript=transcript, timings=timings, error=then.error or first.error)
