"""The caller's voice over the bot's: pause at once, then go on (a backchannel) or stop
(a barge-in). Pure bookkeeping; the live session does the pausing and the recognition.

When the caller's voice has lasted ``start_ms`` over the bot, the bot pauses (cheap to
undo). If the voice stops within a backchannel's length, the bot resumes its sentence once
the caller has been quiet ``RESUME_AFTER_MS``, and stops for good only if the words turn out
to be an interruption ("wait", "no"); "mhm", "okay" or a cough leave it talking. Voice that
goes on longer than any backchannel stops it at once. Times are stream milliseconds.
"""

from __future__ import annotations

import enum

from voice.turntaking.backchannel import BACKCHANNEL_MAX_MS, is_backchannel

CONFIRM_MS = 500
"""A sound over the bot pauses it at once (``voice.turntaking.onset``); if the VAD has not
called it a voice this long after, the bot resumes (a cough, a knock, a tone)."""
RESUME_AFTER_MS = 250
"""Silence after a short overlap before the bot picks its sentence up again: longer than the
gap between two words, so "Actually, I ..." does not make it stutter."""


class Verdict(enum.Enum):
    """What the words of an overlap turned out to be."""

    SETTLED = "settled"  # already decided (a barge-in confirmed meanwhile): nothing to do
    BACKCHANNEL = "backchannel"  # the bot goes on; the utterance is no turn
    BARGE_IN = "barge_in"  # the bot stops; the utterance is the caller's turn


class Overlap:
    """Whether the caller is talking over the bot, and what follows from it.

    ``pause_ms``: the silence after which the detector reports a pause (it is counted in
    the voice's length as the detector sees it)."""

    def __init__(self, *, pause_ms: int) -> None:
        self.pause_ms = pause_ms
        self.began_at: float | None = None  # when the overlapping voice began
        self.voiced = False  # the caller's voice is on right now
        self.resume_due = False  # a short overlap: resume the bot once the caller is quiet
        self._skip_turn_end = False  # the utterance was a backchannel: no turn
        self.sound_at: float | None = None  # a sound paused the bot; not yet known as voice
        self.unconfirmed = 0  # sounds that paused the bot and were not a voice

    @property
    def overlapping(self) -> bool:
        """The bot is paused (or resumed optimistically) over the caller's voice."""
        return self.began_at is not None

    def sound_started(self, at_ms: float, *, bot_audible: bool) -> bool:
        """A sound began on the line; True when it is over the bot: pause the bot now, until
        the VAD says whether it is a voice (``voice_started``) or not (``sound_unconfirmed``)."""
        if not bot_audible or self.began_at is not None or self.sound_at is not None:
            return False
        self.sound_at = at_ms
        return True

    def sound_unconfirmed(self, now_ms: float, *, in_speech: bool) -> bool:
        """True once, when a sound paused the bot ``CONFIRM_MS`` ago and no voice followed:
        resume the bot."""
        if self.sound_at is None or in_speech or now_ms - self.sound_at < CONFIRM_MS:
            return False
        self.sound_at = None
        self.unconfirmed += 1
        return True

    def voice_started(self, at_ms: float, *, bot_audible: bool) -> bool:
        """The caller's voice began; True when it is over the bot (audible, or paused by the
        sound that began it): pause the bot now."""
        self.voiced = True
        paused_by_sound, self.sound_at = self.sound_at is not None, None
        if bot_audible or paused_by_sound:
            self.began_at = at_ms
            return True
        return False

    def voice_paused(self, at_ms: float) -> float | None:
        """The voice paused at ``at_ms``: the overlap's speech length (ms) when it was over
        the bot (its words are to be judged), else None."""
        self.voiced = False
        if self.began_at is None:
            return None
        speech_ms = at_ms - self.began_at - self.pause_ms
        # Short enough to be "okay" or "mhm": go on once the caller has been quiet for
        # RESUME_AFTER_MS (not at a gap between two words), rather than leave the line
        # silent while recognition decides.
        self.resume_due = speech_ms <= BACKCHANNEL_MAX_MS
        return speech_ms

    def voice_resumed(self) -> None:
        """The caller went on after a pause; if still ``overlapping``, pause the bot again."""
        self.voiced = True
        self.resume_due = False

    def voice_ended(self) -> None:
        self.voiced = False

    def resume_now(self, silence_ms: float) -> bool:
        """True once, when a short overlap has been followed by ``RESUME_AFTER_MS`` of
        silence and the bot should pick its sentence up again."""
        if not self.resume_due or silence_ms < RESUME_AFTER_MS:
            return False
        self.resume_due = False
        return self.began_at is not None

    def runs_over(self, now_ms: float) -> bool:
        """Voice still on (no pause yet, and a pause is only seen ``pause_ms`` after it
        stops) for longer than any backchannel: a real interruption."""
        limit = BACKCHANNEL_MAX_MS + self.pause_ms
        return self.began_at is not None and self.voiced and now_ms - self.began_at > limit

    def judged(self, text: str, speech_ms: float) -> Verdict:
        """The overlap's words are known: a backchannel (go on) or a barge-in (stop)?"""
        if self.began_at is None:
            return Verdict.SETTLED
        if is_backchannel(text, speech_ms) and not self.voiced:
            self.began_at, self._skip_turn_end = None, True
            return Verdict.BACKCHANNEL
        return Verdict.BARGE_IN

    def stopped(self) -> None:
        """The bot stopped for the caller (a barge-in), or their turn was taken."""
        self.began_at = None
        self.sound_at = None

    def skip_turn(self) -> bool:
        """True once after a backchannel: the utterance that ended is no turn."""
        if self._skip_turn_end:
            self._skip_turn_end = False
            return True
        return False

    def forget_backchannel(self) -> None:
        """The call ended mid-utterance: whatever it was, it is heard as a turn."""
        self._skip_turn_end = False
