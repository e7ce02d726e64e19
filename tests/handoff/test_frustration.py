"""Frustration scoring per turn and across the call."""

import json

import pytest

from voice.handoff.frustration import FrustrationTracker, TurnSignal

Turn = tuple[str, bool]  # caller text, bot failed to understand the previous turn

CALLS: list[tuple[str, list[Turn], bool]] = [
    (
        "calm conversation",
        [
            ("Hi, I want to check my order.", False),
            ("It's 45712.", False),
            ("Yes, that's right.", False),
            ("No thanks, that's all. Bye!", False),
        ],
        False,
    ),
    ("one annoyed remark", [("This is ridiculous.", False)], False),
    (
        "annoyed once, then calm again",
        [
            ("This is ridiculous.", False),
            ("Okay, my order number is 45712.", False),
            ("Great, thank you.", False),
        ],
        False,
    ),
    (
        "three increasingly annoyed turns",
        [
            ("Hmm, that's not really right.", True),
            ("Come on, this is annoying.", True),
            ("This is ridiculous, I already told you!", True),
        ],
        True,
    ),
    (
        "repeated corrections",
        [
            ("No, no, that's not what I asked.", True),
            ("No, no, that's not what I asked.", True),
        ],
        True,
    ),
    (
        "same request three times while the bot fails",
        [
            ("I need to reset my password.", False),
            ("I said I need to reset my password.", True),
            ("Reset. My. Password.", True),
        ],
        True,
    ),
    (
        "same request three times, bot understood",
        [
            ("I need to reset my password.", False),
            ("I need to reset my password.", False),
            ("I need to reset my password.", False),
        ],
        False,
    ),
    (
        "different requests while the bot fails",
        [
            ("I want to pay my bill.", False),
            ("I want to change my address.", True),
            ("What are your opening hours?", True),
        ],
        False,
    ),
    ("strong abuse", [("Fuck you, you useless machine.", False)], True),
    ("directed insult", [("Listen, you idiot, get me a person.", False)], True),
    ("polite refusals", [("No thanks.", False), ("No, that's all, thank you.", False)], False),
    ("mild swearing in passing", [("Damn, I forgot my PIN again.", False)], False),
]


@pytest.mark.parametrize(("name", "turns", "escalates"), CALLS, ids=[c[0] for c in CALLS])
def test_calls(name: str, turns: list[Turn], escalates: bool) -> None:
    tracker = FrustrationTracker()
    for text, bot_failed in turns:
        tracker.observe(text, bot_failed=bot_failed)
    assert tracker.escalate is escalates, (name, tracker.history, tracker.trend)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("This is ridiculous.", "angry wording: ridiculous"),
        ("What a waste of time", "angry wording: waste of time"),
        ("Are you even listening?", "angry wording: are you even listening"),
        ("You're not understanding me", "angry wording: you are not understanding"),
        ("For the third time, my order!", "angry wording: for the third time"),
        ("what the hell", "swearing: hell"),
        ("this is crap", "swearing: crap"),
        ("No, no, no.", "repeated negation"),
        ("Not that, the other one", "correction: not that"),
        ("That's not what I said", "correction: that is not what i said"),
        ("Wrong again!", "exclamation"),
    ],
)
def test_reasons(text: str, reason: str) -> None:
    signal = FrustrationTracker().observe(text, bot_failed=False)
    assert reason in signal.reasons
    assert 0.0 < signal.score < 0.9


@pytest.mark.parametrize(
    "text",
    [
        "No thanks.",
        "No.",
        "Hello, I need help with my bill",
        "Not right now, maybe later.",
        "Can you tell me what the hours are?",
        "I don't know my order number.",
        "My account is locked again.",
    ],
)
def test_neutral_turns_score_zero(text: str) -> None:
    assert FrustrationTracker().observe(text, bot_failed=False) == TurnSignal(0.0, ())


def test_one_remark_raises_but_does_not_escalate() -> None:
    tracker = FrustrationTracker()
    signal = tracker.observe("This is ridiculous.", bot_failed=False)
    assert 0.3 <= signal.score < 0.6
    assert tracker.trend == signal.score
    assert not tracker.escalate


def test_neutral_turns_decay_the_trend() -> None:
    tracker = FrustrationTracker()
    tracker.observe("This is ridiculous.", bot_failed=False)
    trends = [tracker.trend]
    for _ in range(4):
        tracker.observe("Okay.", bot_failed=False)
        trends.append(tracker.trend)
    assert trends == sorted(trends, reverse=True)
    assert trends[-1] == 0.0  # out of the window


def test_policy_phrases_add_to_the_built_in_list() -> None:
    tracker = FrustrationTracker(phrases=["Rubbish service"])
    signal = tracker.observe("This is rubbish service", bot_failed=False)
    assert signal.reasons == ("angry wording: rubbish service",)
    assert FrustrationTracker().observe("This is rubbish service", bot_failed=False).score == 0


def test_a_lower_threshold_escalates_sooner() -> None:
    tracker = FrustrationTracker(threshold=0.5)
    tracker.observe("This is ridiculous.", bot_failed=False)
    assert tracker.escalate


def test_personal_data_is_not_kept_in_the_state() -> None:
    tracker = FrustrationTracker()
    tracker.observe("My card is 4111 1111 1111 1111 and it was declined", bot_failed=False)
    assert "4111" not in json.dumps(tracker.to_dict())


def test_round_trip_through_json() -> None:
    tracker = FrustrationTracker(window=4, threshold=0.7, phrases=["rubbish"])
    tracker.observe("I need to reset my password.", bot_failed=False)
    tracker.observe("This is rubbish, reset my password.", bot_failed=True)
    copy = FrustrationTracker.from_dict(json.loads(json.dumps(tracker.to_dict())))
    assert copy.to_dict() == tracker.to_dict()
    assert (copy.trend, copy.history, copy.escalate) == (
        tracker.trend,
        tracker.history,
        tracker.escalate,
    )
    text = "Reset my password, I said."
    assert copy.observe(text, bot_failed=True) == tracker.observe(text, bot_failed=True)


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"window": 3},
        {"window": 3, "threshold": 0.6, "phrases": None, "history": [], "recent": []},
    ],
)
def test_bad_state_is_a_value_error(state: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="frustration state"):
        FrustrationTracker.from_dict(state)


@pytest.mark.parametrize(("window", "threshold"), [(0, 0.6), (3, 0.0), (3, 1.5)])
def test_bad_settings(window: int, threshold: float) -> None:
    with pytest.raises(ValueError):
        FrustrationTracker(window=window, threshold=threshold)
