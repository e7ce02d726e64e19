"""Numbers, digits, money and dates as words a text-to-speech voice reads naturally."""

from __future__ import annotations

from datetime import date
from typing import Final

_ONES = [
    *("zero one two three four five six seven eight nine ten eleven twelve".split()),
    *("thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()),
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_FIX = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def number_words(n: int) -> str:
    """0 <= n < 1,000,000,000 as English words ("forty two")."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, rest = divmod(n, 10)
        return _TENS[tens] + ("" if rest == 0 else " " + _ONES[rest])
    for size, word in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            tail = "" if rest == 0 else (" and " if rest < 100 else " ") + number_words(rest)
            return f"{number_words(head)} {word}{tail}"
    raise AssertionError("unreachable")


def ordinal_words(n: int) -> str:
    words = number_words(n).split(" ")
    last = words[-1]
    if last in _ORDINAL_FIX:
        words[-1] = _ORDINAL_FIX[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def money_words(cents: int, currency: str = "dollar") -> str:
    """4215 -> "forty two dollars and fifteen cents"."""
    whole, part = divmod(abs(cents), 100)
    unit = currency if whole == 1 else currency + "s"
    text = f"{number_words(whole)} {unit}"
    if part:
        text += f" and {number_words(part)} {'cent' if part == 1 else 'cents'}"
    return ("minus " if cents < 0 else "") + text


def date_words(day: date) -> str:
    """date(2026, 12, 3) -> "Thursday, December third"."""
    return f"{day.strftime('%A')}, {day.strftime('%B')} {ordinal_words(day.day)}"


_DIGIT_NAMES: Final = {
    "0": "zero",
    "1": "one",
    "2": "two",
    "3": "three",
    "4": "four",
    "5": "five",
    "6": "six",
    "7": "seven",
    "8": "eight",
    "9": "nine",
}


def speak_digits(digits: str) -> str:
    """Words a TTS reads one digit at a time: "45712" -> "four five seven one two".

    Characters that are not ASCII digits are skipped.
    """
    return " ".join(_DIGIT_NAMES[ch] for ch in digits if ch in _DIGIT_NAMES)
