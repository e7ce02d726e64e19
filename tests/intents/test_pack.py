"""The starter intent pack: required intents, example counts, answers fit for speech."""

import re

import pytest

from voice.intents.loader import IntentSet
from voice.text.normalise import normalise

REQUIRED = {
    "reset_password": "answer",
    "track_order": "answer",
    "check_balance": "answer",
    "billing_question": "answer",
    "refund_request": "answer",
    "report_outage": "answer",
    "business_hours": "answer",
    "speak_to_agent": "transfer",
}


def test_required_intents_present(intent_set: IntentSet) -> None:
    outcomes = {name: spec.outcome for name, spec in intent_set.intents.items()}
    assert {name: outcomes.get(name) for name in REQUIRED} == REQUIRED


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_enough_examples(intent_set: IntentSet, name: str) -> None:
    assert len(intent_set.intents[name].examples) >= 15


def test_no_example_in_two_intents(intent_set: IntentSet) -> None:
    owners: dict[str, set[str]] = {}
    for name, spec in intent_set.intents.items():
        for example in spec.examples:
            owners.setdefault(normalise(example), set()).add(name)
    assert {text: names for text, names in owners.items() if len(names) > 1} == {}


def test_track_order_contract(intent_set: IntentSet) -> None:
    spec = intent_set.intents["track_order"]
    assert spec.fulfillment == "order_status"
    assert [(slot.name, slot.type) for slot in spec.slots] == [("order_number", "order_number")]
    assert spec.answer is not None and "{order_number_spoken}" in spec.answer
    assert "{status_sentence}" in spec.answer
    assert spec.answer_not_found is not None and "{order_number_spoken}" in spec.answer_not_found


def test_check_balance_contract(intent_set: IntentSet) -> None:
    spec = intent_set.intents["check_balance"]
    assert spec.fulfillment == "account_balance"
    assert spec.answer is not None
    assert "{balance_spoken}" in spec.answer and "{due_date_spoken}" in spec.answer
    assert spec.answer_not_found is not None and "{" not in spec.answer_not_found


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_answers_are_speakable(intent_set: IntentSet, name: str) -> None:
    spec = intent_set.intents[name]
    for template in filter(None, (spec.answer, spec.answer_not_found)):
        text = re.sub(r"\{\w+\}", "x", template)
        assert not re.search(r"https?://|www\.|[*#_`\[\]]", text), text
        assert "anything else" not in text.lower()
        sentences = [s for s in re.split(r"[.!?]+\s", text + " ") if s.strip()]
        assert 1 <= len(sentences) <= 3, text
