"""The end-of-turn policy: how long a pause must last, from what was heard so far."""

from __future__ import annotations

import pytest

from voice.dialog.turns import Action, Decision
from voice.errors import ConfigError
from voice.turntaking.ending import EndOfTurn, Reading, TurnLimits, looks_unfinished, reading

NOT_UNDERSTOOD = Decision(
    say=("Sorry, I didn't get that.",), action=Action.LISTEN, understood=False
)
ANSWERED = Decision(say=("We're open...",), action=Action.LISTEN, intent="business_hours")
WHAT_ELSE = Decision(say=("What else can I help with?",), action=Action.LISTEN)
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
    assert reading(text, ANSWERED) is Reading.UNFINISHED


def test_a_fragment_the_dialog_cannot_use_looks_unfinished() -> None:
    assert looks_unfinished("No.", NOT_UNDERSTOOD)  # "No, you are not listening, ..."
    assert looks_unfinished("No, you are not listening.", NOT_UNDERSTOOD)


def test_a_matched_request_or_a_reply_the_dialog_uses_is_finished() -> None:
    assert reading("What are your hours?", ANSWERED) is Reading.FINISHED
    assert reading("No, that's all.", GOODBYE) is Reading.FINISHED
    # "yes" to "Is there anything else?" has no intent, but the dialog uses it
    assert reading("Yes.", WHAT_ELSE) is Reading.FINISHED
    assert reading("What are your hours?", None) is Reading.FINISHED  # the preview failed


def test_no_words_is_empty() -> None:
    assert reading("", NOT_UNDERSTOOD) is Reading.EMPTY
    assert reading(" ... ", None) is Reading.EMPTY


def test_each_reading_needs_its_silence() -> None:
    limits = TurnLimits(min_ms=250, end_ms=600, max_ms=1200)
    assert limits.silence_needed(Reading.FINISHED) == 250
    assert limits.silence_needed(Reading.PENDING) == 600
    assert limits.silence_needed(Reading.EMPTY) == 600
    assert limits.silence_needed(Reading.UNFINISHED) == 1200


@pytest.mark.parametrize("values", [(0, 600, 1100), (700, 600, 1100), (300, 600, 500)])
def test_limits_out_of_order_are_refused(values: tuple[int, int, int]) -> None:
    with pytest.raises(ConfigError, match="TURN_MIN_MS <= STREAM_END_MS <= TURN_MAX_MS"):
        TurnLimits(*values)


def test_a_pause_ends_when_its_reading_allows() -> None:
    ending: EndOfTurn[str] = EndOfTurn(TurnLimits(min_ms=300, end_ms=600, max_ms=1100))
    assert not ending.due(5000)  # no pause open
    pause = ending.paused()
    # not read yet: wait for the transcript (the turn needs it anyway), at most max_ms
    assert not ending.due(1099) and ending.due(1100)
    ending.heard(pause, Reading.FINISHED)
    assert not ending.due(299) and ending.due(300)
    ending.heard(pause, Reading.UNFINISHED)
    assert not ending.due(1099) and ending.due(1100)


def test_without_a_reading_coming_the_fallback_ends_the_pause() -> None:
    ending: EndOfTurn[str] = EndOfTurn(TurnLimits(min_ms=300, end_ms=600, max_ms=1100))
    ending.paused(reading_coming=False)  # speech over the bot: judged on its own
    assert not ending.due(599) and ending.due(600)
    pause = ending.paused()
    ending.heard(pause, None)  # its transcription failed
    assert not ending.due(599) and ending.due(600)
    assert ending.reading is Reading.PENDING


def _read(ending: EndOfTurn[str]) -> Reading:
    return ending.reading


def test_a_stale_reading_is_ignored() -> None:
    ending: EndOfTurn[str] = EndOfTurn(TurnLimits())
    first = ending.paused()
    ending.resumed()  # the caller went on
    second = ending.paused()
    ending.heard(first, Reading.FINISHED)  # the old pause's transcript arrives late
    assert _read(ending) is Reading.PENDING
    ending.heard(second, Reading.UNFINISHED)
    assert _read(ending) is Reading.UNFINISHED
    ending.resumed()
    ending.heard(second, Reading.FINISHED)  # after the pause closed
    assert _read(ending) is Reading.PENDING and not ending.due(10_000)


def test_recovery_answers_a_finished_request_early_and_takes_the_turn_later() -> None:
    ending: EndOfTurn[str] = EndOfTurn(
        TurnLimits(min_ms=450, end_ms=600, max_ms=1100, recover_ms=400)
    )
    pause = ending.paused()
    ending.heard(pause, Reading.FINISHED, "We're open nine to five.")
    assert ending.early(449) is None  # not yet
    assert ending.early(450) == "We're open nine to five."
    assert ending.early(460) is None  # once per pause
    ending.answering()
    assert not ending.due(849) and ending.due(850)  # the caller may still go on meanwhile
    ending.resumed()  # they did: the reply is cut off, the pause closed
    assert not ending.answered and ending.early(10_000) is None


def test_without_recovery_or_a_finished_reading_there_is_no_early_answer() -> None:
    plain: EndOfTurn[str] = EndOfTurn(TurnLimits(min_ms=450, recover_ms=0))
    pause = plain.paused()
    plain.heard(pause, Reading.FINISHED, "an answer")
    assert plain.early(1000) is None and plain.due(450)  # recover_ms 0: the turn ends
    ending: EndOfTurn[str] = EndOfTurn(TurnLimits(min_ms=450, recover_ms=400))
    pause = ending.paused()
    ending.heard(pause, Reading.UNFINISHED, "an answer to half a request")
    assert ending.early(1000) is None
    # An early answer that could not begin (the bot still busy) leaves the turn to end at
    # min_ms, as without recovery.
    pause = ending.paused()
    ending.heard(pause, Reading.FINISHED, "an answer")
    assert ending.due(450) and not ending.answered


def test_a_negative_recovery_window_is_refused() -> None:
    with pytest.raises(ConfigError, match="TURN_RECOVER_MS"):
        TurnLimits(recover_ms=-1)
