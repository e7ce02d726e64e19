"""The barge-in bookkeeping and the early replies, without audio or sockets."""

from __future__ import annotations

from voice.turntaking.backchannel import BACKCHANNEL_MAX_MS
from voice.turntaking.early import EarlyReplies
from voice.turntaking.overlap import CONFIRM_MS, RESUME_AFTER_MS, Overlap, Verdict


def test_voice_while_the_bot_is_silent_is_no_overlap() -> None:
    overlap = Overlap(pause_ms=120)
    assert not overlap.voice_started(1000, bot_audible=False)
    assert overlap.voice_paused(1500) is None
    assert not overlap.overlapping


def test_a_short_overlap_resumes_the_bot_after_a_quiet_moment() -> None:
    overlap = Overlap(pause_ms=120)
    assert overlap.voice_started(1000, bot_audible=True)
    assert overlap.voice_paused(1000 + 120 + 300) == 300
    assert not overlap.resume_now(RESUME_AFTER_MS - 1)
    assert overlap.resume_now(RESUME_AFTER_MS)
    assert not overlap.resume_now(RESUME_AFTER_MS + 20)  # once


def test_a_backchannel_is_no_turn_and_a_request_is_a_barge_in() -> None:
    overlap = Overlap(pause_ms=120)
    overlap.voice_started(0, bot_audible=True)
    overlap.voice_paused(500)
    assert overlap.judged("Mhm.", 380) is Verdict.BACKCHANNEL
    assert not overlap.overlapping
    assert overlap.skip_turn()
    assert not overlap.skip_turn()
    overlap.voice_started(2000, bot_audible=True)
    overlap.voice_paused(2500)
    assert overlap.judged("wait, no", 380) is Verdict.BARGE_IN
    overlap.stopped()
    assert overlap.judged("wait, no", 380) is Verdict.SETTLED


def test_voice_longer_than_any_backchannel_runs_over() -> None:
    overlap = Overlap(pause_ms=120)
    overlap.voice_started(0, bot_audible=True)
    assert not overlap.runs_over(BACKCHANNEL_MAX_MS + 120)
    assert overlap.runs_over(BACKCHANNEL_MAX_MS + 121)


def test_early_replies_cut_off_and_taken() -> None:
    early: EarlyReplies[str] = EarlyReplies()
    assert not early.cut_off()
    early.begin("We open at nine.")
    assert early.playing
    assert early.cut_off()
    assert (early.cut, early.take()) == (1, None)
    early.begin("We open at nine.")
    assert early.take() == "We open at nine."
    assert not early.playing


def test_a_sound_over_the_bot_pauses_it_until_the_vad_says_it_is_a_voice() -> None:
    overlap = Overlap(pause_ms=120)
    assert not overlap.sound_started(1000, bot_audible=False)  # the bot is quiet: nothing
    assert overlap.sound_started(1000, bot_audible=True)
    assert not overlap.sound_started(1040, bot_audible=True)  # once per sound
    # The VAD calls it a voice while the bot is paused for it: an overlap as any other.
    assert overlap.voice_started(1000, bot_audible=False)
    assert overlap.overlapping
    assert not overlap.sound_unconfirmed(1000 + CONFIRM_MS, in_speech=True)
    assert overlap.unconfirmed == 0


def test_a_sound_that_is_no_voice_resumes_the_bot_once() -> None:
    overlap = Overlap(pause_ms=120)
    assert overlap.sound_started(1000, bot_audible=True)
    assert not overlap.sound_unconfirmed(1000 + CONFIRM_MS - 20, in_speech=False)
    assert overlap.sound_unconfirmed(1000 + CONFIRM_MS, in_speech=False)
    assert not overlap.sound_unconfirmed(1000 + CONFIRM_MS + 20, in_speech=False)
    assert overlap.unconfirmed == 1 and not overlap.overlapping
    # A voice starting later, over the resumed bot, is an overlap again.
    assert overlap.voice_started(3000, bot_audible=True)
