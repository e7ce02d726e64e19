"""The dialog with its lookups at a real HTTP endpoint, run in a worker thread as the call
service runs it: the endpoint's answer is spoken; a failing endpoint gets an apology and a
person, never silence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fulfillment.endpoint import Endpoint, refused_url
from voice.dialog.engine import DialogEngine
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Action, Caller, CallerInput, Decision, InputKind
from voice.dialog.view import DialogSettings
from voice.fulfillment.http import HttpFulfillment
from voice.intents.loader import load_intents
from voice.intents.matcher import Matcher
from voice.text import prompts

INTENTS = load_intents(Path(__file__).resolve().parents[2] / "intents")
CALLER = Caller(number="+15005550006")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as shared:
        yield shared


def bot(client: httpx.AsyncClient, url: str, **settings: object) -> DialogEngine:
    http = HttpFulfillment(client, base_url=url, secret=b"s", timeout_s=0.5)
    return DialogEngine(
        INTENTS,
        Matcher(INTENTS),
        http,
        DialogSettings(**settings),  # type: ignore[arg-type]
    )


async def say(engine: DialogEngine, state: CallState, text: str) -> Decision:
    turn = CallerInput(kind=InputKind.SPEECH, text=text, confidence=0.9)
    return await asyncio.to_thread(engine.handle, state, turn, CALLER)


async def test_the_endpoints_answer_is_spoken(
    endpoint: Endpoint, client: httpx.AsyncClient
) -> None:
    engine = bot(client, f"{endpoint.url}/ok")
    state = CallState()
    engine.greet(state)
    decision = await say(engine, state, "where is my order 45712")
    assert decision.action is Action.LISTEN
    assert decision.intent == "track_order"
    assert decision.say == (
        "Order four five seven one two left our Berlin warehouse this morning.",
        prompts.ANYTHING_ELSE,
    )
    assert endpoint.body()["slots"] == {"order_number": "45712"}
    assert endpoint.body()["caller"] == {"number": CALLER.number}
    assert decision.details["lookup"] == "order_status"
    assert decision.details["lookup_outcome"] == "found"
    assert float(decision.details["lookup_ms"]) >= 0


async def test_the_endpoints_own_sentence_and_not_found(
    endpoint: Endpoint, client: httpx.AsyncClient
) -> None:
    endpoint.answers["said"] = {"found": True, "say": "It's on the truck and arrives today."}
    endpoint.answers["unknown"] = {"found": False}
    state = CallState()
    engine = bot(client, f"{endpoint.url}/unknown")
    engine.greet(state)
    decision = await say(engine, state, "where is my order 99999")
    assert decision.say[0].startswith("I couldn't find an order with the number nine nine nine")
    assert decision.expecting == "order_number"
    assert state.phase is Phase.COLLECTING_SLOT
    engine = bot(client, f"{endpoint.url}/said")  # same state, next turn, another answer
    decision = await say(engine, state, "it's 45712")
    assert decision.say == ("It's on the truck and arrives today.", prompts.ANYTHING_ELSE)


@pytest.mark.parametrize(("mode", "outcome"), [("down", "connect"), ("slow", "timeout")])
async def test_a_failing_endpoint_gets_an_apology_then_a_person(
    endpoint: Endpoint, client: httpx.AsyncClient, mode: str, outcome: str
) -> None:
    url = refused_url() if mode == "down" else f"{endpoint.url}/slow"
    engine = bot(client, url)
    state = CallState()
    engine.greet(state)
    decision = await say(engine, state, "where is my order 45712")
    assert decision.say == (prompts.LOOKUP_FAILED, prompts.CONNECTING)
    assert decision.action is Action.TRANSFER
    assert decision.reason == "fulfillment_error"
    assert state.phase is Phase.TRANSFERRING
    assert decision.details["lookup_outcome"] == outcome
    assert prompts.LOOKUP_FAILED in engine.static_phrases()  # synthesized ahead, no wait


async def test_with_nobody_to_take_the_call_the_apology_leads_to_voicemail(
    client: httpx.AsyncClient,
) -> None:
    engine = bot(client, refused_url(), agent_available=False)
    state = CallState()
    engine.greet(state)
    decision = await say(engine, state, "what's my balance")
    assert decision.say == (prompts.LOOKUP_FAILED, prompts.VOICEMAIL_NO_AGENT)
    assert decision.action is Action.VOICEMAIL
