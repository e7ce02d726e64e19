"""Turn a caller's transcript into the canonical text that intents are matched on.

``normalise`` is applied to both the intent examples and what the caller says, so the two
only need to agree with each other. The steps, in order:

1. Unicode NFKC, accents stripped, lower case, curly quotes made straight.
2. Punctuation becomes a space. Apostrophes inside words are kept long enough to expand
   contractions ("I'm" -> "i am", "hasn't" -> "has not", "it's" -> "it is"); a
   possessive "'s" is dropped ("order's" -> "order"). "4-5-7" becomes "4 5 7".
3. Numbers spoken as words become digits, one token per spoken group:
   "four five seven" -> "4 5 7", "forty five" -> "45", "double five" -> "55",
   "two hundred and six" -> "206", "four oh five" -> "4 0 5". A lone "one" stays a word
   ("a new one"); "oh" is a zero only next to another digit.
4. Filler words go: hesitations (um, uh, er, hmm) anywhere; greetings and discourse
   openers (hi, hello, hey, so, well, okay, oh, alright) only at the start; "please",
   "actually", "basically", "literally" anywhere; "like", "you know" and "i mean" only
   where they cannot carry meaning ("i would like" and "do you know" stay).
5. Whitespace collapsed; the result has single spaces and no leading or trailing space.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_DIGIT_WORDS: Final = {
    "zero": 0,
    "nought": 0,
    "naught": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_ZERO_LETTERS: Final = frozenset({"oh", "o"})
_TEENS: Final = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS: Final = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_REPEATS: Final = {"double": 2, "triple": 3}

_WHOLE_WORDS: Final = {
    "cannot": "can not",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "can't": "can not",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "is not",
    "let's": "let us",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "where's": "where is",
    "there's": "there is",
    "here's": "here is",
    "who's": "who is",
    "how's": "how is",
    "when's": "when is",
    "he's": "he is",
    "she's": "she is",
    "y'all": "you all",
}
_SUFFIXES: Final = (
    ("n't", " not"),
    ("'re", " are"),
    ("'ve", " have"),
    ("'ll", " will"),
    ("'d", " would"),
    ("'m", " am"),
    ("'s", ""),
)

_ALWAYS_FILLERS: Final = frozenset(
    {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mmm"}
    | {"please", "actually", "basically", "literally"}
)
_LEADING_FILLERS: Final = frozenset(
    {"hi", "hello", "hey", "hiya", "so", "well", "okay", "ok", "oh", "alright", "right"}
)
_GREETING_TAILS: Final = frozenset({"there", "morning", "afternoon", "evening"})
# "like" after one of these is a verb or comparison ("i would like", "looks like").
_LIKE_KEEPERS: Final = frozenset(
    {"would", "i", "we", "you", "they", "he", "she", "do", "does", "did", "not", "also"}
    | {"look", "looks", "seem", "seems", "feel", "feels", "sound", "sounds", "really"}
)
# "you know" after one of these is a question ("do you know when you open").
_YOU_KNOW_KEEPERS: Final = frozenset(
    {"do", "does", "did", "would", "will", "could", "can", "if", "not", "whether"}
)
_I_MEAN_KEEPERS: Final = frozenset({"what", "if", "that", "do", "you"})

_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc\u0060\u00b4]")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


def normalise(text: str) -> str:
    """Canonical matching text for ``text`` (see the module docstring for the rules)."""
    return " ".join(normalised_tokens(text))


def normalised_tokens(text: str, *, drop_fillers: bool = True) -> list[str]:
    """The tokens ``normalise`` joins; ``drop_fillers=False`` keeps every word."""
    tokens = _number_words_to_digits(_words(text))
    return _drop_fillers(tokens) if drop_fillers else tokens


_COMPOUNDS: Final = {("wi", "fi"): "wifi", ("e", "mail"): "email", ("log", "on"): "log in"}


def _join_compounds(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        joined = _COMPOUNDS.get((out[-1], word)) if out else None
        if joined is None:
            out.append(word)
        else:
            out[-1:] = joined.split()
    return out


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("'", text).lower()
    text = _DIGIT_COMMA.sub("", text)
    words: list[str] = []
    for raw in _WORD.findall(text):
        words.extend(_expand(raw).split())
    return _join_compounds(words)


def _expand(word: str) -> str:
    if word in _WHOLE_WORDS:
        return _WHOLE_WORDS[word]
    if "'" not in word:
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    return word.replace("'", "")


def _is_digitish(token: str | None) -> bool:
    return token is not None and (token.isdigit() or token in _DIGIT_WORDS or token in _TEENS)


def _number_words_to_digits(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        value, used = _read_number(words, i, prev=out[-1] if out else None)
        if used:
            out.append(value)
            i += used
        else:
            out.append(words[i])
            i += 1
    return out


def _read_number(words: list[str], i: int, *, prev: str | None) -> tuple[str, int]:
    """One spoken number group at ``words[i]``: its digits and how many words it used."""
    word = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else None
    if word in _REPEATS and nxt is not None and (nxt in _DIGIT_WORDS or nxt in _ZERO_LETTERS):
        digit = str(_DIGIT_WORDS.get(nxt, 0))
        return digit * _REPEATS[word], 2
    if word in _ZERO_LETTERS:
        near_digit = (prev is not None and prev.isdigit()) or _is_digitish(nxt)
        return ("0", 1) if near_digit else ("", 0)
    if word == "a" and nxt in ("hundred", "thousand"):
        return _read_compound(words, i + 1, start=1)
    if word not in _DIGIT_WORDS and word not in _TEENS and word not in _TENS:
        return "", 0
    value, used = _read_compound(words, i, start=None)
    alone = not (prev is not None and prev.isdigit()) and not _starts_number(words, i + used)
    if word == "one" and used == 1 and alone:
        return "", 0  # "a new one", "which one": a pronoun, not a digit
    return value, used


def _starts_number(words: list[str], i: int) -> bool:
    if i >= len(words):
        return False
    word = words[i]
    return (
        word.isdigit()
        or word in _DIGIT_WORDS
        or word in _TEENS
        or word in _TENS
        or word in _REPEATS
        or (word in _ZERO_LETTERS and _is_digitish(words[i + 1] if i + 1 < len(words) else None))
    )


def _read_compound(words: list[str], i: int, *, start: int | None) -> tuple[str, int]:
    """Read "forty five", "two hundred and six", "three thousand": value and words used.

    ``start=1`` means the word before ``i`` was "a" ("a hundred"). Digit words in a row are
    separate groups ("four five" reads only "four"), so each spoken digit is one token.
    """
    total = 0
    current = start or 0
    last: str | None = None if start is None else "unit"
    j = i
    while j < len(words):
        word = words[j]
        if word in _TENS and last in (None, "hundred", "thousand"):
            current += _TENS[word]
            last = "tens"
        elif word in _TEENS and last in (None, "hundred", "thousand"):
            current += _TEENS[word]
            last = "teen"
        elif word in _DIGIT_WORDS and last in (None, "tens", "hundred", "thousand"):
            current += _DIGIT_WORDS[word]
            last = "unit"
        elif word == "hundred" and last in ("unit", "teen") and current % 100 == current:
            current *= 100
            last = "hundred"
        elif word == "thousand" and last in ("unit", "teen", "tens", "hundred"):
            total += current * 1000
            current = 0
            last = "thousand"
        elif not _is_joining_and(words, j, last):
            break
        j += 1
    used = j - i + (0 if start is None else 1)
    return str(total + current), used


def _is_two_word_filler(word: str, nxt: str | None, prev: str | None) -> bool:
    if word == "you" and nxt == "know":
        return prev not in _YOU_KNOW_KEEPERS
    return word == "i" and nxt == "mean" and prev not in _I_MEAN_KEEPERS


def _is_joining_and(words: list[str], j: int, last: str | None) -> bool:
    """ "and" inside a number: "two hundred and six", "two thousand and five"."""
    return words[j] == "and" and last in ("hundred", "thousand") and _starts_number(words, j + 1)


def _drop_fillers(tokens: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        prev = kept[-1] if kept else None
        if word in _ALWAYS_FILLERS:
            i += 1
        elif not kept and word in _LEADING_FILLERS:
            i += 2 if nxt in _GREETING_TAILS else 1
        elif not kept and word == "good" and nxt in _GREETING_TAILS:
            i += 2
        elif word == "like" and prev not in _LIKE_KEEPERS:
            i += 1
        elif _is_two_word_filler(word, nxt, prev):
            i += 2
        else:
            kept.append(word)
            i += 1
    return kept


_DIGIT_TOKEN: Final = r"(?:\d|zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_DIGIT_RUN: Final = re.compile(
    rf"\b{_DIGIT_TOKEN}(?:[\s.,;:?!-]+{_DIGIT_TOKEN}\b){{2,}}", re.IGNORECASE
)
_DIGIT_VALUE: Final = {
    **{
        w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine".split())
    },
    "oh": "0",
}


def joined_digit_runs(text: str) -> str:
    """``text`` with digits read out one by one written as one number, punctuation kept
    elsewhere: "order seven. Zero. Zero. Zero. 7." -> "order 70007.". Whisper writes a
    number read with pauses as separate sentences; the sentence model reads those as
    several short sentences and loses the request. Three or more digits only, so "one or
    two" and "two, three times" stay as they are."""

    def join(found: re.Match[str]) -> str:
        tokens = re.findall(_DIGIT_TOKEN, found.group(0), flags=re.IGNORECASE)
        return "".join(_DIGIT_VALUE.get(t.lower(), t) for t in tokens)

    return _DIGIT_RUN.sub(join, text)
