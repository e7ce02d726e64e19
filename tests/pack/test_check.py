"""`voice intents check`: errors an admin can act on, and warnings about weak examples."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voice.pack.check import check

ROOT = Path(__file__).resolve().parents[2]
VOICE = str(Path(sys.executable).parent / "voice")


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    folder = tmp_path / "intents"
    shutil.copytree(ROOT / "intents", folder)
    return folder


def test_the_shipped_pack_has_no_errors() -> None:
    findings = check(ROOT / "intents")
    assert not [f for f in findings if f.level == "error"]
    for finding in findings:  # every warning points at a file and line
        path, line = finding.where.rsplit(":", 1)
        assert Path(path).exists() and line.isdigit()


def test_every_broken_file_is_reported_with_its_line(pack: Path) -> None:
    (pack / "business_hours.yaml").write_text("name: business_hours\nexamples: [a\n")
    text = (pack / "track_order.yaml").read_text().replace("outcome: answer", "outcome: maybe")
    (pack / "track_order.yaml").write_text(text)
    errors = [f for f in check(pack) if f.level == "error"]
    where = {f.where.rsplit(":", 1)[0] for f in errors}
    assert where == {str(pack / "business_hours.yaml"), str(pack / "track_order.yaml")}
    outcome = next(f for f in errors if "track_order" in f.where)
    assert outcome.where.endswith(":4")
    assert "outcome" in outcome.message


def test_policy_errors_are_reported(pack: Path) -> None:
    policy = (
        (pack / "policy.yaml").read_text().replace("always_human: []", "always_human: [refunds]")
    )
    (pack / "policy.yaml").write_text(policy)
    [error] = [f for f in check(pack) if f.level == "error"]
    assert "'refunds' is not an intent" in error.message


def test_an_example_that_fits_another_intent_is_flagged(pack: Path) -> None:
    path = pack / "reset_password.yaml"
    path.write_text(
        path.read_text().replace("examples:\n", "examples:\n  - where is my parcel\n", 1)
    )
    warnings = [
        f for f in check(pack) if f.level == "warning" and "where is my parcel" in f.message
    ]
    assert warnings and "matches 'track_order' better" in warnings[0].message


def test_too_few_examples(pack: Path) -> None:
    (pack / "joke.yaml").write_text(
        "name: joke\ndescription: tell a joke\noutcome: answer\nanswer: Knock knock.\n"
        "examples:\n  - tell me a joke\n  - make me laugh\n  - say something funny\n"
        "  - cheer me up\n  - I need a laugh\n"
    )
    [few] = [f for f in check(pack) if "only 5 examples" in f.message]
    assert few.where == f"{pack / 'joke.yaml'}:5"


def test_command_line(pack: Path) -> None:
    good = subprocess.run(
        [VOICE, "intents", "check", "--dir", str(ROOT / "intents")], capture_output=True, text=True
    )
    assert good.returncode == 0
    assert "0 errors" in good.stdout
    (pack / "business_hours.yaml").write_text("name: business_hours\n")
    bad = subprocess.run(
        [VOICE, "intents", "check", "--dir", str(pack)], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert "business_hours.yaml" in bad.stdout
    assert "required key 'outcome' is missing" in bad.stdout
    assert " 0 errors" not in bad.stdout


def test_eval_command_line(tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "text,intent\nI forgot my password,reset_password\nwhat is the weather tomorrow,\n"
    )
    done = subprocess.run(
        [VOICE, "intents", "eval", str(cases), "--dir", str(ROOT / "intents")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Accuracy: 100.0 %" in done.stdout
    assert "Suggested: threshold" in done.stdout
    assert "2/2" in done.stderr  # the progress bar
    cases.write_text("words,label\nhello,x\n")
    bad = subprocess.run([VOICE, "intents", "eval", str(cases)], capture_output=True, text=True)
    assert bad.returncode == 2 and "error:" in bad.stderr
