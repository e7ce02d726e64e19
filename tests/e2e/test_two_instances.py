"""Two real `voice serve` instances behind a real nginx (deploy/nginx/voice-locations.conf),
sharing one PostgreSQL, one intents folder and one reply audio folder; each has a data
folder of its own. Everything Twilio and the agents do goes through the proxy, which
alternates plain HTTP between the instances; its access log says who served what.

The instances run turn by turn first, then are restarted in the live mode (a stream-mode
instance answers `/twilio/voice` with a Media Stream, so one call cannot be both)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.analytics.seed import bulk_intent_calls
from tests.conftest import AGENT
from tests.e2e.cluster import ALERT_SECRET, AUTH, HANDOFF_SECRET, Cluster, Follower, open_cluster
from tests.e2e.instances import Instance, Served, Webhook
from voice.engines import Engines
from voice.handoff.webhook import verify
from voice.simulator.call import Exchange
from voice.simulator.script import Say, Step
from voice.store.repo import Store
from voice.text import prompts


@pytest.fixture(scope="module")
async def cluster(
    pg_url: str, engines: Engines, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    async with open_cluster(pg_url, engines, tmp_path_factory.mktemp("two-instances")) as made:
        yield made


def caller_turns(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in record["turns"] if t["speaker"] == "caller"]


def bot_text(record: dict[str, Any]) -> str:
    return " ".join(t["text"] for t in record["turns"] if t["speaker"] == "bot")


async def only_one_handoff(cluster: Cluster, call_sid: str) -> Webhook:
    """The call's hand-over webhook, signed, and no second one after the retry delays."""
    first = await cluster.receiver.wait_for("handoff", call_sid)
    await asyncio.sleep(3)  # past the first retries (1 and 2 s): a duplicate would be here
    sent = [w for w in cluster.receiver.of("handoff") if w.payload["call_sid"] == call_sid]
    assert sent == [first], [w.payload for w in sent]
    assert first.path == "/crm/handoff"
    assert verify(
        HANDOFF_SECRET.encode(),
        first.headers["X-Voice-Timestamp"],
        first.body,
        first.headers["X-Voice-Signature"],
    )
    cluster.handed_over.add(call_sid)
    return first


async def test_a_turn_by_turn_call_alternates_between_instances(cluster: Cluster) -> None:
    await cluster.use("turns")
    mark = cluster.proxy.mark()
    steps: list[Step] = [
        Say("Where is my order?"),
        Say("It's four five seven one two."),
        Say("Can I talk to a person please?"),
    ]
    async with httpx.AsyncClient(base_url=cluster.proxy.url, timeout=60) as client:
        result = await cluster.call(client).run(steps)
    served = cluster.proxy.served_since(mark)
    record = await cluster.record(result.call_sid)

    # The call went as it goes on one instance.
    caller = caller_turns(record)
    assert caller[0]["intent"] == "track_order", caller
    assert caller[-1]["intent"] == "speak_to_agent", caller
    assert "Order four five seven one two shipped" in bot_text(record)
    assert prompts.CONNECTING in bot_text(record)
    assert result.dialed == [AGENT] and result.played and not result.said
    [transfer] = record["transfers"]
    assert (transfer["reason"], transfer["status"]) == ("caller_request", "completed")
    assert record["status"] == "completed"

    # ... though its requests alternated between the two instances.
    assert all(s.status < 400 and "," not in s.upstream for s in served), served
    webhooks = [s for s in served if s.method == "POST" and s.path.startswith("/twilio/")]
    turns = [s for s in webhooks if s.path == "/twilio/turn"]
    assert len(turns) == len(steps)
    assert {s.upstream for s in turns} == {i.address for i in cluster.instances}, turns
    assert {s.upstream for s in webhooks} == {i.address for i in cluster.instances}
    # Twilio fetched reply audio from the instance that did not make the TwiML naming it.
    crossed = _audio_from_the_other_instance(served)
    assert crossed, served
    for instance in cluster.instances:  # each instance's own log agrees
        assert re.search(r'"POST /twilio/turn HTTP/1\.1" 200', instance.log()), instance.name
    await only_one_handoff(cluster, result.call_sid)


def _audio_from_the_other_instance(served: list[Served]) -> list[Served]:
    """The reply audio requests served by another instance than the webhook before them."""
    crossed: list[Served] = []
    maker: str | None = None
    for line in served:
        if line.method == "POST":
            maker = line.upstream
        elif line.path.startswith("/audio/") and maker is not None and line.upstream != maker:
            assert line.status == 200
            crossed.append(line)
    return crossed


NEW_EXAMPLE = "are you around on the fourth of july"


async def try_phrase(instance: Instance, text: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=instance.url, headers=AUTH) as client:
        response = await client.post("/api/intents/try", json={"text": text})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_an_intent_edit_through_one_instance_reaches_both(cluster: Cluster) -> None:
    """Added through the admin API on instance a (addressed directly), written to the
    shared folder; b loads it on its own within INTENTS_RELOAD_S."""
    await cluster.use(cluster.mode or "turns")
    a, b = cluster.instances
    before = [await try_phrase(i, NEW_EXAMPLE) for i in (a, b)]
    assert not any(r["accepted"] and r["intent"] == "business_hours" for r in before), before
    assert before[0]["version"] == before[1]["version"]
    async with httpx.AsyncClient(base_url=a.url, headers=AUTH) as client:
        added = await client.post(
            "/api/intents/business_hours/examples", json={"text": NEW_EXAMPLE}
        )
    assert added.status_code == 201, added.text
    version = added.json()["status"]["version"]
    assert version != before[0]["version"]
    deadline = time.monotonic() + 20
    while (after := await try_phrase(b, NEW_EXAMPLE))["version"] != version:
        assert time.monotonic() < deadline, f"instance b still has version {after['version']}"
        await asyncio.sleep(0.25)
    for result in (await try_phrase(a, NEW_EXAMPLE), after):
        assert (result["accepted"], result["intent"]) == (True, "business_hours"), result


async def test_a_spike_both_instances_see_is_alerted_once(cluster: Cluster) -> None:
    """Eight calls about an outage in the last minute (written straight into the shared
    database); both instances check every second, and both are also asked at once."""
    await cluster.use(cluster.mode or "turns")
    store = Store(cluster.pg_url)
    try:
        when = datetime.now(UTC) - timedelta(seconds=5)
        bulk_intent_calls(store, [(when, "report_outage", None)] * 8, prefix="SPIKE")
    finally:
        store.close()

    async def check(instance: Instance) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=instance.url, headers=AUTH, timeout=30) as client:
            response = await client.post("/api/analytics/check-spikes")
        assert response.status_code == 200, response.text
        spikes: list[dict[str, Any]] = response.json()["spikes"]
        return [s for s in spikes if s["key"] == "intent:report_outage"]

    found = await asyncio.gather(*(check(i) for i in cluster.instances))
    assert all(len(spikes) == 1 for spikes in found), found
    assert len({spikes[0]["alert_id"] for spikes in found}) == 1  # the same alert
    assert sum(spikes[0]["opened"] for spikes in found) <= 1  # (or a background check did)
    deadline = time.monotonic() + 15
    while not cluster.receiver.of("spike_alert"):
        assert time.monotonic() < deadline, "no alert was sent"
        await asyncio.sleep(0.1)
    await asyncio.sleep(3)  # three more checks on each instance
    [alert] = cluster.receiver.of("spike_alert")
    assert alert.path == "/chat/alerts"
    assert (alert.payload["key"], alert.payload["count"]) == ("intent:report_outage", 8)
    assert alert.payload["alert_id"] == found[0][0]["alert_id"]
    timestamp, signature = alert.headers["X-Voice-Timestamp"], alert.headers["X-Voice-Signature"]
    assert verify(ALERT_SECRET.encode(), timestamp, alert.body, signature)
    assert not verify(HANDOFF_SECRET.encode(), timestamp, alert.body, signature)


async def test_a_forged_forwarded_for_does_not_escape_the_token_throttle(
    cluster: Cluster,
) -> None:
    """Each wrong admin token counts against the real client. Directly at an instance, a
    client that is not the proxy names a new X-Forwarded-For each time: it used to be
    believed (any sender was trusted), so the throttle never saw the same client twice."""
    await cluster.use(cluster.mode or "turns")
    b = cluster.instances[1]

    def client(source: str, base: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=source)
        return httpx.AsyncClient(base_url=base, transport=transport)

    wrong = {"Authorization": "Bearer not-the-token"}
    async with client("127.0.0.2", b.url) as direct:
        for n in range(6):  # five are free, the sixth locks the client out for a second
            forged = {**wrong, "X-Forwarded-For": f"198.51.100.{n}"}
            assert (await direct.get("/api/calls", headers=forged)).status_code == 401
        locked = await direct.get("/api/calls", headers={**AUTH, "X-Forwarded-For": "1.2.3.4"})
        assert locked.status_code == 429 and "retry-after" in locked.headers
    # Through the proxy the client's own address is what counts on every instance (the
    # proxy sets X-Forwarded-For), so one client locked out does not lock out the others.
    async with client("127.0.0.3", cluster.proxy.url) as guesser:
        for n in range(12):  # six on each instance
            forged = {**wrong, "X-Forwarded-For": f"203.0.113.{n}"}
            assert (await guesser.get("/api/calls", headers=forged)).status_code == 401
        assert (await guesser.get("/api/calls", headers=AUTH)).status_code == 429
    async with client("127.0.0.4", cluster.proxy.url) as agent:
        for _ in cluster.instances:  # both instances, by round robin
            assert (await agent.get("/api/calls", headers=AUTH)).status_code == 200


async def streams_open(instance: Instance) -> float:
    async with httpx.AsyncClient(base_url=instance.url, headers=AUTH) as client:
        text = (await client.get("/metrics")).text
    [value] = re.findall(r"^voice_active_streams (\S+)$", text, re.MULTILINE)
    return float(value)


async def test_a_live_call_on_one_instance_is_followed_on_the_other(cluster: Cluster) -> None:
    await cluster.use("stream")
    mark = cluster.proxy.mark()
    holder: list[Instance] = []  # the instance the stream is on, then the other one
    direct, proxied = Follower(), Follower()
    tasks: list[asyncio.Task[None]] = []
    closed_at: list[float] = []

    async def on_exchange(exchange: Exchange) -> None:
        if exchange.path == "/twilio/stream" and not holder:  # the greeting was heard
            counts = [await streams_open(i) for i in cluster.instances]
            assert sorted(counts) == [0.0, 1.0], counts
            holder.append(cluster.instances[counts.index(1.0)])
            other = next(i for i in cluster.instances if i is not holder[0])
            holder.append(other)
            sid = call.call_sid
            tasks.append(asyncio.create_task(direct.follow(other.url, sid)))
            tasks.append(asyncio.create_task(proxied.follow(cluster.proxy.url, sid)))
        if exchange.path == "/twilio/stream-ended":  # posted once the stream had closed
            closed_at.append(time.monotonic() - exchange.elapsed_ms / 1000)

    async with httpx.AsyncClient(base_url=cluster.proxy.url, timeout=60) as client:
        call = cluster.call(client)
        call.on_exchange = on_exchange
        result = await call.run([Say("I'd like to speak to a person please.")])
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=20)
    served = cluster.proxy.served_since(mark)

    [stream] = [s for s in served if s.path == "/twilio/stream"]
    assert stream.status == 101 and stream.upstream == holder[0].address  # via the proxy
    # The other instance streamed the caller's words to the console while the call was live.
    assert direct.first_turn("speak_to_agent") < closed_at[0]
    assert proxied.first_turn("speak_to_agent") < closed_at[0]
    assert [e for _, e, _ in direct.events][-1] == "end"
    assert f'"GET /api/calls/{result.call_sid}/live HTTP/1.1" 200' in holder[1].log()
    record = await cluster.record(result.call_sid)
    said = [(t["speaker"], t["text"]) for t in record["turns"]]
    assert said == [(d["speaker"], d["text"]) for _, e, d in direct.events if e == "turn"]
    assert result.dialed == [AGENT] and record["transfers"][0]["status"] == "completed"
    await only_one_handoff(cluster, result.call_sid)


async def test_nothing_was_sent_twice(cluster: Cluster) -> None:
    """Over the whole module (a restart of both instances included): one hand-over webhook
    per handed-over call in the database, and one alert."""
    async with httpx.AsyncClient(base_url=cluster.proxy.url, headers=AUTH) as client:
        response = await client.get("/api/calls", params={"handed_over": "true", "limit": 500})
    stored = {c["call_sid"] for c in response.json()["calls"]}
    sent = [w.payload["call_sid"] for w in cluster.receiver.of("handoff")]
    assert sorted(sent) == sorted(stored)
    assert cluster.handed_over <= stored
    assert len(cluster.receiver.of("spike_alert")) <= 1
