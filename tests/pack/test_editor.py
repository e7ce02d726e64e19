"""Adding examples to intent files: the exact text after the edit, and every refusal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voice.errors import DuplicateExample, IntentEditError, UnknownIntent
from voice.intents.loader import load_intents
from voice.pack.editor import add_example, insert_example

ROOT = Path(__file__).resolve().parents[2]

HOURS = """\
# When are you open? Answered from this file; keep it in step with policy.yaml.
name: business_hours
description: tell you our opening hours   # said in the menu
outcome: answer
answer: >-
  We're open Monday to Friday, 8 AM to 8 PM,
  and Saturday 9 AM to 1 PM.
examples:
  # Plain questions first.
  - what are your opening hours
  - when are you open   # the most common wording
  - "are you open on Sunday?"
  - what time do you close
  - hours of operation
# Anything below the list stays where it is.
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "intents"
    shutil.copytree(ROOT / "intents", target)
    (target / "business_hours.yaml").write_text(HOURS)
    return target


def test_the_example_goes_after_the_last_one_and_nothing_else_changes(folder: Path) -> None:
    added = add_example(folder, "business_hours", "  are you   open on bank holidays ")
    assert (folder / "business_hours.yaml").read_text() == HOURS.replace(
        "  - hours of operation\n",
        "  - hours of operation\n  - are you open on bank holidays\n",
    )
    assert added.text == "are you open on bank holidays"
    assert added.line == 15 and added.examples == 6
    assert added.path == folder / "business_hours.yaml"
    examples = load_intents(folder).intents["business_hours"].examples
    assert examples[-1] == "are you open on bank holidays"


def test_text_that_needs_quotes_is_quoted_and_reads_back_the_same(folder: Path) -> None:
    add_example(folder, "business_hours", "open: on Sunday, or not?")
    add_example(folder, "business_hours", "#1 question: hours")
    text = (folder / "business_hours.yaml").read_text()
    assert text.endswith(
        "  - hours of operation\n"
        "  - 'open: on Sunday, or not?'\n"
        "  - '#1 question: hours'\n"
        "# Anything below the list stays where it is.\n"
    )
    examples = load_intents(folder).intents["business_hours"].examples
    assert examples[-2:] == ["open: on Sunday, or not?", "#1 question: hours"]


@pytest.mark.parametrize(
    ("document", "expected", "line"),
    [
        (  # a flow list
            "name: x\nexamples: [a, b]  # short\nanswer: y\n",
            "name: x\nexamples: [a, b, new one]  # short\nanswer: y\n",
            2,
        ),
        (  # items at the key's own indentation, no newline at the end of the file
            "examples:\n- a\n- b",
            "examples:\n- a\n- b\n- new one\n",
            4,
        ),
        (  # the last example is a folded block
            "examples:\n    - a\n    - >-\n      long\n      one\nanswer: z\n",
            "examples:\n    - a\n    - >-\n      long\n      one\n    - new one\nanswer: z\n",
            6,
        ),
        (  # Windows line endings stay Windows line endings
            "examples:\r\n  - a\r\n  - b\r\nanswer: y\r\n",
            "examples:\r\n  - a\r\n  - b\r\n  - new one\r\nanswer: y\r\n",
            4,
        ),
    ],
)
def test_insert_example_in_every_layout(document: str, expected: str, line: int) -> None:
    assert insert_example(document, "new one") == (expected, line)


def test_a_duplicate_in_any_intent_is_refused_and_says_where(folder: Path) -> None:
    before = (folder / "business_hours.yaml").read_text()
    with pytest.raises(DuplicateExample) as caught:
        add_example(folder, "business_hours", "Where is my order?")
    message = str(caught.value)
    assert "'track_order'" in message and f"{folder / 'track_order.yaml'}:" in message
    with pytest.raises(DuplicateExample, match="'business_hours'"):
        add_example(folder, "business_hours", "When are you OPEN")
    assert (folder / "business_hours.yaml").read_text() == before


@pytest.mark.parametrize(
    ("intent", "text", "error", "words"),
    [
        ("business_hours", "   ", IntentEditError, "no words"),
        ("business_hours", "um uh", IntentEditError, "no words"),
        ("business_hours", "my card is [card] thanks", IntentEditError, "redaction tag"),
        ("business_hours", "open " * 50, IntentEditError, "over 200"),
        ("no_such_intent", "hello there friend", UnknownIntent, "no intent 'no_such_intent'"),
    ],
)
def test_refusals_leave_the_file_alone(
    folder: Path, intent: str, text: str, error: type[Exception], words: str
) -> None:
    before = (folder / "business_hours.yaml").read_text()
    with pytest.raises(error, match=words):
        add_example(folder, intent, text)
    assert (folder / "business_hours.yaml").read_text() == before


def test_a_folder_that_does_not_load_is_not_edited(folder: Path) -> None:
    # The policy names an intent; if that file is broken the whole edit is refused.
    (folder / "speak_to_agent.yaml").write_text("name: speak_to_agent\n")
    before = (folder / "business_hours.yaml").read_text()
    with pytest.raises(IntentEditError, match="fix them first") as caught:
        add_example(folder, "business_hours", "are you open at easter")
    assert f"{folder / 'speak_to_agent.yaml'}:" in str(caught.value)
    assert (folder / "business_hours.yaml").read_text() == before


def test_a_policy_elsewhere_is_checked_too(folder: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy-elsewhere.yaml"
    policy.write_text("always_human: [business_hours]\ncaller_request:\n  intents: [nope]\n")
    with pytest.raises(IntentEditError, match="would make the files invalid") as caught:
        add_example(folder, "business_hours", "are you open at easter", policy_path=policy)
    assert f"{policy}:3: 'nope' is not an intent" in str(caught.value)
    assert (folder / "business_hours.yaml").read_text() == HOURS


def test_no_temporary_files_are_left_and_the_mode_is_kept(folder: Path) -> None:
    path = folder / "business_hours.yaml"
    path.chmod(0o640)
    add_example(folder, "business_hours", "are you open at easter")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in (ROOT / "intents").iterdir()
    )
    assert path.stat().st_mode & 0o777 == 0o640
