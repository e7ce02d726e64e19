"""When a turn looks unfinished, the live session waits for the rest of the sentence."""

from __future__ import annotations

import pytest

from voice.calls.continuation import joined, looks_unfinished
from voice.calls.service import Heard
from voice.dialog.turns import Action, Decision
from voice.speech.stt import Transcript

NOT_UNDERSTOOD = Decision(say=("Sorry, I didn't get that.",), action=Action.LISTEN)
ANSWERED = Decision(say=("We're open...",), action=Action.LISTEN, intent="business_hours")
GOODBYE = Decision(say=("Goodbye.",), action=Action.HANGUP)


@pytest.mark.parametrize(
    "text",
    [
        "My order number is 4.",
        "my order number is four five",
        "It's 4, 5, 7,",
        "I'd like a refund because",
        "Um, I need help with my",
        "I want to, um",
    ],
)
def test_trailing_digits_commas_and_joining_words_look_unfinished(text: str) -> None:
    assert looks_unfinished(text, ANSWERED)


def test_a_fragment_the_dialog_cannot_answer_looks_unfinished() -> None:
    assert looks_unfinished("No.", NOT_UNDERSTOOD)  # "No, you are not listening, ..."
    assert looks_unfinished("No, you are not listening.", NOT_UNDERSTOOD)


def test_a_matched_request_or_a_reply_the_dialog_uses_is_complete() -> None:
    assert not looks_unfinished("What are your hours?", ANSWERED)
    assert not looks_unfinished("No, that's all.", GOODBYE)
    assert not looks_unfinished("", NOT_UNDERSTOOD)


def test_parts_join_into_one_heard_turn() -> None:
    first = Heard(Transcript("No, you are not listening.", 0.8, 1.2, False), {"stt_ms": 300.0})
    rest = Heard(Transcript("This is the third time.", 0.6, 1.0, False), {"stt_ms": 250.0})
    both = joined(first, rest)
    assert both.transcript is not None
    assert both.transcript.text == "No, you are not listening. This is the third time."
    assert both.transcript.confidence == 0.6
    assert both.timings["stt_ms"] == 550.0 and both.timings["parts"] == 2.0
    empty = Heard(Transcript("", 0.0, 0.3, True))
    assert joined(first, empty) is first and joined(empty, rest) is rest
