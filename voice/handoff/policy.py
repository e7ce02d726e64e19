"""The escalation policy file (``intents/policy.yaml``): when a person takes over.

The schema of the file. Admins edit it; ``voice.pack.policy`` reads and checks it at
start-up with the same line-numbered errors as intent files, including references to
intents that do not exist and malformed opening hours.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from voice.handoff.hours import OpeningHours

Priority = Literal["urgent", "high", "normal"]
FeelingLevel = Literal["angry", "distressed", "upset", "neutral", "pleased"]
ANGRY_LINE = "I'm sorry, I can hear this has been really frustrating. Let me get you to a person."
DISTRESSED_LINE = "I'm so sorry you're going through this. I'm getting you to a person right now."
UPSET_LINE = "I'm sorry about the trouble. If you'd rather talk to a person, just say agent."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallerRequestSpec(_Strict):
    intents: list[str] = Field(default_factory=lambda: ["speak_to_agent"])
    keypad: str = Field("0", pattern=r"^[0-9*#]$")


class FrustrationSpec(_Strict):
    threshold: float = Field(0.6, gt=0, le=1)
    window: int = Field(3, ge=1, le=10)
    phrases: list[str] = Field(default_factory=list)


class FeelingRule(_Strict):
    """What the bot does when a caller turn reads as one level: ``transfer`` (a person at
    once, ``say`` first), ``offer`` (``say`` before the answer, once a call), or ``none``."""

    action: Literal["transfer", "offer", "none"] = "none"
    priority: Priority = "normal"
    say: str | None = None


class FeelingsSpec(_Strict):
    angry: FeelingRule = FeelingRule(action="transfer", priority="high", say=ANGRY_LINE)
    distressed: FeelingRule = FeelingRule(action="transfer", priority="urgent", say=DISTRESSED_LINE)
    upset: FeelingRule = FeelingRule(action="offer", say=UPSET_LINE)
    neutral: FeelingRule = FeelingRule()
    pleased: FeelingRule = FeelingRule()
    # Your own words (weight 0.5 each) and example sentences (by meaning), per level.
    phrases: dict[FeelingLevel, list[str]] = Field(default_factory=dict)
    examples: dict[FeelingLevel, list[str]] = Field(default_factory=dict)

    def rule(self, level: str) -> FeelingRule:
        rule: FeelingRule = getattr(self, level)
        return rule


class TopicMeaningSpec(_Strict):
    """Topics by meaning: least closeness to a topic, and least lead over routine requests."""

    similarity: float = Field(0.5, gt=0, le=1)
    margin: float = Field(0.1, ge=0, le=1)


class TopicSpec(_Strict):
    topic: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    priority: Priority
    phrases: list[str] = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)  # sentences, matched by meaning
    say: str | None = None  # said before connecting, e.g. emergency advice


class FailureSpec(_Strict):
    no_match: int = Field(3, ge=1, le=10)
    unclear_audio: int = Field(3, ge=1, le=10)
    silence: int = Field(3, ge=1, le=10)
    slot_attempts: int = Field(2, ge=1, le=10)


class VerificationSpec(_Strict):
    """How callers prove who they are before an intent that ``requires: verified``."""

    attempts: int = Field(3, ge=1, le=10)  # wrong PINs or codes before a person takes over
    text_code: bool = True  # offer a one-time code by text message to the number on file
    code_minutes: int = Field(5, ge=1, le=30)  # how long a texted code stays good
    # Wrong PINs or codes from one number within a day (all its calls) before the PIN is
    # no longer offered to it: a caller can't guess on by calling again.
    daily_failures: int = Field(6, ge=1, le=100)


class HoursSpec(_Strict):
    timezone: str
    open: dict[str, str]
    holidays: list[str] = Field(default_factory=list)

    def build(self) -> OpeningHours:
        return OpeningHours.parse(self.open, self.timezone, holidays=self.holidays)

    @field_validator("open")
    @classmethod
    def _not_empty(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("list the opening hours, e.g. 'mon-fri: 08:00-20:00'")
        return value


class BusySpec(_Strict):
    """A new live call when this instance already has ``MAX_LIVE_CALLS``: told the lines are
    busy (``say``), then to a person (``transfer``: the queue or an agent, as hand-overs go)
    or straight to a ``voicemail``. Its reason is ``lines_busy``."""

    action: Literal["transfer", "voicemail"] = "transfer"
    say: str = Field("Thanks for calling. All our lines are busy right now.", min_length=1)


class PolicySpec(_Strict):
    caller_request: CallerRequestSpec = Field(default_factory=CallerRequestSpec)
    always_human: list[str] = Field(default_factory=list)
    frustration: FrustrationSpec = Field(default_factory=FrustrationSpec)
    feelings: FeelingsSpec = Field(default_factory=FeelingsSpec)
    sensitive_topics: list[TopicSpec] = Field(default_factory=list)
    topic_meaning: TopicMeaningSpec = Field(default_factory=TopicMeaningSpec)
    failures: FailureSpec = Field(default_factory=FailureSpec)
    verification: VerificationSpec = Field(default_factory=VerificationSpec)
    hours: HoursSpec | None = None  # none: people answer at any hour
    busy: BusySpec = Field(default_factory=BusySpec)
    priorities: dict[str, Priority] = Field(default_factory=dict)  # reason -> priority
