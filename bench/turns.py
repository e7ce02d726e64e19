"""Per-stage timing of turn-based calls: download, speech-to-text, match, synthesis, total.

Runs the real app in-process (ASGI) with the bundled models, plays phone-quality caller
utterances through signed ``/twilio/turn`` webhooks, and writes p50/p95 per stage to
``BENCHMARKS.md`` (between the ``turn-based`` markers).

    python -m bench.turns [--rounds 2] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import httpx
from twilio.request_validator import RequestValidator

from voice.app import create_app
from voice.config import Settings
from voice.engines import load_engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.speech.codecs import read_wav

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = "https://bench.example.test"
TOKEN = "bench-auth-token-0123456789abcdef"
ADMIN = "bench-admin-token"
SID = "AC" + "b" * 32

UTTERANCES = [
    "Hi, I forgot my password and I can't log in to my account.",
    "I'm wondering what happened to the package I ordered last week.",
    "How much money do I currently owe on my account?",
    "There's a charge on my bill that I don't recognise.",
    "I would like my money back for the jacket I returned.",
    "My internet has been down since this morning.",
    "What time do you close on Saturday?",
    "Can I please talk to an actual human being?",
    "Where is my order four five seven one two?",
    "I need to reset my password, the link never arrived.",
    "Has my order shipped yet? I ordered it on Monday.",
    "What's my balance and when is the payment due?",
    "Why was I charged twice this month?",
    "I want to return an item and get a refund.",
    "Is there an outage in my area right now?",
    "Are you open on Sunday afternoons?",
    "Let me speak to someone in customer service please.",
    "Can you recommend a good pizza place near here?",
    "My password doesn't work anymore, can you help me?",
    "I'd like an update on my delivery, it's late.",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def bench_settings(mode: Literal["stream", "turns"]) -> Settings:
    """Default settings (models, pools) with fixed tokens and a fresh data folder."""
    return Settings(
        _env_file=None,
        voice_mode=mode,
        public_base_url=PUBLIC,
        twilio_account_sid=SID,
        twilio_auth_token=TOKEN,
        admin_token=ADMIN,
        data_dir=Path(tempfile.mkdtemp(prefix=f"bench-{mode}-")),
        intents_dir=ROOT / "intents",
        agent_number="+14155550100",
        recording_hosts="api.twilio.com,127.0.0.1",  # the loopback RecordingHost
    )


async def run(rounds: int) -> dict[str, Any]:
    settings = bench_settings("turns")
    engines = load_engines(settings)
    voice = CallerVoice.bundled(engines.tts_pool)
    host = RecordingHost(SID, TOKEN).start()
    validator = RequestValidator(TOKEN)
    wavs = [await voice.say(text) for text in UTTERANCES]
    durations = [read_wav(w).duration_s for w in wavs]
    stages: dict[str, list[float]] = {
        k: [] for k in ("download_ms", "stt_ms", "match_ms", "tts_ms", "server_ms")
    }
    fetch = httpx.AsyncClient()
    app = create_app(settings, engines=engines, http_client=fetch)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:

            async def post(path: str, params: dict[str, str]) -> httpx.Response:
                signature = validator.compute_signature(PUBLIC + path, params)
                return await client.post(
                    path, data=params, headers={"X-Twilio-Signature": signature}
                )

            # Warm-up turn (first inference is slower); not counted.
            for round_no in range(rounds + 1):
                for index, wav in enumerate(wavs):
                    call = {
                        "CallSid": f"CA{round_no:04d}{index:04d}" + "0" * 24,
                        "AccountSid": SID,
                        "From": "+15005550006",
                        "To": "+15005550001",
                        "CallStatus": "in-progress",
                        "Direction": "inbound",
                    }
                    await post("/twilio/voice", call)
                    rec_sid, url = host.add(wav)
                    params = {
                        **call,
                        "RecordingUrl": url,
                        "RecordingSid": rec_sid,
                        "RecordingDuration": "3",
                    }
                    started = time.perf_counter()
                    response = await post("/twilio/turn", params)
                    server_ms = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, response.text
                    if round_no == 0:
                        continue
                    record = await client.get(
                        f"/api/calls/{call['CallSid']}",
                        headers={"Authorization": f"Bearer {ADMIN}"},
                    )
                    turns = record.json()["turns"]
                    heard, reply = turns[1]["timings"], turns[2]["timings"]
                    for key in ("download_ms", "stt_ms", "match_ms"):
                        stages[key].append(heard[key])
                    stages["tts_ms"].append(reply["tts_ms"])
                    stages["server_ms"].append(server_ms)
    # Uncached synthesis of replies that change per call (order status, balances).
    fresh = [
        "Order four five seven one two shipped with UPS on Monday and should arrive by Friday.",
        "Your current balance is forty two dollars and fifteen cents, due on December fifteenth.",
        "I couldn't find an order with the number nine nine nine nine nine.",
    ] * 5
    synth: list[float] = []
    for text in fresh:
        t0 = time.perf_counter()
        await engines.tts.synthesize(text)
        synth.append((time.perf_counter() - t0) * 1000)
    await fetch.aclose()
    host.close()
    engines.close()
    return {
        "stages": stages,
        "synth_uncached_ms": synth,
        "utterance_s": (min(durations), statistics.mean(durations), max(durations)),
        "turns": len(stages["server_ms"]),
    }


def render(result: dict[str, Any]) -> str:
    stages: dict[str, list[float]] = result["stages"]
    lo, mean, hi = result["utterance_s"]
    names = {
        "download_ms": "download recording (loopback)",
        "stt_ms": "speech-to-text (Whisper tiny.en, int8)",
        "match_ms": "intent match",
        "tts_ms": "reply synthesis as served (cache hits included)",
        "server_ms": "whole server-side turn (request in, TwiML out)",
    }
    rows = [
        f"| {names[key]} | {pct(values, 0.5):.0f} | {pct(values, 0.95):.0f} |"
        for key, values in stages.items()
    ]
    synth = result["synth_uncached_ms"]
    rows.append(
        f"| reply synthesis, uncached (Piper joe, one sentence) | {pct(synth, 0.5):.0f} "
        f"| {pct(synth, 0.95):.0f} |"
    )
    server_p50 = pct(stages["server_ms"], 0.5)
    verdict = "met" if server_p50 <= 700 else f"missed by {server_p50 - 700:.0f} ms"
    return "\n".join(
        [
            "<!-- turn-based:start -->",
            "## Turn-based mode (`<Record>` webhooks)",
            "",
            f"`make bench` (`python -m bench.turns`), {result['turns']} turns over "
            f"{len(UTTERANCES)} phone-quality utterances of {lo:.1f}-{hi:.1f} s "
            f"(mean {mean:.1f} s), on {platform.machine()} with 2 cores, "
            f"{time.strftime('%Y-%m-%d')}.",
            "",
            "| stage | p50 ms | p95 ms |",
            "| --- | ---: | ---: |",
            *rows,
            "",
            f"Target: whole server-side turn p50 <= 700 ms: **{verdict}** "
            f"(p50 {server_p50:.0f} ms).",
            "",
            "Not included: Twilio's own `<Record>` silence timeout (`RECORD_TIMEOUT_S`, 2 s) "
            "before the request, and the network between Twilio and the service. The "
            "Media Streams mode is what removes the silence wait.",
            "<!-- turn-based:end -->",
        ]
    )


def write_section(section: str, name: str) -> None:
    """Replace the ``<!-- name:start -->...<!-- name:end -->`` part of BENCHMARKS.md."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    section = render(asyncio.run(run(args.rounds)))
    print(section)
    if not args.no_write:
        write_section(section, "turn-based")


if __name__ == "__main__":
    main()
