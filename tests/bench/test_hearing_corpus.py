"""The hearing corpus (bench/hearing/corpus.csv) is well formed and is what its README says:
counts per kind, voices, labels that exist, each kind changing only its own column, a held-out
test split, and no wording copied from the intent files or the intent tests."""

from __future__ import annotations

import ast
import csv
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Final

import pytest
import yaml

from voice.text.normalise import normalise

ROOT: Final = Path(__file__).resolve().parents[2]
CORPUS: Final = ROOT / "bench" / "hearing" / "corpus.csv"
INTENTS_DIR: Final = ROOT / "intents"
INTENT_TESTS: Final = ROOT / "tests" / "intents"

HEADER: Final = "id text intent kind voice pause_ms gain_db snr_db lead_ms trail_ms split".split()
JOE_VOICES: Final = frozenset({"joe", "joe-slow", "joe-fast", "joe-low", "joe-high"})
OTHER_VOICES: Final = frozenset({"hibari", "flite-slt", "flite-rms", "flite-awb", "festival-slt"})
VOICES: Final = JOE_VOICES | OTHER_VOICES
# Least rows per kind (nonspeech: about 30).
MIN_ROWS: Final = {
    "routine": 60,
    "short": 40,
    "yesno": 20,
    "pause": 40,
    "digits": 20,
    "quiet": 20,
    "loud": 15,
    "noisy": 30,
    "edges": 20,
    "nonspeech": 25,
}
KINDS: Final = frozenset(MIN_ROWS)
SPEECH_KINDS: Final = KINDS - {"nonspeech"}
MIN_SPEECH_ROWS: Final = 300
MAX_NONSPEECH_ROWS: Final = 40
MIN_ROWS_PER_INTENT: Final = 15
MIN_OUT_OF_SCOPE: Final = 30
TEST_SHARE: Final = (0.25, 0.40)
MIN_OTHER_VOICE_SHARE: Final = 0.60

# Inclusive ranges; None = the column must be empty.
Range = tuple[int, int] | None
DEFAULTS: Final[dict[str, Range]] = {
    "pause_ms": (0, 0),
    "gain_db": (0, 0),
    "snr_db": None,
    "lead_ms": (200, 1000),
    "trail_ms": (500, 1500),
}
PER_KIND: Final[dict[str, dict[str, Range]]] = {
    "pause": {"pause_ms": (300, 700)},
    "digits": {"pause_ms": (300, 900)},
    "quiet": {"gain_db": (-25, -15)},
    "loud": {"gain_db": (6, 10)},
    "noisy": {"snr_db": (10, 20)},
    "edges": {"lead_ms": (0, 3000), "trail_ms": (0, 3000)},
    "nonspeech": {"lead_ms": (0, 3000), "trail_ms": (0, 3000)},
}

NONSPEECH: Final = re.compile(
    r"\[(?:tone|tone:\d+(?:\.\d+)?:\d+(?:\.\d+)?|music:\d+(?:\.\d+)?|noise:\d+(?:\.\d+)?"
    r"|cough|click)\]"
)
DIGIT_RUN: Final = re.compile(r"\b\d(?:, \d){3,}\b")  # 4+ single digits joined by ", "
YES_NO: Final = frozenset({"yes", "yeah", "yep", "yup", "no", "nope", "nah"})
IDENTIFIER: Final = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")  # intent names, not wordings


@cache
def rows() -> tuple[dict[str, str], ...]:
    with CORPUS.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle, strict=True))


def speech_rows() -> list[dict[str, str]]:
    return [r for r in rows() if r["kind"] != "nonspeech"]


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def intent_names() -> set[str]:
    names = set()
    for path in INTENTS_DIR.glob("*.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(document, dict) and isinstance(document.get("name"), str):
            names.add(document["name"])
    return names


def known_wordings() -> set[str]:
    """Every string in intents/*.yaml (examples, phrases, answers) and every string literal in
    tests/intents/*.py, intent names aside."""
    found: set[str] = set()
    for path in INTENTS_DIR.glob("*.yaml"):
        found.update(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    for path in INTENT_TESTS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found.update(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        )
    return {text for text in found if not IDENTIFIER.fullmatch(text)}


def plain(text: str) -> str:
    """Lower case, punctuation removed, single spaces."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def test_header() -> None:
    with CORPUS.open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == HEADER


def test_every_row_has_every_column() -> None:
    bad = [r.get("id") for r in rows() if None in r or any(v is None for v in r.values())]
    assert bad == []


def test_ids_are_unique_and_name_their_kind() -> None:
    ids = [r["id"] for r in rows()]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert [r["id"] for r in rows() if not re.fullmatch(rf"{r['kind']}-\d{{3}}", r["id"])] == []


def test_kinds_and_counts() -> None:
    counts = Counter(r["kind"] for r in rows())
    assert set(counts) <= KINDS, set(counts) - KINDS
    short = {kind: counts[kind] for kind, least in MIN_ROWS.items() if counts[kind] < least}
    assert short == {}
    assert len(speech_rows()) >= MIN_SPEECH_ROWS
    assert counts["nonspeech"] <= MAX_NONSPEECH_ROWS


def test_texts_are_clean() -> None:
    bad = [r["id"] for r in rows() if not r["text"] or r["text"] != r["text"].strip()]
    assert bad == []
    assert [r["id"] for r in rows() if "\n" in r["text"] or '"' in r["text"]] == []


def test_voices() -> None:
    assert {r["voice"] for r in speech_rows()} <= VOICES
    assert [r["id"] for r in rows() if r["kind"] == "nonspeech" and r["voice"]] == []
    other = sum(r["voice"] in OTHER_VOICES for r in speech_rows())
    assert other / len(speech_rows()) >= MIN_OTHER_VOICE_SHARE


@pytest.mark.parametrize("kind", sorted(SPEECH_KINDS))
def test_every_kind_has_every_voice(kind: str) -> None:
    assert {r["voice"] for r in speech_rows() if r["kind"] == kind} == VOICES


def test_labels_are_intents() -> None:
    names = intent_names()
    assert len(names) >= 8
    unknown = sorted({r["intent"] for r in rows() if r["intent"]} - names)
    assert unknown == []


def test_every_intent_and_out_of_scope_is_covered() -> None:
    counts = Counter(r["intent"] for r in speech_rows())
    few = {name: counts[name] for name in intent_names() if counts[name] < MIN_ROWS_PER_INTENT}
    assert few == {}
    assert counts[""] >= MIN_OUT_OF_SCOPE


def _value(row: dict[str, str], column: str) -> int | None:
    cell = row[column]
    return None if cell == "" else int(cell)


@pytest.mark.parametrize("column", sorted(DEFAULTS))
def test_numeric_columns_in_range(column: str) -> None:
    bad = []
    for row in rows():
        allowed = PER_KIND.get(row["kind"], {}).get(column, DEFAULTS[column])
        try:
            value = _value(row, column)
        except ValueError:
            bad.append((row["id"], row[column]))
            continue
        if allowed is None:
            ok = value is None
        else:
            ok = value is not None and allowed[0] <= value <= allowed[1]
        if not ok:
            bad.append((row["id"], row[column]))
    assert bad == []


def test_edges_reach_both_ends() -> None:
    edges = [r for r in rows() if r["kind"] == "edges"]
    lead = [int(r["lead_ms"]) for r in edges]
    trail = [int(r["trail_ms"]) for r in edges]
    assert lead.count(0) >= 3 and max(lead) >= 2000
    assert trail.count(0) >= 3 and max(trail) >= 2000


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_split_holds_out_a_third_of_each_kind(kind: str) -> None:
    splits = [r["split"] for r in rows() if r["kind"] == kind]
    assert set(splits) <= {"dev", "test"}
    share = splits.count("test") / len(splits)
    assert TEST_SHARE[0] <= share <= TEST_SHARE[1], share


def test_no_wording_from_the_intent_files_or_tests() -> None:
    known = known_wordings()
    by_plain = {plain(text) for text in known}
    by_normalised = {normalise(text) for text in known}
    reused = [
        r["id"]
        for r in speech_rows()
        if plain(r["text"]) in by_plain or normalise(r["text"]) in by_normalised
    ]
    assert reused == []


def test_no_wording_twice() -> None:
    owners: dict[str, list[str]] = {}
    for row in speech_rows():
        owners.setdefault(normalise(row["text"]), []).append(row["id"])
    assert [ids for ids in owners.values() if len(ids) > 1] == []


def test_pause_rows_have_commas() -> None:
    assert [r["id"] for r in rows() if r["kind"] == "pause" and ", " not in r["text"]] == []


def test_digit_rows_read_single_digits_between_commas() -> None:
    digits = [r for r in rows() if r["kind"] == "digits"]
    assert [r["id"] for r in digits if not DIGIT_RUN.search(r["text"])] == []
    assert [r["id"] for r in digits if re.search(r"\d\d", r["text"])] == []


def test_short_rows_are_one_to_three_words() -> None:
    long = [r["id"] for r in rows() if r["kind"] == "short" and len(plain(r["text"]).split()) > 3]
    assert long == []


def test_yesno_rows_start_with_yes_or_no_and_go_on() -> None:
    bad = [
        r["id"]
        for r in rows()
        if r["kind"] == "yesno"
        and (plain(r["text"]).split()[0] not in YES_NO or len(plain(r["text"]).split()) < 2)
    ]
    assert bad == []


def test_nonspeech_rows_are_tokens_without_intent() -> None:
    nonspeech = [r for r in rows() if r["kind"] == "nonspeech"]
    assert [r["id"] for r in nonspeech if not NONSPEECH.fullmatch(r["text"])] == []
    assert [r["id"] for r in nonspeech if r["intent"]] == []
    assert [r["id"] for r in speech_rows() if r["text"].startswith("[")] == []
