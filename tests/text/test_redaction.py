"""Redaction on Whisper-style transcripts: what is replaced, and what must stay."""

import pytest

from voice.text.redaction import redact, redaction_kinds

REDACTED = [
    # cards: Luhn-valid runs always, others after a card word
    ("My card number is 4111 1111 1111 1111.", "My card number is [card].", ["card"]),
    ("It's 4111-1111-1111-1111, expiry next May.", "It's [card], expiry next May.", ["card"]),
    ("4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1", "[card]", ["card"]),
    ("Sure, 5555555555554444 is the one", "Sure, [card] is the one", ["card"]),
    (
        "four one one one one one one one one one one one one one one one",
        "[card]",
        ["card"],
    ),
    ("Amex 3782 822463 10005 please", "Amex [card] please", ["card"]),
    ("my visa is 1234 5678 9012 3456", "my visa is [card]", ["card"]),
    ("the card number, um, 1234 5678 9012 3457.", "the card number, um, [card].", ["card"]),
    # a card read on with its security code and expiry date
    ("4111 1111 1111 1111, 123, 12 25", "[card]", ["card"]),
    (
        "four one one one one one one one one one one one one one one one, one two three",
        "[card]",
        ["card"],
    ),
    ("card 1234 5678 9012 3456 789 1225", "card [card]", ["card"]),
    # ID numbers
    ("it's 123-45-6789", "it's [id]", ["id"]),
    ("My SSN is 123456789.", "My SSN is [id].", ["id"]),
    (
        "My social security number is one two three four five six seven eight nine",
        "My social security number is [id]",
        ["id"],
    ),
    (
        "My national insurance number is AB 12 34 56 C.",
        "My national insurance number is [id].",
        ["id"],
    ),
    ("NI number QQ123456C thanks", "NI number [id] thanks", ["id"]),
    ("my ID number is 987 654 321", "my ID number is [id]", ["id"]),
    # one-time codes
    ("The code they sent me is 482913.", "The code they sent me is [code].", ["code"]),
    ("My PIN is 1234.", "My PIN is [code].", ["code"]),
    ("the verification code is 4-8-2-9-1-3", "the verification code is [code]", ["code"]),
    ("one-time passcode four eight two nine", "one-time passcode [code]", ["code"]),
    ("OTP: 73 19 55", "OTP: [code]", ["code"]),
    ("482913 is the code", "[code] is the code", ["code"]),
    ("security code, uh, double five six seven", "security code, uh, [code]", ["code"]),
    # emails
    ("email me at jane.doe@example.com", "email me at [email]", ["email"]),
    ("It's J.Doe+bills@mail.example.co.uk.", "It's [email].", ["email"]),
    ("my email is jane dot doe at gmail dot com", "my email is [email]", ["email"]),
    ("it's jsmith at outlook.com thanks", "it's [email] thanks", ["email"]),
    ("bob underscore lee at yahoo dot co dot uk", "[email]", ["email"]),
    # several in one turn
    (
        "Card 4111 1111 1111 1111, code 4829, email a@b.io",
        "Card [card], code [code], email [email]",
        ["card", "code", "email"],
    ),
    (
        "the code is 4829 and my order number is 45712",
        "the code is [code] and my order number is 45712",
        ["code"],
    ),
]

UNCHANGED = [
    "order 45712 hasn't arrived",
    "My order number is 4-5-7-1-2.",
    "Could you look up order 8 8 3 2 1 for me?",
    "I owe $42.15",
    "I paid forty two dollars",
    "It was £1,250 last month",
    "My zip code is 90210.",
    "The error code is 80070005.",
    "area code 2125",
    "verification code expired on March 15 2024",
    "I called on 2024-03-15 at 10:30",
    "Call me back on 555-123-4567.",
    "My number is +44 7911 123456.",
    "My PIN is 12, no wait",
    "I have 3 kids and 2 dogs",
    "I'm looking at the website now",
    "can I pay 1234 5678 next week",
    "Order 1234567890123456 please",
    "my tracking number is 9400 1111 1111 1111 1111 11",
    "reference 12345678901234567890123",  # an order number, even at card length, but not Luhn
    "",
]


@pytest.mark.parametrize(("text", "expected", "kinds"), REDACTED)
def test_redacts(text: str, expected: str, kinds: list[str]) -> None:
    assert redact(text) == expected
    assert redaction_kinds(text) == kinds


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_other_numbers(text: str) -> None:
    assert redact(text) == text
    assert redaction_kinds(text) == []


@pytest.mark.parametrize("text", [t for t, _, _ in REDACTED] + UNCHANGED)
def test_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    assert redaction_kinds(once) == []


def test_a_luhn_valid_run_is_a_card_without_context() -> None:
    assert redact("I read 4012888888881881 to her") == "I read [card] to her"


def test_a_card_length_run_without_luhn_or_cue_stays() -> None:
    assert redact("reference 1234 5678 9012 3456") == "reference 1234 5678 9012 3456"


def test_nearest_cue_wins() -> None:
    # "code" was said, but "order" is nearer the number.
    assert redact("I got a code for order 45712") == "I got a code for order 45712"
    # the nearest cue does not fit a 4-digit number, a farther one does
    assert (
        redact("the security code on my card is 4829") == "the security code on my card is [code]"
    )
