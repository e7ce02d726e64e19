"""The dialog's verification turns, mixed into ``DialogEngine``: asking for a PIN or a code,
checking what the caller keyed or said, and answering the request that waited.

The steps themselves (what to ask, what passes) are ``voice.dialog.verification``; here
they become decisions, with the engine's hand-over and answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from voice.dialog import answers
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Caller, Decision
from voice.dialog.verification import Ask, HandOver, Passed, Step, Verifier, declines
from voice.errors import LookupFailed
from voice.fulfillment.base import Fulfillment
from voice.intents.replies import yes_or_no
from voice.intents.slots import extract_code
from voice.text import prompts

if TYPE_CHECKING:
    from voice.dialog.view import DialogSettings
    from voice.handoff.escalation import EscalationPolicy
    from voice.intents.loader import IntentSet
    from voice.intents.matcher import Match, Matcher
    from voice.intents.schema import IntentSpec

log = logging.getLogger(__name__)


class VerifyingTurns:
    """Needs the engine's parts; see ``DialogEngine``."""

    verifier: Verifier
    fulfillment: Fulfillment

    if TYPE_CHECKING:

        @property
        def intents(self) -> IntentSet: ...

        @property
        def matcher(self) -> Matcher: ...

        @property
        def policy(self) -> EscalationPolicy: ...

        @property
        def settings(self) -> DialogSettings: ...

        def escalate(
            self, state: CallState, reason: str, *, first: str | None = None
        ) -> Decision: ...

        def _answer(self, state: CallState, spec: IntentSpec, caller: Caller) -> Decision: ...

        def _on_intent(
            self, state: CallState, match: Match, text: str, caller: Caller
        ) -> Decision: ...

        def _lookup_failed(self, state: CallState, looked: dict[str, str]) -> Decision: ...

    def code_not_sent(self, state: CallState, caller: Caller) -> Decision:
        """The texted code could not be sent: verify another way, or a person."""
        self.verifier.code_not_sent(state)
        args = self._verifying(state, caller)
        decision = self._step(state, caller, lambda: self.verifier.begin(*args))
        return replace(decision, say=(prompts.CODE_NOT_SENT, *decision.say))

    def _verifying(self, state: CallState, caller: Caller) -> tuple[Any, ...]:
        return state, caller, self.fulfillment, self.policy.spec.verification

    def _on_verifying(self, state: CallState, text: str, caller: Caller) -> Decision:
        """Words while a PIN or code is asked for: the digits, "I don't have it", or a new
        request; anything else asks again."""
        code = extract_code(text)
        if code is not None:
            return self._verify(state, caller, code)
        if declines(text) or yes_or_no(text) == "no":
            return self._step(
                state, caller, lambda: self.verifier.skip(*self._verifying(state, caller))
            )
        match = self.matcher.match(text)
        if match.intent is not None:  # a new request instead: it is heard as one
            state.verification.pop("asking", None)
            state.move_to(Phase.LISTENING)
            return self._on_intent(state, match, text, caller)
        return self._code_again(state)

    def _verify(self, state: CallState, caller: Caller, code: str) -> Decision:
        state, caller, fulfillment, spec = self._verifying(state, caller)
        return self._step(
            state, caller, lambda: self.verifier.on_code(state, code, caller, fulfillment, spec)
        )

    def _code_again(self, state: CallState) -> Decision:
        state.slot_misses += 1
        if state.slot_misses >= self.settings.max_slot_misses:
            return replace(self.escalate(state, "slot_not_understood"), understood=False)
        asked = state.verification.get("asking")
        return Decision(
            say=(prompts.CODE_AGAIN,), action=Action.LISTEN, expecting=asked, understood=False
        )

    def _step(self, state: CallState, caller: Caller, take: Callable[[], Step]) -> Decision:
        """Take a verification step and say what it means; a backend that cannot give the
        caller's credentials is a failed lookup (an apology and a person)."""
        t0 = time.perf_counter()
        try:
            step = take()
        except LookupFailed as exc:
            log.warning("credentials lookup failed: %s", exc)
            return self._lookup_failed(state, answers.looked("credentials", exc.kind, t0))
        except Exception:
            log.exception("credentials lookup failed")
            return self._lookup_failed(state, answers.looked("credentials", "error", t0))
        pending = self.intents.intents.get(state.pending_intent or "")
        if isinstance(step, Ask):
            if state.phase != Phase.VERIFYING:
                state.move_to(Phase.VERIFYING)
            details = {**step.details, **({"send_code_to": step.send_to} if step.send_to else {})}
            return Decision(
                say=step.say, action=Action.LISTEN, expecting=step.factor, details=details
            )
        if isinstance(step, HandOver):
            decision = self.escalate(state, step.reason, first=step.first)
            return replace(decision, details={**decision.details, **step.details})
        state.slot_misses = 0
        if pending is None:  # a reload removed the intent that was waiting
            state.pending_intent = None
            state.move_to(Phase.LISTENING)
            return Decision(say=(prompts.WHAT_ELSE,), action=Action.LISTEN)
        if isinstance(step, Passed):
            decision = self._answer(state, pending, caller)
            return replace(
                decision,
                say=(prompts.VERIFIED, *decision.say),
                intent=pending.name,
                details={**decision.details, **step.details},
            )
        # No account for the number: what the intent says when nothing is found.
        state.pending_intent, state.pending_slot = None, None
        state.move_to(Phase.ANYTHING_ELSE)
        not_found = answers.fill(pending.answer_not_found or "", dict(state.slots))
        return Decision(say=(not_found, prompts.ANYTHING_ELSE), action=Action.LISTEN)
