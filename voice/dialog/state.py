"""Call state: an explicit phase plus the counters and slots the dialog needs.

The state is stored as a JSON dict in the database between webhook requests, because in
webhook mode Twilio's next request for a call may reach another instance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Phase(StrEnum):
    GREETING = "greeting"
    LISTENING = "listening"
    COLLECTING_SLOT = "collecting_slot"
    VERIFYING = "verifying"  # asked for a PIN or a one-time code before answering
    ANYTHING_ELSE = "anything_else"
    TRANSFERRING = "transferring"
    VOICEMAIL = "voicemail"
    ENDED = "ended"


# Which phases may follow which; anything else is a bug and raises.
_ALLOWED: dict[Phase, frozenset[Phase]] = {
    Phase.GREETING: frozenset({Phase.LISTENING, Phase.TRANSFERRING, Phase.VOICEMAIL, Phase.ENDED}),
    Phase.LISTENING: frozenset(
        {
            Phase.LISTENING,
            Phase.COLLECTING_SLOT,
            Phase.VERIFYING,
            Phase.ANYTHING_ELSE,
            Phase.TRANSFERRING,
            Phase.VOICEMAIL,
            Phase.ENDED,
        }
    ),
    Phase.COLLECTING_SLOT: frozenset(
        {
            Phase.COLLECTING_SLOT,
            Phase.VERIFYING,
            Phase.LISTENING,
            Phase.ANYTHING_ELSE,
            Phase.TRANSFERRING,
            Phase.VOICEMAIL,
            Phase.ENDED,
        }
    ),
    Phase.ANYTHING_ELSE: frozenset(
        {
            Phase.ANYTHING_ELSE,
            Phase.LISTENING,
            Phase.COLLECTING_SLOT,
            Phase.VERIFYING,
            Phase.TRANSFERRING,
            Phase.VOICEMAIL,
            Phase.ENDED,
        }
    ),
    Phase.VERIFYING: frozenset(
        {
            Phase.VERIFYING,
            Phase.LISTENING,
            Phase.COLLECTING_SLOT,
            Phase.ANYTHING_ELSE,
            Phase.TRANSFERRING,
            Phase.VOICEMAIL,
            Phase.ENDED,
        }
    ),
    Phase.TRANSFERRING: frozenset({Phase.VOICEMAIL, Phase.ENDED}),
    Phase.VOICEMAIL: frozenset({Phase.ENDED}),
    Phase.ENDED: frozenset({Phase.ENDED}),
}


class IllegalTransition(RuntimeError):
    """A phase change the dialog never makes; a programming error."""


@dataclass
class CallState:
    phase: Phase = Phase.GREETING
    misses: int = 0
    silences: int = 0
    slot_misses: int = 0
    pending_intent: str | None = None
    pending_slot: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    intents_seen: list[str] = field(default_factory=list)
    collected: dict[str, str] = field(default_factory=dict)  # every slot value of the call
    frustration: dict[str, Any] = field(default_factory=dict)  # FrustrationTracker state
    sentiment: list[float] = field(default_factory=list)  # frustration trend after each turn
    feelings: list[dict[str, Any]] = field(default_factory=list)  # Feeling.to_dict, per turn
    person_offered: bool = False  # an upset caller was told they can ask for a person
    # Who the caller proved to be (``voice.dialog.verification``): factors passed with their
    # times, the factor asked for, failed tries, a one-time code's keyed hash. Never digits.
    verification: dict[str, Any] = field(default_factory=dict)

    def move_to(self, phase: Phase) -> None:
        if phase not in _ALLOWED[self.phase]:
            raise IllegalTransition(f"{self.phase} -> {phase}")
        self.phase = phase

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["phase"] = self.phase.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallState:
        return cls(
            phase=Phase(data.get("phase", Phase.GREETING)),
            misses=int(data.get("misses", 0)),
            silences=int(data.get("silences", 0)),
            slot_misses=int(data.get("slot_misses", 0)),
            pending_intent=data.get("pending_intent"),
            pending_slot=data.get("pending_slot"),
            slots={str(k): str(v) for k, v in dict(data.get("slots", {})).items()},
            intents_seen=[str(i) for i in data.get("intents_seen", [])],
            collected={str(k): str(v) for k, v in dict(data.get("collected", {})).items()},
            frustration=dict(data.get("frustration", {})),
            sentiment=[float(x) for x in data.get("sentiment", [])],
            feelings=[dict(f) for f in data.get("feelings", [])],
            person_offered=bool(data.get("person_offered", False)),
            verification=dict(data.get("verification", {})),
        )
