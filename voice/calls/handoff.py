"""The hand-over after the bot decided a person is needed: agents one by one, then the
queue, then a voicemail. Every attempt is a row in ``transfers``; an agent accepts by
pressing 1 after hearing the summary, which is recorded before Twilio bridges the call."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from voice.calls.service import CallService
from voice.calls.speaker import SpokenReply
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Decision
from voice.handoff.transfer import (
    ACCEPT_KEY,
    DECLINE_KEY,
    QUEUE_ANSWERED,
    QUEUE_HUNG_UP,
    NextStep,
    after_dial,
    attempt_status,
)

log = logging.getLogger(__name__)

WHISPER_PROMPT = "Press 1 to take this call, or 2 to pass it on."
NO_SUMMARY = "A caller needs help."
TRYING_NEXT = "Sorry for the wait. I'm trying someone else for you."
QUEUED = "Everyone is helping other callers right now. Please stay on the line for the next person."


class HandoffService:
    def __init__(self, calls: CallService, *, agents: tuple[str, ...], queue: bool) -> None:
        self.calls = calls
        self.store = calls.store
        self.agents = agents
        self.queue = queue

    async def latest(self, call_sid: str) -> dict[str, Any]:
        """The latest hand-over decision (reason, priority, summary) for this call."""
        call = await self.store.get_call(call_sid)
        escalations = (call or {}).get("escalations") or []
        return dict(escalations[-1]) if escalations else {}

    async def whisper(self, call_sid: str) -> SpokenReply:
        """What the agent hears on answering: the spoken summary and how to accept."""
        summary = (await self.latest(call_sid)).get("detail", {}).get("summary", {})
        spoken = summary.get("spoken") or NO_SUMMARY
        decision = Decision(say=(spoken, WHISPER_PROMPT), action=Action.LISTEN)
        return await self.calls.speaker.speak(decision, call_sid=call_sid)

    async def agent_key(self, call_sid: str, digit: str) -> bool:
        """The agent pressed ``digit`` (or nothing); True means bridge the call now."""
        transfer = await self.store.latest_transfer(call_sid)
        accepted = digit == ACCEPT_KEY
        if transfer is not None:
            status = "accepted" if accepted else ("declined" if digit == DECLINE_KEY else "no-key")
            await self.store.update_transfer(transfer.id, status=status)
        log.info("call %s: agent %s", call_sid, "accepted" if accepted else f"passed ({digit!r})")
        return accepted

    async def dial_ended(
        self, call_sid: str, *, agent: int, status: str, dial_call_sid: str, duration_s: int | None
    ) -> tuple[NextStep, SpokenReply | None]:
        """``<Dial>`` to agent ``agent`` ended: record it, and say what happens next."""
        transfer = await self.store.latest_transfer(call_sid)
        accepted = transfer is not None and transfer.status in ("accepted", "completed")
        declined = transfer is not None and transfer.status == "declined"
        if transfer is not None:
            await self.store.update_transfer(
                transfer.id,
                status=attempt_status(accepted=accepted, declined=declined, status=status),
                dial_call_sid=dial_call_sid or None,
                duration_s=duration_s,
            )
        step = after_dial(
            accepted=accepted,
            status=status,
            agent=agent,
            agents=len(self.agents),
            queue=self.queue,
        )
        reason = transfer.reason if transfer is not None else "caller_request"
        if step.kind == "done":
            await self._end(call_sid)
            return step, None
        if step.kind == "dial":
            await self.store.add_transfer(call_sid, reason=reason, target=self.agents[step.agent])
            return step, await self._say(call_sid, TRYING_NEXT)
        if step.kind == "queue":
            queued = await self.store.add_transfer(call_sid, reason=reason, target="queue")
            await self.store.update_transfer(queued, status="queued")
            return step, await self._say(call_sid, QUEUED)
        return step, await self._voicemail(call_sid)

    async def queue_task(self, call_sid: str) -> tuple[str, str]:
        """(priority, TaskRouter task attributes as JSON) for a caller going into line."""
        latest = await self.latest(call_sid)
        priority = str(latest.get("priority") or "normal")
        summary = latest.get("detail", {}).get("summary", {})
        task = {
            "call_sid": call_sid,
            "priority": priority,
            "reason": latest.get("reason"),
            "summary": summary,
        }
        return priority, json.dumps(task)

    async def position(self, call_sid: str, position: int) -> SpokenReply | None:
        if position <= 0:
            return None
        text = "You're next in line." if position == 1 else f"You are number {position} in line."
        decision = Decision(say=(text,), action=Action.LISTEN)
        return await self.calls.speaker.speak(decision, call_sid=call_sid)

    async def queue_ended(self, call_sid: str, result: str) -> SpokenReply | None:
        """``<Enqueue action>``: answered or hung up ends the call; anything else (left
        after the longest wait, queue full, error) is a voicemail with a callback promise."""
        transfer = await self.store.latest_transfer(call_sid)
        if transfer is not None:
            await self.store.update_transfer(transfer.id, status=f"queue-{result or 'error'}")
        if result in QUEUE_ANSWERED or result in QUEUE_HUNG_UP:
            await self._end(call_sid)
            return None
        return await self._voicemail(call_sid)

    async def _say(self, call_sid: str, text: str) -> SpokenReply:
        decision = Decision(say=(text,), action=Action.TRANSFER)
        return await self.calls.speak(call_sid, decision, started=time.perf_counter())

    async def _voicemail(self, call_sid: str) -> SpokenReply:
        state = CallState.from_dict((await self.store.get_state(call_sid) or ("", {}))[1])
        if state.phase is not Phase.TRANSFERRING:
            state = CallState(phase=Phase.TRANSFERRING)
        decision = self.calls.engine.transfer_failed(state)
        await self.store.save_state(call_sid, state.phase.value, state.to_dict())
        return await self.calls.speak(call_sid, decision, started=time.perf_counter())

    async def _end(self, call_sid: str) -> None:
        stored = await self.store.get_state(call_sid)
        state = CallState.from_dict(stored[1]) if stored else CallState()
        if state.phase is not Phase.ENDED:
            state.move_to(Phase.ENDED)  # a person took over; nothing more for the bot
        await self.store.save_state(call_sid, state.phase.value, state.to_dict())
