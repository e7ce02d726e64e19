"""What goes into the dialog core (a caller's turn) and what comes out (a decision)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class InputKind(StrEnum):
    SPEECH = "speech"  # the caller said something we transcribed
    DTMF = "dtmf"  # the caller pressed keys
    SILENCE = "silence"  # nothing voiced within the listening window (or a tone, music)
    UNCLEAR = "unclear"  # audio we could not get or could not transcribe


@dataclass(frozen=True)
class CallerInput:
    kind: InputKind
    text: str = ""
    digits: str = ""
    confidence: float = 0.0
    interrupted: bool = False  # the caller talked over the bot's reply to say this
    alternatives: tuple[str, ...] = ()  # the recogniser's runner-up readings of ``text``


@dataclass(frozen=True)
class Caller:
    """What the telephony layer knows about who is calling."""

    number: str = ""


class Action(StrEnum):
    LISTEN = "listen"  # say the reply, then listen for the next turn
    TRANSFER = "transfer"  # say the reply, then connect to a person
    VOICEMAIL = "voicemail"  # say the reply, then record a message
    HANGUP = "hangup"  # say the reply, then end the call


@dataclass(frozen=True)
class Decision:
    """The dialog's answer to one turn: sentences to speak, then an action.

    ``say`` is a tuple of separately cached phrases, so static ones are synthesized once.
    """

    say: tuple[str, ...]
    action: Action
    intent: str | None = None
    confidence: float | None = None
    reason: str | None = None  # why a transfer or voicemail happens
    priority: str | None = None  # urgent, high or normal, for a hand-over
    evidence: str = ""  # the caller's words behind a hand-over (redacted)
    expecting: str | None = None  # the slot the next turn should fill, if any
    understood: bool = True  # False: "sorry, I didn't get that" (no use for what was said)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.say)
