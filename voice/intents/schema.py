"""The shape of one intent file (``intents/<name>.yaml``), validated with pydantic.

Unknown keys are errors (``extra="forbid"``) so a typo such as ``exmaples:`` fails at
start-up instead of being ignored. Cross-field rules (an ``answer`` intent needs an
``answer``; placeholders must be fields the named fulfillment provides) are checked on
the later field so the error points at the line an admin has to change.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from voice.text.normalise import normalise

MIN_EXAMPLES: Final = 5
SNAKE_CASE: Final = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


Requires = Literal["none", "caller_id", "verified"]
"""What an intent needs to know of the caller before it answers: nothing; the calling
number (caller ID, trivially spoofed: fine for what the number's owner may hear from
anyone); or a verified caller (two factors on this call, see ``voice.dialog.verification``)."""


@dataclass(frozen=True)
class FulfillmentFields:
    """The placeholders a lookup fills: when it finds a record, and when it does not; and
    what its intents require by default (account data: a verified caller)."""

    found: frozenset[str]
    not_found: frozenset[str]
    requires: Requires = "none"


# Kept in step with voice/fulfillment: a new lookup or field must be added here too.
FULFILLMENTS: Final[Mapping[str, FulfillmentFields]] = {
    "order_status": FulfillmentFields(
        found=frozenset({"order_number_spoken", "status_sentence"}),
        not_found=frozenset({"order_number_spoken"}),
    ),
    "account_balance": FulfillmentFields(
        found=frozenset({"balance_spoken", "due_date_spoken"}),
        not_found=frozenset(),
        requires="verified",
    ),
}

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class SlotSpec(BaseModel):
    """A value the bot must collect before answering, e.g. an order number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=SNAKE_CASE.pattern)]
    type: Literal["order_number"]
    prompt: Text
    reprompt: Text


class IntentSpec(BaseModel):
    """One thing callers ask for. Field order matters: later validators read earlier fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=SNAKE_CASE.pattern)]
    description: Text
    examples: Annotated[list[Text], Field(min_length=MIN_EXAMPLES)]
    outcome: Literal["answer", "transfer"]
    fulfillment: str | None = None
    slots: list[SlotSpec] = Field(default_factory=list)
    answer: Text | None = Field(default=None, validate_default=True)
    answer_not_found: Text | None = None
    # Unset: what the fulfillment requires (``FULFILLMENTS``), else none. An admin may set
    # it lower than that default only on purpose: ``voice intents check`` says so.
    requires: Requires | None = None

    @property
    def needs(self) -> Requires:
        """What this intent requires of the caller before it answers."""
        if self.requires is not None:
            return self.requires
        if self.fulfillment is not None:
            return FULFILLMENTS[self.fulfillment].requires
        return "none"

    @field_validator("examples")
    @classmethod
    def _examples_have_words(cls, examples: list[str]) -> list[str]:
        # Repeats (within and across files) are checked by the loader, which knows lines.
        for index, example in enumerate(examples):
            if not normalise(example):
                raise ValueError(f"example {index + 1} ({example!r}) has no words left to match")
        return examples

    @field_validator("fulfillment")
    @classmethod
    def _fulfillment_known(cls, fulfillment: str | None) -> str | None:
        if fulfillment is not None and fulfillment not in FULFILLMENTS:
            known = ", ".join(sorted(FULFILLMENTS))
            raise ValueError(f"unknown fulfillment {fulfillment!r}; use one of: {known}")
        return fulfillment

    @field_validator("slots")
    @classmethod
    def _slot_names_distinct(cls, slots: list[SlotSpec]) -> list[SlotSpec]:
        names = [slot.name for slot in slots]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"slot names must be distinct; repeated: {', '.join(duplicates)}")
        return slots

    @field_validator("answer")
    @classmethod
    def _answer_fits(cls, answer: str | None, info: ValidationInfo) -> str | None:
        if answer is None:
            if info.data.get("outcome") == "answer":
                raise ValueError("an intent with 'outcome: answer' needs an 'answer:' to speak")
            return None
        _check_placeholders(answer, _allowed_fields(info.data, found=True))
        return answer

    @field_validator("answer_not_found")
    @classmethod
    def _not_found_fits(cls, text: str | None, info: ValidationInfo) -> str | None:
        if text is None:
            return None
        if "fulfillment" in info.data and info.data["fulfillment"] is None:
            raise ValueError("'answer_not_found' only applies to an intent with a 'fulfillment'")
        _check_placeholders(text, _allowed_fields(info.data, found=False))
        return text


def _allowed_fields(data: Mapping[str, object], *, found: bool) -> frozenset[str] | None:
    """Placeholder names allowed in a reply; None when an earlier field was invalid."""
    if "fulfillment" not in data or "slots" not in data:
        return None
    fulfillment = data["fulfillment"]
    slots = data["slots"]
    names = {slot.name for slot in slots} if isinstance(slots, list) else set()
    if isinstance(fulfillment, str):
        fields = FULFILLMENTS[fulfillment]
        names |= fields.found if found else fields.not_found
    return frozenset(names)


def _check_placeholders(text: str, allowed: frozenset[str] | None) -> None:
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        hint = "write placeholders as {name} and a literal brace as {{"
        raise ValueError(f"{exc}; {hint}") from exc
    for _, field_name, spec, conversion in parts:
        if field_name is None:
            continue
        if not field_name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{field_name}}} must be a plain {{name}}")
        if allowed is not None and field_name not in allowed:
            offered = ", ".join(sorted(allowed)) or "none (this intent has no fulfillment)"
            raise ValueError(f"unknown placeholder {{{field_name}}}; available here: {offered}")
