from pathlib import Path

import pytest

from voice.intents.evaluate import (
    Case,
    Confusion,
    IntentScore,
    Outcome,
    Report,
    SweepPoint,
    evaluate,
    format_report,
    read_cases,
)
from voice.intents.loader import IntentSet
from voice.intents.matcher import Matcher
from voice.intents.schema import IntentSpec


def _spec(name: str, *examples: str) -> IntentSpec:
    return IntentSpec(
        name=name,
        description=name.replace("_", " "),
        examples=list(examples),
        outcome="answer",
        answer="n/a",
    )


TINY = IntentSet(
    intents={
        spec.name: spec
        for spec in (
            _spec(
                "pay_bill",
                "I want to pay my bill",
                "how do I pay my invoice",
                "pay my bill online",
                "can I pay my bill by card",
                "where do I send my bill payment",
            ),
            _spec(
                "opening_hours",
                "what are your opening hours",
                "when are you open",
                "what time do you close",
                "are you open on sunday",
                "what time do you open",
            ),
            _spec(
                "reset_password",
                "I forgot my password",
                "reset my password",
                "I can't log in",
                "my password does not work",
                "help me change my password",
            ),
        )
    },
    source={},
)

# Hand-made rankings (threshold 0.6, margin 0.05) and what the matcher answers:
HAND = [
    Case("1", "a"),  # a .90 / b .10 -> a, right
    Case("2", "a"),  # b .80 / a .20 -> b, wrong (a -> b)
    Case("3", "b"),  # b .70 / a .60 -> b, right
    Case("4", "b"),  # b .50 / a .10 -> refused (low), wrong (b -> none)
    Case("5", None),  # a .30 / b .10 -> refused, right
    Case("6", None),  # a .90 / b .20 -> a, wrong (none -> a)
    Case("7", "b"),  # b .95 / a .00 -> b, right
    Case("8", "a"),  # a .80 / b .79 -> refused (close), wrong (a -> none)
]
RANKS = [
    (("a", 0.9), ("b", 0.1)),
    (("b", 0.8), ("a", 0.2)),
    (("b", 0.7), ("a", 0.6)),
    (("b", 0.5), ("a", 0.1)),
    (("a", 0.3), ("b", 0.1)),
    (("a", 0.9), ("b", 0.2)),
    (("b", 0.95), ("a", 0.0)),
    (("a", 0.8), ("b", 0.79)),
]


@pytest.fixture
def hand() -> Report:
    outcomes = tuple(
        Outcome(case=c, ranked=r, ms=float(i))
        for i, (c, r) in enumerate(zip(HAND, RANKS, strict=True))
    )
    return Report(outcomes=outcomes, threshold=0.6, margin=0.05)


def test_accuracy_and_timing(hand: Report) -> None:
    assert hand.predictions == ("a", "b", "b", None, None, "a", "b", None)
    assert hand.accuracy == 0.5
    assert hand.mean_ms == 3.5
    assert hand.median_ms == 3.5


def test_precision_recall_f1_by_hand(hand: Report) -> None:
    # a: predicted twice (1, 6), right once, expected 3 times; b: 3 predicted, 2 right, 3
    # expected; (none): predicted for 4, 5, 8, right for 5, expected twice.
    assert hand.per_intent == pytest.approx(
        (
            IntentScore("a", 1 / 2, 1 / 3, 0.4, 3),
            IntentScore("b", 2 / 3, 2 / 3, 2 / 3, 3),
            IntentScore("(none)", 1 / 3, 1 / 2, 0.4, 2),
        )
    )


def test_confusions_most_frequent_first(hand: Report) -> None:
    assert hand.confusions == (
        Confusion("(none)", "a", 1),
        Confusion("a", "(none)", 1),
        Confusion("a", "b", 1),
        Confusion("b", "(none)", 1),
    )


@pytest.mark.parametrize(
    ("threshold", "margin", "expected"),
    [
        (0.0, 0.0, SweepPoint(0.0, 0.0, 5 / 8, 5 / 6, 0.0)),
        (0.0, 0.05, SweepPoint(0.0, 0.05, 4 / 8, 4 / 6, 0.0)),
        (0.6, 0.0, SweepPoint(0.6, 0.0, 5 / 8, 4 / 6, 0.5)),
        (0.6, 0.05, SweepPoint(0.6, 0.05, 4 / 8, 3 / 6, 0.5)),
        (1.0, 0.0, SweepPoint(1.0, 0.0, 2 / 8, 0.0, 1.0)),
    ],
)
def test_sweep_points(hand: Report, threshold: float, margin: float, expected: SweepPoint) -> None:
    assert hand.at(threshold, margin) == pytest.approx(expected)


def test_best_breaks_ties_on_refusal(hand: Report) -> None:
    # (0.0, 0.0) and (0.6, 0.0) both score 5/8; the second refuses half the out-of-scope.
    assert hand.best([0.0, 0.6, 1.0], [0.0, 0.05]) == pytest.approx(
        SweepPoint(0.6, 0.0, 5 / 8, 4 / 6, 0.5)
    )


def test_sweep_is_monotonic_and_threshold_one_refuses_all(hand: Report) -> None:
    thresholds = [t / 10 for t in range(11)]
    points = hand.sweep(thresholds, [0.0])
    assert [(p.threshold, p.margin) for p in points] == [(t, 0.0) for t in thresholds]
    recalls = [p.in_scope_recall for p in points]
    refusals = [p.out_of_scope_refusal for p in points]
    assert recalls == sorted(recalls, key=lambda v: -(v or 0.0))
    assert refusals == sorted(refusals, key=lambda v: v or 0.0)
    assert (points[-1].in_scope_recall, points[-1].out_of_scope_refusal) == (0.0, 1.0)


def test_format_report_names_the_suggestion(hand: Report) -> None:
    text = format_report(hand, thresholds=[0.0, 0.6, 1.0], margins=[0.0, 0.05])
    assert "Accuracy: 50.0 %" in text
    assert "Suggested: threshold 0.60, margin 0.00 -> accuracy 62.5 %" in text
    table = text.splitlines()
    header = next(line for line in table if line.lstrip().startswith("intent"))
    row = next(line for line in table if line.lstrip().startswith("(none)"))
    assert len(header) == len(row)  # columns line up


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I'd like to pay my bill please", "pay_bill"),
        ("what time do you open on Monday", "opening_hours"),
        ("I forgot my password again", "reset_password"),
        ("can you recommend a pizza place", None),
        ("the weather is lovely", None),
    ],
)
def test_real_matcher_on_tiny_set(text: str, intent: str | None) -> None:
    report = evaluate(Matcher(TINY), [Case(text, intent)])
    assert report.accuracy == 1.0
    assert (report.threshold, report.margin) == (0.59, 0.08)


def test_progress_every_percent() -> None:
    calls: list[tuple[int, int]] = []
    cases = [Case("I forgot my password", "reset_password")] * 250
    report = evaluate(Matcher(TINY), cases, progress=lambda d, t: calls.append((d, t)))
    assert len(report.outcomes) == 250
    assert calls == [(d, 250) for d in range(2, 251, 2)]


def test_unknown_intent_is_an_error() -> None:
    with pytest.raises(ValueError, match="does not know: check_balance"):
        evaluate(Matcher(TINY), [Case("what's my balance", "check_balance")])


HELD_OUT = [
    ("I forgot my password and I can't get into my account", "reset_password"),
    ("what time do you close on Saturday", "business_hours"),
    ("I'd like to talk to a real person", "speak_to_agent"),
    ("where's the package I ordered", "track_order"),
    ("can you recommend a good pizza place", None),
]


def test_starter_pack_held_out(matcher: Matcher) -> None:
    report = evaluate(matcher, [Case(text, intent) for text, intent in HELD_OUT])
    assert report.accuracy == 1.0, format_report(report)


def test_read_cases(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text('text,intent\nwhere is my order,track_order\n\n"hi, there", \n')
    assert read_cases(path) == [Case("where is my order", "track_order"), Case("hi, there", None)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", r":1: the first line must be the header 'text,intent'"),
        ("text,label\nhi,a\n", r":1: the first line must be the header"),
        ("text,intent\nhello,a\nx,y,z\n", r":3: expected 2 columns \(text,intent\), found 3"),
        ("text,intent\n\n ,a\n", r":3: the text is empty"),
        ('text,intent\n"two\nlines",a\nbad\n', r":4: expected 2 columns"),
    ],
)
def test_read_cases_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"cases.csv{message}"):
        read_cases(path)
