"""Replace personal data in caller or bot text with tags before the text is stored.

``redact`` works on the original text, span by span, so everything it does not redact is
kept byte for byte. It finds, in this order:

* ``[email]``: written addresses ("jane.doe@example.com") and spoken ones ("jane dot doe
  at gmail dot com"; the domain must contain a "dot").
* ``[id]``: UK National Insurance numbers written in capitals ("AB 12 34 56 C").
* ``[bank]``: IBANs written in capitals, grouped or not ("DE89 3704 0044 0532 0130 00").
* Number runs: digits and number words in a row, separated only by spaces, commas, dashes
  or ". " ("4111 1111 1111 1111", "4-1-1-1, 1-1-1-1", "four one one one ..."), read with
  the intent normaliser. A run is then
  - ``[card]`` when it has 13-19 digits, does not start with 0 or follow a "+" (a phone
    number) and passes the Luhn check (whatever the words around it); or has 13-19
    digits after (or before: "... is my card") a card cue (card, visa, mastercard,
    credit...); or has 13-19 digits, looks like a card (read digit by digit, in fours,
    4-6-5 or 4-6-4, or unbroken) and no protecting cue is nearer than a fitting one: one
    misheard digit fails the Luhn check, but it is still a card;
    a run of 17+ digits is redacted whole as a card after a card cue, or when it opens
    with a Luhn-valid 15-16 digit number starting with 3-6 ("4111 ..., 123, 12 25");
  - ``[id]`` when it is written 3-2-4 ("123-45-6789"), or has 9 digits after an ID cue
    (social security, SSN, national insurance, ID number, passport) or before one
    ("123456789 is my social");
  - ``[code]`` when it has 4-8 digits after a code cue (code, one-time, OTP, verification,
    passcode, PIN, password), or 3-8 digits after a card security cue (CVV, CVC, security
    code, on the back), or either before one with only linking words between
    ("482913 is the code", "123 is the CVV");
  - ``[bank]`` when it has 6-34 digits after a bank cue (IBAN, bank account, sort code,
    routing number).
  Cues are looked for within six words before the run, nearest first, then up to three
  words after it (only linking words between: "is", "my", "the"...). A cue whose kind
  does not fit the run's length is passed over; a protecting cue stops the search: order,
  tracking, invoice, reference, ticket, zip/area/postal/error/promo code, a month name. So
  "order 45712" stays even after "code" was said earlier. Amounts ("$42.15", "forty two
  dollars") are never redacted; phone numbers, dates and times are out of scope.

Tags are opaque: they are not cues and never redacted again, and ``redact`` repeats until
nothing changes, so ``redact(redact(x)) == redact(x)``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

from voice.text.normalise import normalised_tokens

REDACTION_TAG: Final = re.compile(r"\[(card|id|code|email|bank)\]")
"""What redaction leaves in place of personal data; its group is the kind."""
_WRITTEN_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}\b", re.I)
_SPOKEN_EMAIL: Final = re.compile(
    r"\b[\w+-]+(?:(?:\s+(?:dot|underscore|dash|hyphen)\s+|\.)[\w+-]+)*"  # local part
    r"\s+(?:at|@)\s+"
    r"[\w-]+(?:(?:\s+dot\s+|\.)[\w-]+)*(?:\s+dot\s+|\.)[a-z]{2,24}\b",
    re.I,
)
_UK_NI: Final = re.compile(r"\b[A-Z]\s?[A-Z]\s?(?:\d\s?){6}[A-D]\b")
_IBAN: Final = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_IBAN_MIN_DIGITS: Final = 8  # "GB29 NWBK 6016 1331 9268 19" has 16; words in capitals have none
_WORD: Final = re.compile(r"\[(?:card|id|code|email|bank)\]|[A-Za-z0-9]+(?:'[A-Za-z]+)*")
_HOMOPHONES: Final = frozenset({"for", "to", "too", "won", "ate", "tree", "free", "fore"})
_RUN_GAP: Final = re.compile(r"\s*(?:[,\-\u2013]|\.(?=\s))?\s*")

_NUMBER_WORDS: Final = frozenset(
    "zero nought naught oh o one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fourty "
    "fifty sixty seventy eighty ninety hundred thousand double triple and".split()
)
# Cue phrases (lower-case words) and what a number after them is. "none" protects it.
_CUES: Final = {
    **dict.fromkeys(["card", "visa", "mastercard", "amex", "credit", "debit"], "card"),
    **dict.fromkeys(["american express", "card number", "long number"], "card"),
    **dict.fromkeys(["ssn", "social", "social security", "national insurance"], "id"),
    **dict.fromkeys(["id", "id number", "identification", "passport", "ni number"], "id"),
    **dict.fromkeys(["code", "otp", "passcode", "pin", "password", "verification"], "code"),
    **dict.fromkeys(["one time", "verify", "2fa", "auth code"], "code"),
    **dict.fromkeys(["cvv", "cvc", "cvv2", "cv2", "csc", "c v v", "c v c"], "secure"),
    **dict.fromkeys(["security code", "security number", "card verification"], "secure"),
    **dict.fromkeys(["on the back", "three digits", "three digit code"], "secure"),
    **dict.fromkeys(["iban", "i b a n", "bank account", "sort code", "routing"], "bank"),
    **dict.fromkeys(["routing number", "bank details", "account and sort"], "bank"),
    **dict.fromkeys(["order", "order number", "order id", "tracking", "invoice"], "none"),
    **dict.fromkeys(["reference", "ticket", "zip", "zip code", "area code"], "none"),
    **dict.fromkeys(["postal code", "post code", "postcode", "error code"], "none"),
    **dict.fromkeys(["promo code", "discount code", "country code"], "none"),
    **dict.fromkeys(
        "january february march april may june july august september october november "
        "december".split(),
        "none",
    ),
}
_MAX_CUE_WORDS: Final = 3
_CUE_BEFORE: Final = 6  # words between a cue and its number
_CUE_AFTER: Final = 3
_LINKING_WORDS: Final = frozenset("is was that's thats that the my your a as".split())
_CURRENCY_SIGNS: Final = "$£€"
_AMOUNT_WORDS: Final = frozenset(
    "dollar dollars pound pounds euro euros cent cents pence bucks quid percent".split()
)


@dataclass(frozen=True)
class _Unit:
    """A word, a tag, or a number run of the original text."""

    start: int
    end: int
    word: str  # lower case; "" for a number run or a tag
    digits: str = ""
    groups: tuple[int, ...] = ()


def redact(text: str) -> str:
    """``text`` with cards, ID numbers, one-time codes and emails replaced by tags."""
    while True:  # ends: each change turns letters or digits outside tags into a tag
        redacted = _redact_once(text)
        if redacted == text:
            return text
        text = redacted


def redact_secret(text: str) -> str:
    """``text`` said or keyed while the caller was asked for a PIN or a one-time code: every
    number in it (digits or number words, any length) becomes ``[code]``, the rest is
    redacted as ``redact`` does. Homophones next to a number go too ("for [code]")."""
    text = redact(text)
    units = _units(text)
    pieces: list[str] = []
    last = 0
    for index, unit in enumerate(units):
        near = any(0 <= j < len(units) and units[j].digits for j in (index - 1, index + 1))
        if unit.digits or (near and unit.word in _HOMOPHONES):
            pieces += [text[last : unit.start], "[code]"]
            last = unit.end
    masked = "".join([*pieces, text[last:]])
    return re.sub(r"\[code\](?:[\s,.\-]*\[code\])+", "[code]", masked)


def redaction_kinds(text: str) -> list[str]:
    """The kinds ("card", "id", "code", "email") ``redact`` replaces in ``text``, one per
    replacement, in text order; tags already in ``text`` are not counted."""
    before = Counter(REDACTION_TAG.findall(text))
    kinds: list[str] = []
    for kind in REDACTION_TAG.findall(redact(text)):
        if before[kind]:
            before[kind] -= 1
        else:
            kinds.append(kind)
    return kinds


def _redact_once(text: str) -> str:
    text = _WRITTEN_EMAIL.sub("[email]", text)
    text = _SPOKEN_EMAIL.sub("[email]", text)
    text = _UK_NI.sub("[id]", text)
    text = _IBAN.sub(_iban, text)
    units = _units(text)
    pieces: list[str] = []
    last = 0
    for index, unit in enumerate(units):
        kind = _number_kind(text, units, index) if unit.digits else None
        if kind is not None:
            pieces += [text[last : unit.start], f"[{_TAGS.get(kind, kind)}]"]
            last = unit.end
    return "".join([*pieces, text[last:]])


def _iban(match: re.Match[str]) -> str:
    found = match.group()
    return "[bank]" if sum(c.isdigit() for c in found) >= _IBAN_MIN_DIGITS else found


def _units(text: str) -> list[_Unit]:
    """Words of ``text`` with number runs joined into one unit each."""
    words = list(_WORD.finditer(text))
    units: list[_Unit] = []
    i = 0
    while i < len(words):
        j = i
        while _is_number_word(words[j].group()) and j + 1 < len(words):
            gap = text[words[j].end() : words[j + 1].start()]
            if not (_is_number_word(words[j + 1].group()) and _RUN_GAP.fullmatch(gap)):
                break
            j += 1
        while j > i and words[j].group().lower() == "and":
            j -= 1
        start, end = words[i].start(), words[j].end()
        tokens = normalised_tokens(text[start:end], drop_fillers=False)
        if _is_number_word(words[i].group()) and tokens and all(t.isdigit() for t in tokens):
            units.append(_Unit(start, end, "", "".join(tokens), tuple(map(len, tokens))))
            i = j + 1
        else:
            word = words[i].group()
            units.append(_Unit(words[i].start(), words[i].end(), _word_of(word)))
            i += 1
    return units


def _word_of(raw: str) -> str:
    """The cue-matching form of a word; "" for a tag, which is never a cue."""
    return "" if raw.startswith("[") else raw.lower()


def _is_number_word(word: str) -> bool:
    return word.isdigit() or word.lower() in _NUMBER_WORDS


def _number_kind(text: str, units: list[_Unit], index: int) -> str | None:
    unit = units[index]
    digits = unit.digits
    if _is_amount(text, units, index):
        return None
    phone = _before(text, unit).endswith("+") or digits.startswith("0")  # +44..., 0044...
    if 13 <= len(digits) <= 19 and _luhn_ok(digits) and not phone:
        return "card"
    if unit.groups == (3, 2, 4):
        return "id"
    cues = [*_cues_before(units, index), *_cues_after(units, index)]
    if len(digits) > 16 and cues[:1] != ["none"] and (cues[:1] == ["card"] or _starts_card(unit)):
        return "card"  # a card read on with its expiry or security code
    for cue in cues:
        if cue == "none":
            return None
        if (cue, len(digits)) in _FITS:
            return cue
    if 13 <= len(digits) <= 19 and _looks_like_card(unit) and not phone:
        return "card"  # no protecting cue: a card with a misheard digit is still a card
    return None


_FITS: Final = frozenset(
    {("card", n) for n in range(13, 20)}
    | {("id", 9)}
    | {("code", n) for n in range(4, 9)}
    | {("secure", n) for n in range(3, 9)}
    | {("bank", n) for n in range(6, 35)}
)
_TAGS: Final = {"secure": "code"}
"""Cue kinds whose tag is another kind's: a CVV is a code."""


def _before(text: str, unit: _Unit) -> str:
    return text[: unit.start].rstrip()


def _is_amount(text: str, units: list[_Unit], index: int) -> bool:
    sign = _before(text, units[index])[-1:]
    if sign and sign in _CURRENCY_SIGNS:
        return True
    return index + 1 < len(units) and units[index + 1].word in _AMOUNT_WORDS


def _cues_before(units: list[_Unit], index: int) -> list[str]:
    """Kinds of the cues ending within ``_CUE_BEFORE`` units before ``index``, nearest first."""
    found: list[str] = []
    for end in range(index, max(0, index - _CUE_BEFORE - 1), -1):
        for size in range(_MAX_CUE_WORDS, 0, -1):  # longest phrase first: "zip code"
            kind = _cue_at(units, end - size, end)
            if kind is not None:
                found.append(kind)
                break
    return found


def _cues_after(units: list[_Unit], index: int) -> list[str]:
    """A cue just after the number, with only linking words between ("482913 is the
    code", "1234 is my PIN", "123456789 is my social")."""
    start = index + 1
    while start < len(units) and start - index <= _CUE_AFTER:
        for size in range(_MAX_CUE_WORDS, 0, -1):
            kind = _cue_at(units, start, start + size)
            if kind is not None:
                return [kind]
        if units[start].word not in _LINKING_WORDS:
            break
        start += 1
    return []


def _cue_at(units: list[_Unit], start: int, end: int) -> str | None:
    if start < 0 or end > len(units) or any(not u.word for u in units[start:end]):
        return None
    return _CUES.get(" ".join(u.word for u in units[start:end]))


def _looks_like_card(unit: _Unit) -> bool:
    """Read as card numbers are: digit by digit, in fours (the last group shorter), 4-6-5
    (American Express) or 4-6-4 (Diners), or as one unbroken number not starting with 0."""
    groups = unit.groups
    if all(size == 1 for size in groups):
        return True
    if len(groups) == 1:
        return not unit.digits.startswith("0")
    if groups in ((4, 6, 5), (4, 6, 4)):
        return True
    return len(groups) >= 3 and all(size == 4 for size in groups[:-1]) and groups[-1] <= 4


def _starts_card(unit: _Unit) -> bool:
    """Whether the run opens with a Luhn-valid 15-16 digit card number (first digit 3-6)."""
    length = 0
    for size in unit.groups:
        length += size
        prefix = unit.digits[:length]
        if length in (15, 16) and prefix[0] in "3456" and _luhn_ok(prefix):
            return True
    return False


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
