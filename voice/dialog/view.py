"""What one turn decides with: the intents, matcher, policy and limits of one active set
(``DialogSettings``: the company name and the failure limits)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from voice.dialog import answers
from voice.handoff.escalation import EscalationPolicy
from voice.intents.loader import IntentSet
from voice.intents.matcher import Matcher
from voice.pack.live import ActiveSet, LiveIntents


@dataclass(frozen=True)
class DialogSettings:
    company: str = "Acme"
    max_misses: int = 3  # the Nth no-match or unclear turn in a row transfers
    max_silences: int = 3  # silent turns in a row before a transfer
    max_slot_misses: int = 2  # failed attempts at a slot before a transfer
    max_unclear: int = 3  # turns in a row we could not hear before a transfer
    agent_available: bool = True  # False: transfers become voicemail


@dataclass(frozen=True)
class View:
    """What one turn decides with: one intent set, its matcher, policy and limits."""

    intents: IntentSet
    matcher: Matcher
    policy: EscalationPolicy
    settings: DialogSettings
    descriptions: list[str]
    active: ActiveSet | None = None

    @classmethod
    def of(cls, active: ActiveSet, settings: DialogSettings) -> View:
        """The view of a live active set: the failure limits in ``settings`` are replaced
        by those of the set's policy."""
        failures = active.policy.failures
        return cls(
            intents=active.intents,
            matcher=active.matcher,
            policy=active.escalation,
            settings=replace(
                settings,
                max_misses=failures.no_match,
                max_silences=failures.silence,
                max_slot_misses=failures.slot_attempts,
                max_unclear=failures.unclear_audio,
            ),
            descriptions=answers.descriptions(active.intents),
            active=active,
        )


class FollowsLive:
    """The view the dialog engine decides a turn with: its own set, or with ``live`` the
    live active set, taken up per thread at each entry point (``_refresh``)."""

    live: LiveIntents | None
    _base: View
    _local: threading.local

    @property
    def _view(self) -> View:
        view: View = getattr(self._local, "view", self._base)
        return view

    @property
    def intents(self) -> IntentSet:
        return self._view.intents

    @property
    def matcher(self) -> Matcher:
        return self._view.matcher

    @property
    def policy(self) -> EscalationPolicy:
        return self._view.policy

    @property
    def settings(self) -> DialogSettings:
        return self._view.settings

    @property
    def _descriptions(self) -> list[str]:
        return self._view.descriptions

    def _refresh(self) -> None:
        """Take up the live active set, for this thread, if it changed since its last turn."""
        if self.live is None:
            return
        active = self.live.active
        if self._view.active is active:
            return
        self._local.view = View.of(active, self._base.settings)
