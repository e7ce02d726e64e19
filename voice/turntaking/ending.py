"""When has the caller finished? The end-of-turn policy of a live call (pure).

The detector reports a pause after a short silence; the session then transcribes what was
said so far (speculatively) and asks the dialog what it would answer. How much silence the
turn needs before the bot may answer follows from that reading of it:

- a finished request (the dialog can act on it): ``min_ms`` (TURN_MIN_MS), nothing more to
  wait for;
- not read yet, its transcript still being made: up to ``max_ms``, and as soon as it is
  read, what its reading needs (the turn must wait for the transcript to be decided anyway,
  so ending it sooner would only cut off a caller who goes on meanwhile);
- no words at all (a cough, a click), or no reading coming (its transcription failed, or
  the caller spoke over the bot, which is judged separately): ``end_ms`` (STREAM_END_MS,
  600), the fallback;
- unfinished (it ends on a digit, a comma or a joining word such as "and", "my", "um", or
  the dialog has no use for it): ``max_ms`` (TURN_MAX_MS, 1100); callers pause mid-sentence
  and between the digits of a number.

Callers pause 400-700 ms after a clause that is a request on its own ("I got the package,
... but it's broken, so I want my money back"). Without recovery, on the dev rows of the
hearing corpus with pauses or digits read one by one (45 rows, the virtual clock), a
``min_ms`` of 300 ms split 12 of them into two turns, 450 ms 9, 600 ms 4. With ``min_ms``
450 and ``recover_ms`` 450 (the defaults) none was split, and in 8 the bot began a reply
that the caller then cut off by going on. (On this 2-core machine the transcript is ready
about 500 ms into the silence, so that is when a finished request is answered.)

Recovery: a finished request is answered after ``min_ms``, but its turn is only taken
(decided and stored) ``recover_ms`` (TURN_RECOVER_MS) later. A caller who goes on talking
in between cuts the reply off and it stays one turn: the detector never ended it and nothing
was stored, so the dialog and Whisper get the whole utterance. Otherwise the reply already
under way is the answer. Without an early reply (the bot is still busy) the turn ends at
``min_ms`` as before.

A bare "no" at the start of "No, you are not listening, ... this is the third time I have
called" is unfinished where the dialog has no use for it, and finished after "Is there
anything else?", where it ends the call. If the caller goes on talking before the turn
ends, it is the same turn: the detector keeps one utterance, so Whisper hears it whole.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from voice.dialog.turns import Decision
from voice.errors import ConfigError
from voice.text.normalise import normalised_tokens

_JOINING = frozenset(
    {"and", "but", "or", "so", "because", "cause", "if", "then", "also", "plus", "with"}
    | {"um", "uh", "er", "erm", "hmm", "like"}
    | {"my", "the", "a", "an", "your", "our", "this", "that", "to", "is", "are", "was"}
    | {"for", "of", "in", "on", "at", "about", "from", "it's", "its", "i'm", "i", "number"}
)
_WORD = re.compile(r"[a-z0-9']+")

Answer = TypeVar("Answer")


class Reading(enum.Enum):
    """What the utterance so far looks like (the path a turn's end took, in its timings)."""

    FINISHED = "finished"
    PENDING = "pending"
    EMPTY = "empty"
    UNFINISHED = "unfinished"


def looks_unfinished(text: str, preview: Decision | None) -> bool:
    """True when ``text`` (a transcript) probably stops mid-request: it ends with a digit
    (said or written), a comma or a word that needs another after it, or the dialog's
    ``preview`` of its answer says it had no use for it."""
    stripped = text.strip().lower().replace("\u2019", "'")
    words = _WORD.findall(stripped)
    if not words:
        return False
    tokens = normalised_tokens(stripped, drop_fillers=False)  # "five" -> "5"
    last = tokens[-1] if tokens else words[-1]
    if stripped.endswith(",") or last[-1].isdigit() or words[-1] in _JOINING:
        return True
    return preview is not None and not preview.understood


def reading(text: str, preview: Decision | None) -> Reading:
    """The reading of a speculative transcript and the dialog's preview of its answer
    (``None`` when the preview failed: then only the words decide)."""
    if not _WORD.search(text.lower()):
        return Reading.EMPTY
    return Reading.UNFINISHED if looks_unfinished(text, preview) else Reading.FINISHED


@dataclass(frozen=True)
class TurnLimits:
    """Silence (ms) a turn needs before the bot answers, by reading (see the module)."""

    min_ms: int = 450
    end_ms: int = 600
    max_ms: int = 1100
    recover_ms: int = 450
    """After an early reply began, more silence before its turn is taken (0: none)."""

    def __post_init__(self) -> None:
        if not 0 < self.min_ms <= self.end_ms <= self.max_ms:
            raise ConfigError(
                "turn limits need 0 < TURN_MIN_MS <= STREAM_END_MS <= TURN_MAX_MS; got "
                f"{self.min_ms}, {self.end_ms} and {self.max_ms}"
            )
        if self.recover_ms < 0:
            raise ConfigError(f"TURN_RECOVER_MS must be 0 or more, got {self.recover_ms}")

    def silence_needed(
        self, read: Reading, *, reading_coming: bool = False, answered: bool = False
    ) -> int:
        if read is Reading.FINISHED:
            return self.min_ms + (self.recover_ms if answered else 0)
        if read is Reading.UNFINISHED or (read is Reading.PENDING and reading_coming):
            return self.max_ms
        return self.end_ms


class EndOfTurn(Generic[Answer]):
    """One caller's end-of-turn state: the reading of the current pause.

    ``paused()`` opens a pause (its reading pending) and returns its number; a speculative
    transcript of it reports back with ``heard(number, reading, answer)`` (``None``: no
    reading after all), ignored if the caller has spoken again since; ``resumed()`` closes
    the pause. ``early(silence_ms)`` gives the answer to start before the turn ends (once per
    pause), ``due(silence_ms)`` says whether the turn should end now.
    """

    def __init__(self, limits: TurnLimits) -> None:
        self.limits = limits
        self._pause = 0
        self._open = False
        self._coming = False
        self._answer: Answer | None = None
        self.answered = False  # an early reply began in this pause
        self.reading = Reading.PENDING

    def paused(self, *, reading_coming: bool = True) -> int:
        """Open a pause; ``reading_coming``: a speculative transcript of it is being made."""
        self._pause += 1
        self._open, self._coming = True, reading_coming
        self.reading = Reading.PENDING
        return self._pause

    def heard(self, pause: int, read: Reading | None, answer: Answer | None = None) -> None:
        """The reading of pause ``pause``; ``answer``: what the bot would reply, which may
        start early if the reading is finished."""
        if self._open and pause == self._pause:
            self.reading, self._coming = read or Reading.PENDING, False
            self._answer = answer if self.reading is Reading.FINISHED else None

    def resumed(self) -> None:
        self._open, self._coming = False, False
        self._answer, self.answered = None, False
        self.reading = Reading.PENDING

    def early(self, silence_ms: float) -> Answer | None:
        """The answer to start now, before its turn is taken: that of a finished reading
        whose pause has lasted ``min_ms``, once, if recovery is on (``None`` otherwise).
        Call ``answering()`` once the reply has begun."""
        if not self.limits.recover_ms or not self._open or self._answer is None:
            return None
        if silence_ms < self.limits.min_ms:
            return None
        answer, self._answer = self._answer, None
        return answer

    def answering(self) -> None:
        """The early reply began: the turn is taken ``recover_ms`` later."""
        if self._open:
            self.answered = True

    @property
    def silence_needed(self) -> int:
        return self.limits.silence_needed(
            self.reading, reading_coming=self._coming, answered=self.answered
        )

    def due(self, silence_ms: float) -> bool:
        """True when a pause has lasted long enough for its reading."""
        return self._open and silence_ms >= self.silence_needed
