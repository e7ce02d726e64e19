import re
from pathlib import Path

import pytest

from voice.errors import ConfigError, IntentFileError
from voice.intents.loader import load_intents

from .conftest import INTENTS_DIR

VALID = """\
# A comment
name: {name}
description: do a thing
outcome: answer
answer: Here is the thing.
examples:
  - {word} one
  - {word} two
  - {word} three
  - {word} four
  - {word} five
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(folder: Path) -> str:
    with pytest.raises(IntentFileError) as info:
        load_intents(folder)
    return str(info.value)


def test_loads_valid_folder_in_file_order(tmp_path: Path) -> None:
    write(tmp_path, "b_thing", VALID.format(name="b_thing", word="beta"))
    write(tmp_path, "a_thing", VALID.format(name="a_thing", word="alpha"))
    (tmp_path / "README.md").write_text("not an intent")
    intents = load_intents(tmp_path)
    assert list(intents.intents) == ["a_thing", "b_thing"]
    assert intents.source["a_thing"] == tmp_path / "a_thing.yaml"


def test_every_file_in_the_real_folder_loads() -> None:
    intents = load_intents(INTENTS_DIR)
    files = sorted(p.stem for p in INTENTS_DIR.glob("*.yaml") if p.stem != "policy")
    assert sorted(intents.intents) == files


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = VALID.format(name="broken", word="x").replace(
        "  - x three\n", '  - x three\n  - "unclosed quote\n'
    )
    text = text.replace("answer: Here is the thing.", "answer: Here: is: the thing.\n  bad: indent")
    path = write(tmp_path, "broken", text)
    message = error_for(tmp_path)
    assert message.startswith(f"{path}:5: YAML syntax error: mapping values are not allowed")
    assert "indentation" in message


def test_unclosed_quote_line(tmp_path: Path) -> None:
    lines = VALID.format(name="quote", word="x").splitlines()
    lines.insert(8, '  - "never closed')  # becomes line 9
    lines.append("  - x six")
    path = write(tmp_path, "quote", "\n".join(lines) + "\n")
    match = re.match(rf"{re.escape(str(path))}:(\d+): YAML syntax error", error_for(tmp_path))
    assert match is not None
    assert int(match.group(1)) >= 9  # PyYAML reports where the scan failed, at or after line 9


@pytest.mark.parametrize(
    ("old", "new", "line", "phrase"),
    [
        ("examples:", "exmaples:", 6, "unknown key 'exmaples'"),
        ("outcome: answer", "outcome: anser", 4, "'answer' or 'transfer'"),
        ("name: typo", "name: Typo-Name", 2, "snake_case"),
        ("answer: Here is the thing.", "answer: Hi {nobody}.", 5, "unknown placeholder {nobody}"),
        # a missing key is reported at the first key of its mapping (line 1 is a comment)
        ("answer: Here is the thing.\n", "", 2, "needs an 'answer:'"),
        ("  - x five\n", "", 6, "at least 5"),
        ("  - x four\n", "  - 12345\n", 10, "put it in quotes"),
        ("  - x four\n", "  - X Three!\n", 10, "repeats the example on line 9"),
        ("description: do a thing\n", "", 2, "required key 'description' is missing"),
        ("outcome: answer\n", "outcome: answer\nfulfillment: weather\n", 5, "unknown fulfillment"),
        (
            "outcome: answer\n",
            "outcome: answer\nanswer_not_found: Nope.\n",
            5,
            "only applies to an intent with a 'fulfillment'",
        ),
        ("outcome: answer\n", "outcome: answer\noutcome: transfer\n", 5, "already appears on"),
        ("name: typo", "name: other_name", 2, "must equal the file name"),
    ],
)
def test_schema_errors_name_the_line(
    tmp_path: Path, old: str, new: str, line: int, phrase: str
) -> None:
    text = VALID.format(name="typo", word="x")
    assert old in text
    path = write(tmp_path, "typo", text.replace(old, new, 1))
    message = error_for(tmp_path)
    assert f"{path}:{line}:" in message
    assert phrase in message


def test_slot_errors_point_into_the_slot(tmp_path: Path) -> None:
    text = VALID.format(name="slotty", word="x").replace(
        "outcome: answer\n",
        "outcome: answer\n"
        "fulfillment: order_status\n"
        "slots:\n"
        "  - name: order_number\n"
        "    type: order_numbr\n"
        "    prompt: What is it?\n"
        "    repromt: Again?\n",
    )
    path = write(tmp_path, "slotty", text)
    message = error_for(tmp_path)
    assert f"{path}:8: slots.0.type: Input should be 'order_number'" in message
    assert f"{path}:10: slots.0.repromt: unknown key" in message
    assert f"{path}:7: slots.0: required key 'reprompt' is missing" in message


def test_order_placeholders_are_checked_against_the_fulfillment(tmp_path: Path) -> None:
    text = VALID.format(name="orders", word="x").replace(
        "answer: Here is the thing.\n",
        "fulfillment: order_status\n"
        "answer: Order {order_number_spoken} {status_sentence}\n"
        "answer_not_found: No order {order_number_spoken}, {status_sentence}\n",
    )
    path = write(tmp_path, "orders", text)
    message = error_for(tmp_path)
    assert f"{path}:7: answer_not_found: unknown placeholder {{status_sentence}}" in message


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty", "# only a comment\n")
    assert error_for(tmp_path).startswith(f"{path}:1: the file is empty")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "listy", "- name: listy\n")
    assert error_for(tmp_path).startswith(f"{path}:1: expected 'key: value' lines")


def test_empty_folder(tmp_path: Path) -> None:
    assert "no intent files" in error_for(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="intent folder not found"):
        load_intents(tmp_path / "nope")


def test_duplicate_names(tmp_path: Path) -> None:
    write(tmp_path, "same", VALID.format(name="same", word="x"))
    (tmp_path / "same.yml").write_text(VALID.format(name="same", word="y"))
    assert "already defined in" in error_for(tmp_path)


def test_example_in_two_intents(tmp_path: Path) -> None:
    write(tmp_path, "first", VALID.format(name="first", word="alpha"))
    second = write(tmp_path, "second", VALID.format(name="second", word="Alpha"))
    message = error_for(tmp_path)
    assert message.startswith(f"{second}:7: example 'Alpha one' is also an example of 'first'")
    assert f"{tmp_path / 'first.yaml'}:7" in message
