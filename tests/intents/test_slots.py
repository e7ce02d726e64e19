import pytest

from voice.intents.slots import extract_order_number
from voice.text.spoken import speak_digits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45712", "45712"),
        ("45712#", "45712"),
        ("4 5 7 1 2", "45712"),
        ("four five seven one two", "45712"),
        ("it's 4-5-7-1-2", "45712"),
        ("It's 4-5-7-1-2.", "45712"),
        ("My order number is 4, 5, 7, 1, 2.", "45712"),
        ("order number forty five seven twelve", "45712"),
        ("forty five thousand seven hundred twelve", "45712"),
        ("Um, four five, uh, seven one two", "45712"),
        ("four five oh one two", "45012"),
        ("double four five six", "4456"),
        ("Sure, it's 1234.", "1234"),
        ("0012345678", "0012345678"),
        ("I ordered 2 things, order number 88321", "88321"),
        ("I'm calling about order 4 5 7 1 2 from last week", "45712"),
    ],
)
def test_extracts_order_number(text: str, expected: str) -> None:
    assert extract_order_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "where is my order",
        "I ordered it 2 weeks ago",
        "123",  # too short
        "my phone number is 5 5 5 1 2 3 4 5 6 7 8",  # 11 digits: too long
        "I need a new one",
    ],
)
def test_no_order_number(text: str) -> None:
    assert extract_order_number(text) is None


@pytest.mark.parametrize(
    ("digits", "spoken"),
    [
        ("45712", "four five seven one two"),
        ("0", "zero"),
        ("1-0", "one zero"),
        ("", ""),
    ],
)
def test_speak_digits(digits: str, spoken: str) -> None:
    assert speak_digits(digits) == spoken


def test_spoken_digits_round_trip() -> None:
    assert extract_order_number(speak_digits("9081726354")) == "9081726354"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is my order for 5712?", "45712"),  # Whisper's "for" for "four"
        ("for five seven one two", "45712"),
        ("1 to 3 4 5", "12345"),
        ("I need to track 45712", "45712"),  # "to" before a number is just "to"
        ("an order for 12 items", None),
    ],
)
def test_digit_homophones_inside_numbers(text: str, expected: str | None) -> None:
    assert extract_order_number(text) == expected
