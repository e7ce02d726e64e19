"""An instance's live lines: calls admitted up to MAX_LIVE_CALLS, freed when their stream
closes, and a call whose stream never came stops counting."""

from __future__ import annotations

import pytest

from voice.calls.capacity import ADMITTED_FOR_S, LiveLines


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_calls_are_admitted_up_to_capacity_and_freed_when_their_stream_closes() -> None:
    lines = LiveLines(2)
    assert lines.admit("CA1") and lines.admit("CA2")
    assert not lines.admit("CA3")
    assert (lines.in_use, lines.turned_away) == (2, 1)
    lines.opened("CA1")
    assert not lines.admit("CA3")  # open streams count as much as answered calls
    lines.closed("CA1")
    assert lines.admit("CA3")
    assert lines.turned_away == 2


def test_twilio_retrying_the_same_call_is_not_a_new_call() -> None:
    lines = LiveLines(1)
    assert lines.admit("CA1")
    assert lines.admit("CA1")
    lines.opened("CA1")
    assert lines.admit("CA1")
    assert lines.in_use == 1


def test_a_call_whose_stream_never_came_stops_counting() -> None:
    clock = Clock()
    lines = LiveLines(1, clock=clock)
    assert lines.admit("CA1")  # its stream went to another instance, or the caller hung up
    clock.now += ADMITTED_FOR_S - 1
    assert not lines.admit("CA2")
    clock.now += 2
    assert lines.admit("CA2")


def test_a_stream_admitted_by_another_instance_counts_here() -> None:
    lines = LiveLines(1)
    lines.opened("CA9")  # behind a proxy the webhook may have gone elsewhere
    assert not lines.admit("CA1")
    lines.closed("CA9")
    assert lines.admit("CA1")


def test_zero_is_no_limit_and_a_negative_capacity_is_refused() -> None:
    lines = LiveLines(0)
    assert all(lines.admit(f"CA{i}") for i in range(1000))
    with pytest.raises(ValueError, match="capacity"):
        LiveLines(-1)
