"""Slot values taken from what the caller said or keyed, and read back for speech."""

from __future__ import annotations

from typing import Final

from voice.text.normalise import normalised_tokens

ORDER_NUMBER_MIN_DIGITS: Final = 4
ORDER_NUMBER_MAX_DIGITS: Final = 10
CODE_MIN_DIGITS: Final = 3
CODE_MAX_DIGITS: Final = 12


def extract_order_number(text: str) -> str | None:
    """The order number's digits (4 to 10 of them) in ``text``, or None.

    ``text`` is a raw transcript or keypad digits. Digits may be spoken or written in any
    mix: "45712", "4 5 7 1 2", "4-5-7-1-2", "four five seven one two", "forty five seven
    twelve" all give "45712". Consecutive number groups are joined into one run; the
    first run of acceptable length wins. Runs shorter than 4 digits ("2 weeks ago") or
    longer than 10 (a phone number) are not order numbers.
    """
    return next(
        (
            run
            for run in digit_runs(text)
            if ORDER_NUMBER_MIN_DIGITS <= len(run) <= ORDER_NUMBER_MAX_DIGITS
        ),
        None,
    )


def extract_code(text: str) -> str | None:
    """The digits of a PIN or one-time code said or keyed in ``text`` (the longest run of
    3 to 12 digits, read as ``extract_order_number`` reads them), or None."""
    runs = [run for run in digit_runs(text) if CODE_MIN_DIGITS <= len(run) <= CODE_MAX_DIGITS]
    return max(runs, key=len) if runs else None


def digit_runs(text: str) -> list[str]:
    """The runs of digits in ``text``, spoken or written; consecutive groups join."""
    runs: list[str] = []
    current = ""
    tokens = normalised_tokens(text)
    for index, token in enumerate(tokens):
        token = _homophone_digit(tokens, index)
        if token.isdigit():
            current += token
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


# Whisper often writes a spoken digit as its homophone: "for 5712" for "four five seven...".
_HOMOPHONES: Final = {"for": "4", "to": "2", "too": "2"}


def _homophone_digit(tokens: list[str], index: int) -> str:
    """The token, or its digit when it is a digit's homophone inside a run of digits.

    "for" counts before a digit ("for 5712"); "to"/"too" only between digits ("4 to 7").
    """
    token = tokens[index]
    digit = _HOMOPHONES.get(token)
    if digit is None:
        return token
    after = index + 1 < len(tokens) and tokens[index + 1].isdigit()
    before = index > 0 and tokens[index - 1].isdigit()
    if after and (token == "for" or before):
        return digit
    return token
