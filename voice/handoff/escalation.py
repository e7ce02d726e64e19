"""The escalation policy at run time: which caller words mean "a person, now", and when.

The dialog engine asks it on every caller turn (``judge``). Sensitive topics hand over at
once with their priority (a reported emergency also reads as distress); then the caller's
feeling does what the policy's ``feelings`` block says for its level (clearly angry or
distressed: a person at once, with an empathetic line first; upset: that line before the
answer, offering a person); then frustration handed over on its trend across turns.
Outside opening hours a hand-over becomes a voicemail with a promised call back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from voice.handoff.feeling import CallSigns, Feeling, FeelingReader
from voice.handoff.frustration import POLICY_PHRASE_WEIGHT, FrustrationTracker, TurnSignal
from voice.handoff.hours import OpeningHours
from voice.handoff.meaning import Embedder
from voice.handoff.policy import PolicySpec, Priority
from voice.handoff.topics import TopicDetector, TopicHit, TopicRule
from voice.text.redaction import redact

URGENT_LEAD = "I understand. I'm getting you to a person right away."
FRUSTRATED_LEAD = "I'm sorry this has been frustrating. Let me get you to a person."


@dataclass(frozen=True)
class Escalation:
    reason: str
    priority: Priority
    evidence: str = ""  # the caller's words that triggered it, redacted
    lead: str | None = None  # said before "connecting you"


@dataclass(frozen=True)
class Judgement:
    """The policy's reading of one caller turn."""

    escalation: Escalation | None
    frustration: dict[str, Any]  # the tracker state to keep for the next turn
    signal: TurnSignal
    feeling: Feeling
    topic: TopicHit | None
    acknowledge: str | None = None  # said before the answer (an "offer" level)


def _now() -> datetime:
    return datetime.now(UTC)


class EscalationPolicy:
    def __init__(
        self,
        spec: PolicySpec,
        *,
        clock: Callable[[], datetime] = _now,
        embedder: Embedder | None = None,
    ) -> None:
        """``embedder``: the sentence model, for feelings and topics by meaning (None:
        phrases only)."""
        self.spec = spec
        self.clock = clock
        self.topics = TopicDetector(
            [
                TopicRule(t.topic, t.priority, tuple(t.phrases), tuple(t.examples))
                for t in spec.sensitive_topics
            ],
            embedder=embedder,
            similarity=spec.topic_meaning.similarity,
            margin=spec.topic_meaning.margin,
        )
        feelings = spec.feelings
        self.feelings = FeelingReader(
            embedder,
            cues={
                level: dict.fromkeys(phrases, POLICY_PHRASE_WEIGHT)
                for level, phrases in feelings.phrases.items()
            },
            examples={str(level): texts for level, texts in feelings.examples.items()},
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
        """``judge``, as the escalation, the frustration state and this turn's signal."""
        judged = self.judge(text, frustration, bot_failed=bot_failed)
        return judged.escalation, judged.frustration, judged.signal

    def judge(
        self,
        text: str,
        frustration: dict[str, Any],
        *,
        bot_failed: bool,
        offered: bool = False,
        interrupted: bool = False,
    ) -> Judgement:
        """Judge one caller utterance. ``offered``: a person was already offered in this
        call (an "offer" level then says nothing more); ``interrupted``: the caller talked
        over the bot to say it."""
        tracker = self._tracker(frustration)
        signal = tracker.observe(text, bot_failed=bot_failed)
        state = tracker.to_dict()
        signs = CallSigns(
            bot_failed=bot_failed,
            frustration=signal.score,
            frustration_reasons=signal.reasons,
            interrupted=interrupted,
        )
        feeling = self.feelings.read(text, signs)
        hit = self.topics.detect(text)
        evidence = redact(text)
        if hit is not None and hit.topic == "emergency" and not feeling.negative:
            feeling = replace(feeling, level="distressed", why=("reported an emergency",))

        def judged(escalation: Escalation | None, acknowledge: str | None = None) -> Judgement:
            return Judgement(escalation, state, signal, feeling, hit, acknowledge)

        if hit is not None:
            lead = self._topic_lead.get(hit.topic) or URGENT_LEAD
            return judged(Escalation(f"sensitive:{hit.topic}", hit.priority, evidence, lead))
        rule = self.spec.feelings.rule(feeling.level)
        if rule.action == "transfer":
            lead = rule.say or FRUSTRATED_LEAD
            return judged(Escalation(f"feeling:{feeling.level}", rule.priority, evidence, lead))
        if tracker.escalate:
            priority = self.priority("frustration")
            return judged(Escalation("frustration", priority, evidence, FRUSTRATED_LEAD))
        if rule.action == "offer" and rule.say and not offered:
            return judged(None, rule.say)
        return judged(None)

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
