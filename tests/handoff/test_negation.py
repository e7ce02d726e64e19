"""Negated phrases: "I'm not calling about fraud" is not about fraud."""

import pytest

from voice.handoff.negation import find, negated
from voice.text.normalise import normalise


def _at(text: str, phrase: str) -> bool:
    words = normalise(text).split()
    start = words.index(phrase.split()[0])
    return negated(words, start)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I'm not calling about fraud", "fraud"),
        ("there's no gas leak", "gas"),
        ("it won't fire", "fire"),
        ("nothing fraudulent happened", "fraudulent"),
        ("no one stole my card", "stole"),
        ("this isn't an emergency", "emergency"),
        ("I don't need a lawyer", "lawyer"),
        ("I'm not reporting a data breach", "data"),
    ],
)
def test_negated(text: str, phrase: str) -> None:
    assert _at(text, phrase)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I think there is fraud on my account", "fraud"),
        ("I'm not sure but I think it's fraud", "fraud"),  # "sure" ends the negation's reach
        ("I don't know if this is fraud", "fraud"),  # suspected: heard
        ("my elderly father is without heating", "heating"),
        ("the house is on fire and nobody answers", "fire"),
    ],
)
def test_not_negated(text: str, phrase: str) -> None:
    assert not _at(text, phrase)


def test_find_skips_a_negated_occurrence_for_a_later_one() -> None:
    words = normalise("I'm not angry at you, I'm angry at the company").split()
    assert find(("angry",), words) == words.index("angry", 4)
    assert find(("angry",), normalise("I'm not angry").split()) is None
