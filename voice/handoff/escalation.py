"""The escalation policy at run time: which caller words mean "a person, now", and when.

The dialog engine asks it on every caller turn. Sensitive topics hand over at once with
their priority; frustration is scored per turn and handed over on its trend; outside
opening hours a hand-over becomes a voicemail with a promised call back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from voice.handoff.frustration import FrustrationTracker, TurnSignal
from voice.handoff.hours import OpeningHours
from voice.handoff.policy import PolicySpec, Priority
from voice.handoff.topics import TopicDetector, TopicRule
from voice.text.redaction import redact

URGENT_LEAD = "I understand. I'm getting you to a person right away."
FRUSTRATED_LEAD = "I'm sorry this has been frustrating. Let me get you to a person."


@dataclass(frozen=True)
class Escalation:
    reason: str
    priority: Priority
    evidence: str = ""  # the caller's words that triggered it, redacted
    lead: str | None = None  # said before "connecting you"


def _now() -> datetime:
    return datetime.now(UTC)


class EscalationPolicy:
    def __init__(self, spec: PolicySpec, *, clock: Callable[[], datetime] = _now) -> None:
        self.spec = spec
        self.clock = clock
        self.topics = TopicDetector(
            [TopicRule(t.topic, t.priority, tuple(t.phrases)) for t in spec.sensitive_topics]
        )
        self._topic_lead = {t.topic: t.say for t in spec.sensitive_topics}
        self.hours: OpeningHours | None = spec.hours.build() if spec.hours else None

    @property
    def keypad(self) -> str:
        return self.spec.caller_request.keypad

    def asks_for_person(self, intent: str) -> bool:
        return intent in self.spec.caller_request.intents

    def always_human(self, intent: str) -> bool:
        return intent in self.spec.always_human

    def priority(self, reason: str) -> Priority:
        return self.spec.priorities.get(reason, "normal")

    def on_words(
        self, text: str, frustration: dict[str, Any], *, bot_failed: bool
    ) -> tuple[Escalation | None, dict[str, Any], TurnSignal]:
        """Judge one caller utterance. Returns the escalation (if any), the frustration
        state to keep for the next turn, and this turn's frustration signal."""
        tracker = self._tracker(frustration)
        signal = tracker.observe(text, bot_failed=bot_failed)
        state = tracker.to_dict()
        hit = self.topics.detect(text)
        if hit is not None:
            lead = self._topic_lead.get(hit.topic) or URGENT_LEAD
            reason = f"sensitive:{hit.topic}"
            return Escalation(reason, hit.priority, redact(text), lead), state, signal
        if tracker.escalate:
            escalation = Escalation(
                "frustration", self.priority("frustration"), redact(text), FRUSTRATED_LEAD
            )
            return escalation, state, signal
        return None, state, signal

    def trend(self, frustration: dict[str, Any]) -> float:
        return self._tracker(frustration).trend

    def open_now(self) -> bool:
        return self.hours is None or self.hours.is_open(self.clock())

    def reopening_words(self) -> str:
        """When people answer again, as words: "tomorrow at 8 AM"."""
        if self.hours is None:
            return "soon"
        return self.hours.describe_next_opening(self.clock())

    def _tracker(self, state: dict[str, Any]) -> FrustrationTracker:
        frustration = self.spec.frustration
        if state:
            try:
                return FrustrationTracker.from_dict(state)
            except ValueError:
                pass  # an older or damaged state: start again
        return FrustrationTracker(
            window=frustration.window,
            threshold=frustration.threshold,
            phrases=frustration.phrases,
        )
