"""The words of answers: the phrases known in advance, slot values taken from what was
said, answer templates filled from a lookup, and the record of a lookup."""

from __future__ import annotations

import logging
import time

from voice.intents.loader import IntentSet
from voice.intents.schema import SlotSpec
from voice.intents.slots import extract_order_number
from voice.text import prompts

log = logging.getLogger(__name__)


def static_phrases(company: str, intents: IntentSet, descriptions: list[str]) -> list[str]:
    """Phrases that never change, to synthesize once at start-up (and after a reload)."""
    return [
        prompts.greeting(company),
        prompts.HOW_CAN_I_HELP,
        prompts.menu(descriptions),
        prompts.not_understood(descriptions),
        prompts.ANYTHING_ELSE,
        prompts.WHAT_ELSE,
        prompts.GOODBYE,
        prompts.CONNECTING,
        prompts.VOICEMAIL_NO_AGENT,
        prompts.VOICEMAIL_AFTER_DIAL,
        prompts.VOICEMAIL_SAVED,
        prompts.VOICEMAIL_EMPTY,
        prompts.UNCLEAR,
        prompts.STILL_THERE,
        prompts.KEY_NOT_USED,
        prompts.SLOT_AGAIN,
        prompts.RETRY,
        prompts.LOOKUP_FAILED,
        prompts.HOLD_ON,
        prompts.ONE_MOMENT,
        *(slot.prompt for spec in intents.intents.values() for slot in spec.slots),
        *(slot.reprompt for spec in intents.intents.values() for slot in spec.slots),
        *(
            text
            for spec in intents.intents.values()
            for text in (spec.answer, spec.answer_not_found)
            if text and "{" not in text  # answers filled from data change per call
        ),
    ]


def descriptions(intents: IntentSet) -> list[str]:
    return [spec.description for spec in intents.intents.values() if spec.outcome == "answer"]


def extract(slot: SlotSpec, text: str) -> str | None:
    if slot.type == "order_number":
        return extract_order_number(text)
    raise ValueError(f"unknown slot type {slot.type!r}")


def fill(template: str, fields: dict[str, str]) -> str:
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        log.warning("answer template %r lacks fields; have %s", template, sorted(fields))
        return template


def looked(name: str, outcome: str, since: float) -> dict[str, str]:
    """A lookup's name, outcome (found, not_found or a failure kind) and milliseconds."""
    took = round((time.perf_counter() - since) * 1000, 1)
    return {"lookup": name, "lookup_outcome": outcome, "lookup_ms": str(took)}
