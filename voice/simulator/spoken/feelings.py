"""The policy's labelled turns spoken through the live call path: ``voice policy eval
FILE.csv --spoken`` and ``python -m bench.feelings``.

Each row is rendered by a caller voice (the available voices in turn, or those given),
placed as its own live call (the real ``StreamSession`` on the virtual clock, with voice
detection, end of turn, Whisper, the matcher, the dialog and its policy, as
``voice.simulator.spoken.run`` sets them up), and judged on what the call stored: the
feeling of the first caller turn (``state.feelings``) and the first hand-over's reason.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from voice.config import Settings
from voice.engines import Engines, load_engines
from voice.handoff.evaluate import PolicyCase, Verdict
from voice.simulator.caller_audio import Delivery, render
from voice.simulator.spoken.clock import run_virtual
from voice.simulator.spoken.live import LiveCall
from voice.simulator.spoken.run import service_apps
from voice.simulator.voices import VOICE_NAMES, CallerSpeaker, available, caller_speaker


@dataclass(frozen=True)
class SpokenVerdict:
    verdict: Verdict
    voice: str
    heard: str  # what the bot heard of the turn (redacted, as stored)


async def speak_cases(
    cases: Sequence[PolicyCase],
    *,
    settings: Settings,
    engines: Engines,
    voices: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[SpokenVerdict]:
    """Must run on a ``VirtualClockLoop`` (``run_virtual``)."""
    pool = list(voices or [name for name in VOICE_NAMES if available(name)])
    speakers: dict[str, CallerSpeaker] = {
        name: caller_speaker(name, engines.tts_pool) for name in pool
    }
    out: list[SpokenVerdict] = []
    async with service_apps(settings, engines, ("live",)) as apps:
        ctx = apps["live"][1]
        for index, case in enumerate(cases):
            name = pool[index % len(pool)]
            clip = await render(speakers[name], case.text, Delivery(seed=index + 1))
            hearing = await LiveCall(ctx).hear(clip.audio.samples)
            record = hearing.record
            feelings = (record.get("state") or {}).get("feelings") or []
            first = feelings[0] if feelings else {}
            escalations = record.get("escalations") or []
            reason = escalations[0]["reason"] if escalations else ""
            heard = next(
                (t["text"] for t in record.get("turns", []) if t["speaker"] == "caller"), ""
            )
            verdict = Verdict(
                case,
                str(first.get("level", "neutral")),
                reason.removeprefix("sensitive:") if reason.startswith("sensitive:") else "",
                bool(escalations),
                str(first.get("words", "")),
            )
            out.append(SpokenVerdict(verdict, name, heard))
            if progress is not None:
                progress(index + 1, len(cases))
    return out


def spoken_policy_eval(
    cases: Sequence[PolicyCase],
    settings: Settings,
    *,
    voices: str | None = None,
    policy: Path | None = None,
) -> list[Verdict]:
    """The command's side: load the engines, speak every case, show a progress bar."""
    logging.getLogger().setLevel(logging.WARNING)
    if policy is not None:
        settings = settings.model_copy(update={"policy_file": policy})
    names = [v.strip() for v in voices.split(",") if v.strip()] if voices else None
    engines = load_engines(settings)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        left = (total - done) / rate if rate else 0
        end = "" if done < total else "\n"
        print(f"\r{done}/{total}  {left:4.0f} s left", end=end, file=sys.stderr)

    try:
        spoken = run_virtual(
            speak_cases(cases, settings=settings, engines=engines, voices=names, progress=progress)
        )
    finally:
        engines.close()
    return [s.verdict for s in spoken]
