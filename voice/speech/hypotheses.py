"""Whisper's other readings of an utterance: the runner-up hypotheses of its beam search.

A beam search of width 3 ends with three finished readings; faster-whisper keeps the best and
drops the rest. On phone audio the best is sometimes a near miss that the others get right
("Billie." then "Billing.", "It didn't now please." then "agent, now, please.", "Here's the
next work down" then "Here's the network down"). Handing the runners-up on lets the dialog
try them when the best reading means nothing to it (spoken language understanding over an
n-best list), with no second decoding pass: the beam holds them anyway, and only runs on
until that many readings end (about 10 % more decoding time on the hearing corpus's dev rows).

``NBestModel`` wraps CTranslate2's Whisper model and asks each beam search for that many
hypotheses; faster-whisper still reads only the first, so its own output is unchanged. The
token ids of every search on this thread are kept in ``searches()`` until ``forget()``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from voice.speech.window import says_again

_SEARCHES = threading.local()  # .kept: [(token ids of each hypothesis, best first), ...]


class NBestModel:
    """CTranslate2's ``Whisper`` model whose beam searches return ``hypotheses`` readings."""

    def __init__(self, inner: Any, hypotheses: int) -> None:
        self._inner = inner
        self._hypotheses = hypotheses

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        beam = int(kwargs.get("beam_size", 1))
        if beam > 1 and "sampling_temperature" not in kwargs:
            kwargs["num_hypotheses"] = min(self._hypotheses, beam)
        results = self._inner.generate(*args, **kwargs)
        kept = getattr(_SEARCHES, "kept", None)
        if kept is not None and results:
            kept.append([list(ids) for ids in results[0].sequences_ids])
        return results


def forget() -> None:
    """Start keeping this thread's searches afresh (call before a decoding pass)."""
    _SEARCHES.kept = []


def searches() -> list[list[list[int]]]:
    """The hypotheses of each beam search on this thread since ``forget()``."""
    return list(getattr(_SEARCHES, "kept", None) or [])


def alternatives(best: str, readings: Iterable[str], limit: int) -> tuple[str, ...]:
    """Up to ``limit`` of ``readings`` (best first) worth trying after ``best``: with words,
    not the same words as ``best`` or an earlier one, and not saying themselves again (the
    fitted window's repeats, see ``voice.speech.window``)."""
    seen = {_key(best)}
    out: list[str] = []
    for reading in readings:
        text = reading.strip()
        key = _key(text)
        if not key or key in seen or says_again(text):
            continue
        seen.add(key)
        out.append(text)
        if len(out) == limit:
            break
    return tuple(out)


def _key(text: str) -> str:
    words = ("".join(c for c in word if c.isalnum()) for word in text.lower().split())
    return " ".join(word for word in words if word)
