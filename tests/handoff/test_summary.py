"""The agent's summary: short, specific, and free of personal data."""

from __future__ import annotations

from typing import Any

from voice.dialog.state import CallState
from voice.handoff.summary import build_summary, reason_words

TURNS: list[dict[str, Any]] = [
    {"speaker": "bot", "kind": "listen", "intent": None, "text": "Thanks for calling."},
    {"speaker": "caller", "kind": "speech", "intent": "track_order", "text": "where's my order"},
    {
        "speaker": "bot",
        "kind": "listen",
        "intent": "track_order",
        "text": "Order four five seven one two is delayed, sorry about that. It should now arrive "
        "by Friday. Is there anything else I can help with?",
    },
    {"speaker": "caller", "kind": "speech", "intent": None, "text": "my card [card] was charged"},
]


def test_summary_fields_and_spoken_text() -> None:
    state = CallState(
        intents_seen=["track_order", "track_order"], collected={"order_number": "45712"}
    )
    summary = build_summary(
        caller_number="+15005550006",
        reason="sensitive:fraud",
        priority="urgent",
        state=state,
        turns=TURNS,
        sentiment=[0.1, 0.7],
    )
    assert summary["intents"] == ["track_order"]
    assert summary["slots"] == {"order_number": "45712"}
    assert summary["bot_told"] == [
        "Order four five seven one two is delayed, sorry about that. It should now arrive by "
        "Friday."
    ]
    assert summary["failed_attempts"] == ["my card [card] was charged"]
    spoken = summary["spoken"]
    assert spoken.startswith("Urgent. The caller, ending zero zero zero six, reported possible")
    assert "order four five seven one two" in spoken
    assert 2 <= spoken.count(".") <= 4
    assert "4111" not in spoken


def test_the_words_behind_the_hand_over_are_quoted_not_failed() -> None:
    turns = [
        *TURNS,
        {"speaker": "caller", "kind": "speech", "intent": None, "text": "someone stole my card."},
    ]
    summary = build_summary(
        caller_number="+15005550006",
        reason="sensitive:fraud",
        priority="urgent",
        state=CallState(),
        turns=turns,
        evidence="someone stole my card.",
    )
    assert "someone stole my card." not in summary["failed_attempts"]
    assert 'They said: "someone stole my card."' in summary["spoken"]


def test_reason_words() -> None:
    assert reason_words("keypad_0") == "pressed 0 for a person"
    assert reason_words("always_human:refund_request") == "needs a person for refund request"
    assert reason_words("sensitive:new_topic") == "raised a sensitive matter (new topic)"


def test_the_summary_says_what_the_caller_felt_and_why() -> None:
    from voice.handoff.feeling import FeelingReader

    reader = FeelingReader(None)
    said = [
        "where is my order",
        "my card 4111 1111 1111 1111 was charged twice, third time I'm calling, I'm furious",
    ]
    feelings = [reader.read(text).to_dict() for text in said]
    state = CallState(intents_seen=["track_order"], feelings=feelings)
    summary = build_summary(
        caller_number="+15005550006",
        reason="feeling:angry",
        priority="high",
        state=state,
        turns=TURNS,
        feelings=state.feelings,
    )
    feeling = summary["feeling"]
    assert feeling["level"] == "angry" and feeling["history"] == ["neutral", "angry"]
    assert feeling["words"].startswith("angry about a double charge, third call")
    assert summary["spoken"].startswith(
        "The caller, ending zero zero zero six, sounded angry about a double charge, third call"
    )
    assert "4111" not in str(summary)  # the feeling keeps fixed words, never the caller's text
    assert reason_words("feeling:distressed") == "sounded distressed"


def test_a_feeling_is_added_to_another_reason_and_the_cause_falls_back_to_the_intent() -> None:
    feelings = [{"level": "upset", "about": "", "why": ['said "disappointed"'], "words": "upset"}]
    summary = build_summary(
        caller_number="+15005550006",
        reason="caller_request",
        priority="normal",
        state=CallState(intents_seen=["track_order"]),
        turns=TURNS,
        feelings=feelings,
    )
    assert summary["feeling"]["words"] == 'upset about track order, said "disappointed"'
    assert 'They sound upset about track order, said "disappointed".' in summary["spoken"]
