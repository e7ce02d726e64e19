"""Capacity: how many live calls one machine carries, and what happens past that.

The service runs as its own process (``voice serve``, stream mode, bundled models), as in
production; the callers are fake Twilio Media Streams peers in this process, playing
phone-quality speech of a voice other than the product's own in real time. Each call:
the signed ``/twilio/voice``, the greeting, then three routine requests, each once the bot
has been quiet for a while. Calls start at random over ``--spread`` seconds.

Measured on the caller's side, per level of calls at once: end of speech to the first
reply audio (a "one moment" counts: it ends the silence), the longest silence a caller sat
through after speaking, turns not answered within 8 s, calls turned away (the busy path),
and the server's CPU use (its process's CPU time over the run's wall time, both cores = 200 %).

    python -m bench.capacity [--levels 1,5,10,20,30] [--limit 0] [--no-write]

``--limit`` is the server's ``MAX_LIVE_CALLS`` (0: none, the raw curve); the section then
also runs the highest level once more with the default limit, to show overload handling.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from bench.streams import connect, what_the_server_heard
from bench.turns import ADMIN, PUBLIC, ROOT, SID, TOKEN, pct, write_section
from voice.config import Settings
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.stream_caller import StreamCaller, stream_parameters
from voice.speech.codecs import read_wav

REQUESTS = [
    ("What are your opening hours?", "I forgot my password.", "Is there an outage right now?"),
    (
        "My internet has been down since this morning.",
        "Are you open on Saturdays?",
        "I want to return an item.",
    ),
    (
        "There's a charge on my bill I don't recognise.",
        "Where is my order four five seven one two?",
        "How do I reset my password?",
    ),
    (
        "I want to return an item and get my money back.",
        "What time do you close today?",
        "My connection keeps dropping.",
    ),
]
ANSWER_WITHIN_S = 8.0
QUIET_S = 2.0  # the caller speaks again once the bot has been quiet this long


@dataclass
class Level:
    calls: int
    limit: int
    replies_s: list[float] = field(default_factory=list)
    answers_s: list[float] = field(default_factory=list)  # to the answer itself (stored)
    held: int = 0  # replies that began with a "one moment"
    longest_silence_s: list[float] = field(default_factory=list)  # per call
    unanswered: int = 0
    turned_away: int = 0
    failed: int = 0
    cpu_percent: float = 0.0
    wall_s: float = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``voice serve`` in its own process, on loopback, with a fresh data folder."""

    def __init__(self, limit: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        data = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
        env = {
            **os.environ,
            "VOICE_MODE": "stream",
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "ADMIN_TOKEN": ADMIN,
            "DATA_DIR": str(data),
            "INTENTS_DIR": str(ROOT / "intents"),
            "AGENT_NUMBER": "+14155550100",
            "MAX_LIVE_CALLS": str(limit),
        }
        self.log = (data / "server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voice.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    async def ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited: see {self.log.name}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
        raise TimeoutError("the server did not start")

    def cpu_s(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


async def one_call(
    base: str, clips: dict[str, np.ndarray], said: tuple[str, ...], out: Level
) -> None:
    sid = "CA" + "".join(random.choices("0123456789abcdef", k=32))
    stream, _ = await connect(base, sid)
    if stream is None:
        out.turned_away += 1  # the busy path: straight to a person
        return
    longest = 0.0
    try:
        caller = StreamCaller(
            base.replace("http://", "ws://") + "/twilio/stream",
            public_ws_url=PUBLIC.replace("https://", "wss://") + "/twilio/stream",
            auth_token=TOKEN,
            account_sid=SID,
            call_sid=sid,
            custom_parameters=stream_parameters(stream),
        )
        async with caller:
            await caller.wait_until_quiet(QUIET_S, timeout=60)
            for text in said:
                await caller.play(clips[text])
                assert caller.last_voice_sent_at is not None
                spoke_until = caller.last_voice_sent_at
                try:
                    first = await caller.wait_for_audio(after=spoke_until, timeout=ANSWER_WITHIN_S)
                except TimeoutError:
                    out.unanswered += 1
                    longest = max(longest, ANSWER_WITHIN_S)
                    first = await caller.wait_for_audio(after=spoke_until, timeout=60)
                out.replies_s.append(first - spoke_until)
                longest = max(longest, first - spoke_until)
                await caller.wait_until_quiet(QUIET_S, timeout=90)
        out.longest_silence_s.append(longest)
        await stored_answers(base, sid, out)
    except Exception as exc:  # a failed call is counted, never hidden
        out.failed += 1
        print(f"call {sid} failed: {type(exc).__name__}: {exc}", flush=True)
        print(await what_the_server_heard(base, sid), flush=True)


async def stored_answers(base: str, sid: str, out: Level) -> None:
    """The server's own timings of the call's answers: its last voiced frame to the first
    frame of the answer itself (after any "one moment"), and how many had one."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        record = await client.get(f"/api/calls/{sid}", headers={"Authorization": f"Bearer {ADMIN}"})
    turns = record.json()["turns"]
    for before, turn in itertools.pairwise(turns):
        if before["speaker"] == "caller" and turn["speaker"] == "bot":
            timings = turn["timings"] or {}
            if "eos_to_first_audio_ms" in timings:
                out.answers_s.append(timings["eos_to_first_audio_ms"] / 1000)
            out.held += "hold_on_ms" in timings


async def run_level(calls: int, limit: int, spread_s: float, clips: dict[str, np.ndarray]) -> Level:
    level = Level(calls, limit)
    server = Server(limit)
    try:
        await server.ready()
        cpu0, wall0 = server.cpu_s(), time.monotonic()

        async def staggered(index: int) -> None:
            await asyncio.sleep(random.uniform(0, spread_s) if calls > 1 else 0)
            await one_call(server.base, clips, REQUESTS[index % len(REQUESTS)], level)

        await asyncio.gather(*(staggered(i) for i in range(calls)))
        level.wall_s = time.monotonic() - wall0
        level.cpu_percent = 100 * (server.cpu_s() - cpu0) / level.wall_s
    finally:
        server.stop()
    if level.replies_s:
        print(
            f"{calls} calls (limit {limit}): replies p50 {pct(level.replies_s, 0.5):.2f} s "
            f"p95 {pct(level.replies_s, 0.95):.2f} s, unanswered {level.unanswered}, "
            f"turned away {level.turned_away}, failed {level.failed}, "
            f"CPU {level.cpu_percent:.0f} %",
            flush=True,
        )
    return level


async def run(levels: list[int], limit: int, spread_s: float, voice_name: str) -> list[Level]:
    with ThreadPoolExecutor(2) as pool:
        voice = CallerVoice.named(voice_name, pool)
        texts = sorted({t for said in REQUESTS for t in said})
        clips = {t: read_wav(await voice.say(t)).samples for t in texts}
    results = [await run_level(n, limit, spread_s, clips) for n in levels]
    default = Settings(_env_file=None).max_live_calls
    if limit != default and default and max(levels) > default:
        results.append(await run_level(max(levels), default, spread_s, clips))
    return results


def render(levels: list[Level], spread_s: float, voice: str) -> str:
    rows = []
    for level in levels:
        answered = level.replies_s
        p50 = f"{pct(answered, 0.5) * 1000:.0f}" if answered else "-"
        p95 = f"{pct(answered, 0.95) * 1000:.0f}" if answered else "-"
        a = level.answers_s
        a50 = f"{pct(a, 0.5) * 1000:.0f}" if a else "-"
        a95 = f"{pct(a, 0.95) * 1000:.0f}" if a else "-"
        silence = f"{max(level.longest_silence_s):.1f}" if level.longest_silence_s else "-"
        limit = level.limit or "none"
        rows.append(
            f"| {level.calls} | {limit} | {p50} | {p95} | {a50} | {a95} | {level.held} | "
            f"{silence} | {level.unanswered} of {len(answered)} | {level.turned_away} | "
            f"{level.failed} | {level.cpu_percent:.0f} % |"
        )
    return "\n".join(
        [
            "<!-- capacity:start -->",
            "## Capacity: live calls at once on one machine",
            "",
            f"`python -m bench.capacity`, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
            f"{os.cpu_count()} cores, Whisper tiny.en int8 (beam 3, 1 worker, 2 threads), "
            f"Piper joe answering. `voice serve` in its own process; fake Twilio peers in "
            f"another play caller voice {voice} in real time, starting at random over "
            f"{spread_s:.0f} s; each call hears the greeting and says three routine requests, "
            f"each once the bot has been quiet {QUIET_S:.0f} s. Reply: the caller's last "
            'voiced frame to the first reply audio (a "one moment" counts). Answer: the same '
            "to the answer itself, from the server's stored timings. Silence: the "
            "longest a caller waited after speaking. Unanswered: no audio within "
            f"{ANSWER_WITHIN_S:.0f} s. CPU: the server process, 200 % = both cores.",
            "",
            "| calls at once | MAX_LIVE_CALLS | reply p50 ms | reply p95 ms | answer p50 ms "
            '| answer p95 ms | "one moment" | longest silence s | unanswered | turned away '
            "| failed | server CPU |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "<!-- capacity:end -->",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="1,5,10,20,30")
    parser.add_argument("--limit", type=int, default=0, help="MAX_LIVE_CALLS (0: none)")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which calls start")
    parser.add_argument("--voice", default="hibari", help="caller voice (not the product's)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    results = asyncio.run(run(levels, args.limit, args.spread, args.voice))
    section = render(results, args.spread, args.voice)
    print(section)
    if not args.no_write:
        write_section(section, "capacity")


if __name__ == "__main__":
    main()
