"""Where a hand-over goes next: the next agent, the queue, or a voicemail.

Agents are tried in the configured order. An agent takes a call by pressing 1 after hearing
the summary; pressing 2, not answering, being busy or not pressing anything passes it on.
After the last agent the caller waits in the queue (urgent callers first); if nobody takes
them from there, they leave a voicemail and are promised a call back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ACCEPT_KEY = "1"
DECLINE_KEY = "2"
BRIDGED = ("completed", "answered")
QUEUE_ANSWERED = ("bridged", "bridging-in-process")
QUEUE_HUNG_UP = ("hangup",)


@dataclass(frozen=True)
class NextStep:
    kind: Literal["done", "dial", "queue", "voicemail"]
    agent: int = 0  # with "dial": index into the agent list


def after_dial(*, accepted: bool, status: str, agent: int, agents: int, queue: bool) -> NextStep:
    """The step after ``<Dial>`` to agent number ``agent`` ended with ``DialCallStatus``."""
    if accepted and status in BRIDGED:
        return NextStep("done")
    if agent + 1 < agents:
        return NextStep("dial", agent + 1)
    if queue:
        return NextStep("queue")
    return NextStep("voicemail")


def attempt_status(*, accepted: bool, declined: bool, status: str) -> str:
    """What to record for one agent attempt: accepted calls are ``completed``; a call the
    agent's phone answered but the agent did not accept is ``declined`` or ``not-accepted``."""
    if accepted:
        return "completed" if status in BRIDGED else status
    if status in BRIDGED:
        return "declined" if declined else "not-accepted"
    return status or "failed"


def queue_name(base: str, priority: str) -> str:
    """Plain Twilio queues are first in, first out: urgent and high callers get their own
    queues, which agents (or a TaskRouter workflow) take from first."""
    return base if priority == "normal" else f"{base}-{priority}"
