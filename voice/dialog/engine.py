"""The conversation core: one caller turn in, one decision out. No HTTP, TwiML or audio here."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from voice.dialog import answers
from voice.dialog.handover import hand_over, turn_away
from voice.dialog.readings import Reading, understood
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Caller, CallerInput, Decision, InputKind
from voice.dialog.verification import Verifier
from voice.dialog.verifying import VerifyingTurns
from voice.dialog.view import DialogSettings, FollowsLive, View
from voice.errors import LookupFailed
from voice.fulfillment.base import Fulfillment
from voice.handoff.escalation import EscalationPolicy
from voice.handoff.policy import PolicySpec
from voice.intents.loader import IntentSet
from voice.intents.matcher import Match, Matcher
from voice.intents.replies import yes_or_no
from voice.intents.schema import IntentSpec, SlotSpec
from voice.intents.slots import extract_order_number
from voice.pack.live import LiveIntents
from voice.text import prompts

log = logging.getLogger(__name__)

FEELINGS_KEPT = 10  # the feelings of the last turns, kept in the call state


class DialogEngine(FollowsLive, VerifyingTurns):
    """Decides what to say and do next. Mutates the ``CallState`` it is given.

    With ``live``, every entry point first takes up the live active set (intents, matcher,
    policy and the failure limits it sets), so files edited while the service runs apply
    from the next turn. Turns are decided in worker threads, several at once: each thread
    holds its own view of the set, swapped only at an entry point, so one turn always sees
    one set even when a reload lands in the middle of it.
    """

    def __init__(
        self,
        intents: IntentSet,
        matcher: Matcher,
        fulfillment: Fulfillment,
        settings: DialogSettings,
        policy: EscalationPolicy | None = None,
        *,
        live: LiveIntents | None = None,
        verifier: Verifier | None = None,
    ) -> None:
        self.fulfillment = fulfillment
        self.live = live
        self.verifier = verifier or Verifier()
        self._base = View(
            intents=intents,
            matcher=matcher,
            policy=policy or EscalationPolicy(PolicySpec()),
            settings=settings,
            descriptions=answers.descriptions(intents),
        )
        self._local = threading.local()
        self._refresh()

    @classmethod
    def following(
        cls,
        live: LiveIntents,
        fulfillment: Fulfillment,
        settings: DialogSettings,
        verifier: Verifier | None = None,
    ) -> DialogEngine:
        """An engine that takes up ``live``'s active set at every turn; the failure limits
        in ``settings`` are replaced by those of the active policy."""
        active = live.active
        return cls(
            active.intents,
            active.matcher,
            fulfillment,
            settings,
            active.escalation,
            live=live,
            verifier=verifier,
        )

    def _drop_stale_question(self, state: CallState) -> None:
        """A call waiting for a slot of an intent (or slot) that a reload removed: forget
        the question and listen afresh, keeping everything else the call gathered."""
        if state.phase != Phase.COLLECTING_SLOT or self._pending_slot(state) is not None:
            return
        log.warning(
            "intent %r (slot %r) is gone after a reload; dropping the pending question",
            state.pending_intent,
            state.pending_slot,
        )
        state.pending_intent, state.pending_slot, state.slots = None, None, {}
        state.move_to(Phase.LISTENING)

    def static_phrases(self) -> list[str]:
        """Phrases that never change, to synthesize once at start-up (and after a reload)."""
        self._refresh()
        return answers.static_phrases(self.settings.company, self.intents, self._descriptions)

    # -- entry points -------------------------------------------------------------------

    def greet(self, state: CallState) -> Decision:
        self._refresh()
        state.move_to(Phase.LISTENING)
        # Short on purpose: the full menu comes only when the caller seems unsure.
        return Decision(
            say=(prompts.greeting(self.settings.company), prompts.HOW_CAN_I_HELP),
            action=Action.LISTEN,
        )

    def handle(self, state: CallState, turn: CallerInput, caller: Caller) -> Decision:
        self._refresh()
        self._drop_stale_question(state)
        if state.phase in (Phase.TRANSFERRING, Phase.VOICEMAIL, Phase.ENDED):
            # A late turn after the call moved on: nothing sensible to add.
            return self._end(state)
        if state.phase == Phase.GREETING:
            state.move_to(Phase.LISTENING)
        if turn.kind is InputKind.DTMF:
            return self._on_keys(state, turn.digits, caller)
        if turn.kind is InputKind.SILENCE:
            return self._on_silence(state)
        if turn.kind is InputKind.UNCLEAR:
            return self._on_unclear(state)
        state.silences = 0
        return self._on_speech(state, turn, caller)

    def transfer_failed(self, state: CallState) -> Decision:
        """The agent did not answer, was busy, or the dial failed: take a voicemail."""
        self._refresh()
        state.move_to(Phase.VOICEMAIL)
        return Decision(
            say=(prompts.VOICEMAIL_AFTER_DIAL,), action=Action.VOICEMAIL, reason="agent_unavailable"
        )

    def voicemail_taken(self, state: CallState, *, empty: bool) -> Decision:
        self._refresh()
        return self._end(state, prompts.VOICEMAIL_EMPTY if empty else prompts.VOICEMAIL_SAVED)

    def escalate(
        self,
        state: CallState,
        reason: str,
        *,
        first: str | None = None,
        priority: str | None = None,
        evidence: str = "",
    ) -> Decision:
        """Hand the caller to a person; outside opening hours, or with nobody to take
        calls, to a voicemail with a promised call back."""
        self._refresh()
        return hand_over(
            state,
            reason,
            self.policy,
            agent_available=self.settings.agent_available,
            first=first,
            priority=priority,
            evidence=evidence,
        )

    def turn_away(self, state: CallState) -> Decision:
        """A new call this instance has no line for (``MAX_LIVE_CALLS``): see ``turn_away``."""
        self._refresh()
        return turn_away(state, self.policy, agent_available=self.settings.agent_available)

    # -- turn kinds -----------------------------------------------------------------------

    def _on_keys(self, state: CallState, digits: str, caller: Caller) -> Decision:
        digits = digits.strip()
        key = self.policy.keypad
        if state.phase == Phase.VERIFYING:
            code = digits.rstrip("#")
            if code == key:
                return self.escalate(state, "keypad_0")
            if not code:
                return self._code_again(state)
            return self._verify(state, caller, code)
        if state.phase == Phase.COLLECTING_SLOT and digits.rstrip("#") not in ("", key):
            return self._on_slot_value(state, digits.rstrip("#"), caller, from_keypad=True)
        if digits.startswith(key):
            return self.escalate(state, "keypad_0")
        return Decision(say=(prompts.KEY_NOT_USED,), action=Action.LISTEN)

    def _on_silence(self, state: CallState) -> Decision:
        state.silences += 1
        if state.silences >= self.settings.max_silences:
            return self.escalate(state, "repeated_silence")
        if state.phase == Phase.VERIFYING:
            asked = state.verification.get("asking")
            return Decision(
                say=(prompts.STILL_THERE, prompts.CODE_AGAIN), action=Action.LISTEN, expecting=asked
            )
        slot = self._pending_slot(state)
        if slot is not None:
            return Decision(
                say=(prompts.STILL_THERE, slot.prompt), action=Action.LISTEN, expecting=slot.name
            )
        return Decision(
            say=(prompts.STILL_THERE, prompts.menu(self._descriptions)), action=Action.LISTEN
        )

    def _on_unclear(self, state: CallState) -> Decision:
        state.misses += 1
        if state.misses >= self.settings.max_unclear:
            return self.escalate(state, "unclear_audio")
        slot = self._pending_slot(state)
        return Decision(
            say=(prompts.UNCLEAR,),
            action=Action.LISTEN,
            expecting=slot.name if slot else state.verification.get("asking"),
            understood=False,
        )

    def _on_speech(self, state: CallState, turn: CallerInput, caller: Caller) -> Decision:
        text = turn.text
        judged = self.policy.judge(
            text,
            state.frustration,
            bot_failed=state.misses > 0 or state.slot_misses > 0,
            offered=state.person_offered,
            interrupted=turn.interrupted,
        )
        state.frustration = judged.frustration
        state.sentiment.append(self.policy.trend(state.frustration))
        state.feelings = [*state.feelings, judged.feeling.to_dict()][-FEELINGS_KEPT:]
        escalation = judged.escalation
        if escalation is not None:
            return self.escalate(
                state,
                escalation.reason,
                first=escalation.lead,
                priority=escalation.priority,
                evidence=escalation.evidence,
            )
        decision = self._on_words(state, text, caller, turn.alternatives)
        if judged.acknowledge and decision.action is Action.LISTEN:
            state.person_offered = True
            return replace(decision, say=(judged.acknowledge, *decision.say))
        return decision

    def _on_words(
        self, state: CallState, text: str, caller: Caller, alternatives: tuple[str, ...] = ()
    ) -> Decision:
        if state.phase == Phase.VERIFYING:
            return self._on_verifying(state, text, caller)
        match = self.matcher.match(text)
        if state.phase == Phase.COLLECTING_SLOT:
            if extract_order_number(text) is None:
                if match.intent is not None and match.intent != state.pending_intent:
                    return self._on_intent(state, match, text, caller)  # a new request
                if yes_or_no(text) == "no":  # "no, never mind": drop the question
                    state.pending_intent, state.pending_slot = None, None
                    state.move_to(Phase.ANYTHING_ELSE)
                    return Decision(say=(prompts.ANYTHING_ELSE,), action=Action.LISTEN)
            return self._on_slot_value(state, text, caller, from_keypad=False)
        if state.phase == Phase.ANYTHING_ELSE and match.intent is None:
            answer = yes_or_no(text)
            if answer == "no":
                return self._end(state, prompts.GOODBYE)
            if answer == "yes":
                state.move_to(Phase.LISTENING)
                return Decision(say=(prompts.WHAT_ELSE,), action=Action.LISTEN)
        reading = understood(self.matcher, Reading(text, match), alternatives)
        if reading.match.intent is None:
            return self._on_no_match(state, match)
        decision = self._on_intent(state, reading.match, reading.text, caller)
        if reading.rank:  # acted on a runner-up reading: the turn is stored as that
            details = {"understood_as": reading.text, "reading": str(reading.rank)}
            decision = replace(decision, details={**decision.details, **details})
        return decision

    # -- intents and slots ----------------------------------------------------------------

    def _on_no_match(self, state: CallState, match: Match) -> Decision:
        state.misses += 1
        if state.misses >= self.settings.max_misses:
            return replace(self.escalate(state, "repeated_no_match"), understood=False)
        state.move_to(Phase.LISTENING)
        return Decision(
            say=(prompts.not_understood(self._descriptions),),
            action=Action.LISTEN,
            confidence=match.confidence,
            understood=False,
        )

    def _on_intent(self, state: CallState, match: Match, text: str, caller: Caller) -> Decision:
        assert match.intent is not None
        spec = self.intents.intents[match.intent]
        state.misses = 0
        state.intents_seen.append(spec.name)
        state.pending_intent, state.pending_slot, state.slot_misses = None, None, 0
        state.slots = {}
        if self.policy.asks_for_person(spec.name):
            return _with_match(self.escalate(state, "caller_request", evidence=text), match)
        if spec.outcome == "transfer" or self.policy.always_human(spec.name):
            kind = "intent" if spec.outcome == "transfer" else "always_human"
            return _with_match(self.escalate(state, f"{kind}:{spec.name}"), match)
        for slot in spec.slots:
            value = answers.extract(slot, text)
            if value is None:
                state.move_to(Phase.COLLECTING_SLOT)
                state.pending_intent, state.pending_slot = spec.name, slot.name
                return _with_match(
                    Decision(say=(slot.prompt,), action=Action.LISTEN, expecting=slot.name), match
                )
            state.slots[slot.name] = state.collected[slot.name] = value
        return _with_match(self._answer(state, spec, caller), match)

    def _on_slot_value(
        self, state: CallState, text: str, caller: Caller, *, from_keypad: bool
    ) -> Decision:
        spec = self.intents.intents[state.pending_intent or ""]
        slot = self._pending_slot(state)
        assert slot is not None
        value = answers.extract(slot, text)
        if value is None:
            state.slot_misses += 1
            if state.slot_misses >= self.settings.max_slot_misses:
                return replace(self.escalate(state, "slot_not_understood"), understood=False)
            return Decision(
                say=(slot.reprompt, prompts.SLOT_AGAIN),
                action=Action.LISTEN,
                expecting=slot.name,
                understood=False,
            )
        state.slots[slot.name] = state.collected[slot.name] = value
        remaining = [s for s in spec.slots if s.name not in state.slots]
        if remaining:
            state.pending_slot = remaining[0].name
            return Decision(
                say=(remaining[0].prompt,), action=Action.LISTEN, expecting=remaining[0].name
            )
        decision = self._answer(state, spec, caller)
        return replace(
            decision,
            intent=spec.name,
            confidence=1.0 if from_keypad else None,
            details={**decision.details, slot.name: value},
        )

    def _answer(self, state: CallState, spec: IntentSpec, caller: Caller) -> Decision:
        verification = self.verifier.verification(state, caller)
        if not verification.meets(spec.needs):
            state.pending_intent = spec.name  # answered once the caller is verified
            return self._step(
                state, caller, lambda: self.verifier.begin(*self._verifying(state, caller))
            )
        fields: dict[str, str] = {}
        found = True
        said: str | None = None  # the backend's own sentence, instead of the template
        looked: dict[str, str] = {}  # what the lookup did, for the turn's record
        if spec.fulfillment:
            t0 = time.perf_counter()
            try:
                result = self.fulfillment.lookup(
                    spec.fulfillment, dict(state.slots), caller.number, verification
                )
            except LookupFailed as exc:  # the backend's failure, already typed and logged
                log.warning("fulfillment %s failed: %s", spec.fulfillment, exc)
                return self._lookup_failed(state, answers.looked(spec.fulfillment, exc.kind, t0))
            except Exception:
                log.exception("fulfillment %s failed", spec.fulfillment)
                return self._lookup_failed(state, answers.looked(spec.fulfillment, "error", t0))
            fields, found, said = result.fields, result.found, result.say
            looked = answers.looked(spec.fulfillment, "found" if found else "not_found", t0)
        if not found and spec.slots:
            # Wrong number? Let the caller try again before handing over.
            state.slot_misses += 1
            slot = spec.slots[0]
            not_found = said or answers.fill(spec.answer_not_found or "", fields)
            if state.slot_misses >= self.settings.max_slot_misses:
                decision = self.escalate(state, "slot_not_found", first=not_found)
                return replace(decision, details={**decision.details, **looked})
            state.slots.pop(slot.name, None)
            if state.phase != Phase.COLLECTING_SLOT:
                state.move_to(Phase.COLLECTING_SLOT)
            state.pending_intent, state.pending_slot = spec.name, slot.name
            return Decision(
                say=(not_found, slot.reprompt),
                action=Action.LISTEN,
                expecting=slot.name,
                details=looked,
            )
        text = spec.answer if found else (spec.answer_not_found or spec.answer)
        state.pending_intent, state.pending_slot = None, None
        state.move_to(Phase.ANYTHING_ELSE)
        return Decision(
            say=(said or answers.fill(text or "", fields), prompts.ANYTHING_ELSE),
            action=Action.LISTEN,
            details={**state.slots, **looked},
        )

    def _lookup_failed(self, state: CallState, looked: dict[str, str]) -> Decision:
        """Say we can't look it up, then hand over as the policy says: never silence."""
        decision = self.escalate(state, "fulfillment_error", first=prompts.LOOKUP_FAILED)
        return replace(decision, details={**decision.details, **looked})

    def _pending_slot(self, state: CallState) -> SlotSpec | None:
        if state.phase != Phase.COLLECTING_SLOT or state.pending_intent is None:
            return None
        spec = self.intents.intents.get(state.pending_intent)
        if spec is None:
            return None
        return next((s for s in spec.slots if s.name == state.pending_slot), None)

    def _end(self, state: CallState, text: str | None = None) -> Decision:
        if state.phase != Phase.ENDED:
            state.move_to(Phase.ENDED)
        return Decision(say=(text,) if text else (), action=Action.HANGUP)


def _with_match(decision: Decision, match: Match) -> Decision:
    return replace(decision, intent=match.intent, confidence=match.confidence)
