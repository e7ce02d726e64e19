"""Two `voice serve` instances, nginx in front, PostgreSQL behind, as the tests use them.

``open_cluster`` prepares the shared folders (intents with an always-open policy, reply
audio made ahead), a webhook receiver and a loopback recordings host, and starts the proxy;
``Cluster.use(mode)`` (re)starts both instances in a mode. ``Follower`` reads the agent
console's live transcript of a call as it comes."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import ACCOUNT_SID, ADMIN_TOKEN, AGENT, AUTH_TOKEN, ROOT
from tests.e2e.instances import Instance, Proxy, Receiver, nginx_binary, seed_reply_audio
from tests.pg import reset_schema
from voice.engines import Engines
from voice.simulator.call import SimulatedCall
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.simulator.voices import available

HANDOFF_SECRET = "two-instances-handoff-secret"
ALERT_SECRET = "two-instances-alert-secret"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Not the product's own voice: flite, else hibari, else a pitched variant of the bundled one.
CALLER_VOICE = next((v for v in ("flite-slt", "hibari") if available(v)), "joe-high")


@dataclass
class Cluster:
    proxy: Proxy
    instances: tuple[Instance, Instance]
    receiver: Receiver
    recordings: RecordingHost
    voice: CallerVoice
    pg_url: str
    env: dict[str, str]
    mode: str = ""
    handed_over: set[str] = field(default_factory=set)  # calls the tests handed over

    async def use(self, mode: str) -> None:
        """Both instances in ``mode``, (re)started together when they are not."""
        if self.mode == mode:
            return
        for instance in self.instances:
            instance.stop()
        for instance in self.instances:
            instance.start({**self.env, "VOICE_MODE": mode})
        await asyncio.gather(*(instance.ready() for instance in self.instances))
        self.mode = mode

    def call(self, client: httpx.AsyncClient) -> SimulatedCall:
        """A caller on the public URL, i.e. the proxy."""
        return SimulatedCall(
            client,
            public_base_url=self.proxy.url,
            auth_token=AUTH_TOKEN,
            account_sid=ACCOUNT_SID,
            recordings=self.recordings,
            voice=self.voice,
        )

    async def record(self, call_sid: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.proxy.url, headers=AUTH) as client:
            response = await client.get(f"/api/calls/{call_sid}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


@asynccontextmanager
async def open_cluster(pg_url: str, engines: Engines, root: Path) -> AsyncIterator[Cluster]:
    """The proxy, the receiver and a loopback recordings host, the instances not started
    yet (``Cluster.use`` starts them); skips without nginx."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx not found; install it to run this test (apt-get install nginx-light)")
    reset_schema(pg_url)
    intents = root / "intents"  # the shared folder admins edit, policy included
    shutil.copytree(ROOT / "intents", intents)
    policy = yaml.safe_load((intents / "policy.yaml").read_text())
    policy.pop("hours", None)  # always open: the test must not depend on the clock
    (intents / "policy.yaml").write_text(yaml.safe_dump(policy))
    receiver = Receiver()
    recordings = RecordingHost(ACCOUNT_SID, AUTH_TOKEN).start()
    instances = (Instance("a", root / "a"), Instance("b", root / "b"))
    proxy = Proxy(root / "proxy", [i.address for i in instances])
    env = {
        "VOICE_ENV": "development",
        "PUBLIC_BASE_URL": proxy.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "DATABASE_URL": pg_url,
        "AUDIO_CACHE_DIR": str(root / "reply-audio"),
        "INTENTS_DIR": str(intents),
        "INTENTS_RELOAD_S": "1",
        "AGENT_NUMBER": AGENT,
        "RECORDING_HOSTS": "api.twilio.com,127.0.0.1",  # the loopback RecordingHost
        "HANDOFF_WEBHOOK_URL": receiver.url("/crm/handoff"),
        "HANDOFF_WEBHOOK_SECRET": HANDOFF_SECRET,
        "ALERT_WEBHOOK_URL": receiver.url("/chat/alerts"),
        "ALERT_WEBHOOK_SECRET": ALERT_SECRET,
        "ALERT_CHECK_INTERVAL_S": "1",  # both instances check the same database every second
        "ALERT_WINDOW_S": "60",
        "ALERT_BASELINE_DAYS": "2",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # the proxy
        "WHISPER_THREADS": "1",  # two instances on a small machine
    }
    await seed_reply_audio({**env, "VOICE_MODE": "stream"}, engines, root / "reply-audio")
    executor = ThreadPoolExecutor(max_workers=1)
    voice = CallerVoice.named(CALLER_VOICE, executor)
    made = Cluster(proxy, instances, receiver, recordings, voice, pg_url, env)
    try:
        proxy.start(binary)
        yield made
    finally:
        for instance in instances:
            instance.stop()
        proxy.stop()
        recordings.close()
        receiver.close()
        executor.shutdown()


@dataclass
class Follower:
    """The agent console's live transcript of one call: (arrival time, event, data)."""

    events: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)

    async def follow(self, base_url: str, call_sid: str) -> None:
        async with (
            httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=60) as client,
            client.stream("GET", f"/api/calls/{call_sid}/live") as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    self.events.append((time.monotonic(), event, json.loads(line[6:])))
                    if event == "end":
                        return

    def first_turn(self, intent: str) -> float:
        times = [t for t, e, d in self.events if e == "turn" and d.get("intent") == intent]
        assert times, self.events
        return times[0]
