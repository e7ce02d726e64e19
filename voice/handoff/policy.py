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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallerRequestSpec(_Strict):
    intents: list[str] = Field(default_factory=lambda: ["speak_to_agent"])
    keypad: str = Field("0", pattern=r"^[0-9*#]$")


class FrustrationSpec(_Strict):
    threshold: float = Field(0.6, gt=0, le=1)
    window: int = Field(3, ge=1, le=10)
    phrases: list[str] = Field(default_factory=list)


class TopicSpec(_Strict):
    topic: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    priority: Priority
    phrases: list[str] = Field(min_length=1)
    say: str | None = None  # said before connecting, e.g. emergency advice


class FailureSpec(_Strict):
    no_match: int = Field(3, ge=1, le=10)
    unclear_audio: int = Field(3, ge=1, le=10)
    silence: int = Field(3, ge=1, le=10)
    slot_attempts: int = Field(2, ge=1, le=10)


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


class PolicySpec(_Strict):
    caller_request: CallerRequestSpec = Field(default_factory=CallerRequestSpec)
    always_human: list[str] = Field(default_factory=list)
    frustration: FrustrationSpec = Field(default_factory=FrustrationSpec)
    sensitive_topics: list[TopicSpec] = Field(default_factory=list)
    failures: FailureSpec = Field(default_factory=FailureSpec)
    hours: HoursSpec | None = None  # none: people answer at any hour
    priorities: dict[str, Priority] = Field(default_factory=dict)  # reason -> priority
