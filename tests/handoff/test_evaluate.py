"""``voice policy eval``: labelled turns through the policy, and the figures it reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice.cli import main
from voice.handoff.escalation import EscalationPolicy
from voice.handoff.evaluate import (
    PolicyCase,
    Verdict,
    evaluate_policy,
    format_report,
    read_policy_cases,
    report,
)
from voice.intents.loader import load_intents
from voice.pack.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
ROWS = """id,text,feeling,topic,kind,split
a1,I am furious,angry,,angry,test
a2,"I'm terrified, I don't know what to do",distressed,,distressed,test
n1,"my card was charged twice, can you check",neutral,,neutral,test
n2,what time do you open,neutral,,neutral,dev
g1,"I'm not calling about fraud, I need my balance",neutral,,negated,test
f1,someone stole my card,neutral,fraud,urgent,test
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text(text)
    return path


def case(feeling: str, kind: str = "", topic: str = "") -> PolicyCase:
    return PolicyCase("x", "words", feeling, topic, kind or feeling, "test")


def test_the_figures_count_what_they_say() -> None:
    verdicts = [
        Verdict(case("angry"), "angry", "", True),
        Verdict(case("angry"), "upset", "", False),
        Verdict(case("distressed"), "distressed", "", True),
        Verdict(case("neutral"), "neutral", "", False),
        Verdict(case("neutral"), "upset", "", False),  # flagged, not handed over
        Verdict(case("neutral", "negated"), "neutral", "fraud", True),
        Verdict(case("neutral", "urgent", "fraud"), "neutral", "fraud", True),
    ]
    figures = report(verdicts)
    assert figures["angry_or_distressed_detected"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["routine_rows"] == 2 and figures["routine_flagged"] == 0.5
    assert figures["routine_handed_over"] == 0.0
    assert figures["negated_topic_triggers"] == 1
    assert figures["topic_recall"] == 1.0 and figures["topic_false_hits"] == 1
    assert figures["confusion"]["angry"]["upset"] == 1
    assert figures["per_feeling"]["angry"]["precision"] == 1.0
    assert figures["per_feeling"]["angry"]["recall"] == 0.5
    assert len(figures["misses"]) == 3
    assert "negated topics that triggered: 1 of 1" in format_report(figures)


def test_rows_are_judged_by_the_policy(tmp_path: Path) -> None:
    spec = load_policy(ROOT / "intents" / "policy.yaml", load_intents(ROOT / "intents"))
    cases = read_policy_cases(write(tmp_path, ROWS))
    assert [c.split for c in cases] == ["test", "test", "test", "dev", "test", "test"]
    verdicts = {v.case.id: v for v in evaluate_policy(EscalationPolicy(spec), cases)}
    assert verdicts["a1"].feeling == "angry" and verdicts["a1"].handed_over
    assert verdicts["a2"].feeling == "distressed"
    assert verdicts["n1"].feeling == "neutral" and not verdicts["n1"].handed_over
    assert verdicts["g1"].topic == ""
    assert verdicts["f1"].topic == "fraud"
    with pytest.raises(ValueError, match="topics the policy does not have"):
        evaluate_policy(EscalationPolicy(spec), [case("neutral", topic="volcano")])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("text,intent\nhello,greet\n", "must name the columns text and feeling"),
        ("text,feeling\nhello,grumpy\n", ":2: feeling must be one of"),
        ("text,feeling,split\nhello,neutral,train\n", ":2: split must be dev or test"),
    ],
)
def test_bad_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_policy_cases(write(tmp_path, text))


def test_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTENTS_DIR", str(ROOT / "intents"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    path = write(tmp_path, ROWS)
    assert main(["policy", "eval", str(path), "--split", "test", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["rows"] == 5 and figures["splits"] == ["test"]
    assert figures["angry_or_distressed_detected"] == 1.0
    assert figures["negated_topic_triggers"] == 0
    assert main(["policy", "eval", str(path)]) == 0
    assert "confusion (rows: expected, columns: read as)" in capsys.readouterr().out
    assert main(["policy", "eval", str(write(tmp_path, "text\nhi\n"))]) == 2
