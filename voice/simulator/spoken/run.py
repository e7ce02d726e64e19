"""Run a spoken evaluation: every row rendered by a caller voice, placed as its own call in
each mode, and judged against what the bot stored.

Two in-process apps share the loaded engines: one in live mode (``StreamSession`` on the
virtual clock), one turn by turn (webhooks over ASGI). Each gets its own SQLite database in
a temporary folder; nothing is written to the service's own data. Background jobs (hot
reload, spike checks) are off, and the policy's opening hours are dropped so that a hand-over
never depends on the hour the evaluation runs.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voice.app import create_app
from voice.config import Settings
from voice.deps import AppContext
from voice.engines import Engines
from voice.simulator.caller_audio import Clip, render
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.spoken.cases import SpokenCase
from voice.simulator.spoken.live import LiveCall
from voice.simulator.spoken.scoring import Heard, judge
from voice.simulator.spoken.turns import TurnCalls
from voice.simulator.voices import CallerSpeaker, available, caller_speaker

MODES = ("live", "turns")


@dataclass
class RowResult:
    case: SpokenCase
    voice: str  # "" for a non-speech row
    typed_intent: str | None
    heard: dict[str, Heard] = field(default_factory=dict)

    @property
    def typed_correct(self) -> bool:
        return self.typed_intent == self.case.intent


def assign_voices(cases: Sequence[SpokenCase], voices: Sequence[str] | None) -> list[str]:
    """The voice of each row: ``voices[0]`` for every row when one voice is forced, else the
    row's own voice, else the given (or all available) voices in turn."""
    from voice.simulator.voices import VOICE_NAMES

    pool = list(voices or [name for name in VOICE_NAMES if available(name)])
    if not pool:
        raise ValueError("no caller voice is available")
    forced = voices is not None and len(voices) == 1
    out = []
    for index, case in enumerate(cases):
        if not case.is_speech:
            out.append("")
        elif forced or case.voice is None:
            out.append(pool[index % len(pool)])
        else:
            out.append(case.voice)
    return out


@contextlib.asynccontextmanager
async def service_apps(
    base: Settings, engines: Engines, modes: Sequence[str]
) -> AsyncIterator[dict[str, tuple[Any, AppContext]]]:
    with tempfile.TemporaryDirectory(prefix="spoken-eval-") as folder:
        apps: dict[str, tuple[Any, AppContext]] = {}
        async with contextlib.AsyncExitStack() as stack:
            for mode in modes:
                data = Path(folder) / mode
                data.mkdir()
                settings = _settings(base, data, mode)
                app = create_app(settings, engines=engines)
                await stack.enter_async_context(app.router.lifespan_context(app))
                apps[mode] = (app, app.state.ctx)
            yield apps


def _settings(base: Settings, data: Path, mode: str) -> Settings:
    policy = yaml.safe_load(base.policy_path.read_text(encoding="utf-8")) or {}
    policy.pop("hours", None)
    policy_path = data / "policy.yaml"
    policy_path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    values = base.model_dump()
    values.update(
        database_url=f"sqlite:///{data / 'voice.db'}",
        data_dir=data,
        voice_mode="stream" if mode == "live" else "turns",
        policy_file=policy_path,
        intents_reload_s=0,
        alert_check_interval_s=0,
        handoff_webhook_url=None,
        alert_webhook_url=None,
        public_base_url="http://eval.local",
        recording_hosts="api.twilio.com,127.0.0.1",  # the loopback stand-in for Twilio
        voice_env="development",
    )
    return Settings(_env_file=None, **values)


async def evaluate_spoken(
    cases: Sequence[SpokenCase],
    *,
    settings: Settings,
    engines: Engines,
    modes: Sequence[str] = MODES,
    voices: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[RowResult]:
    """Must run on a ``VirtualClockLoop`` (``run_virtual``). Raises ``ConfigError`` for an
    unknown or missing caller voice, ``ValueError`` for an unknown intent in the rows."""
    names = assign_voices(cases, voices)
    speakers: dict[str, CallerSpeaker] = {
        name: caller_speaker(name, engines.tts_pool) for name in sorted(set(names) - {""})
    }
    results: list[RowResult] = []
    async with service_apps(settings, engines, modes) as apps:
        first_ctx = next(iter(apps.values()))[1]
        matcher = first_ctx.intents.active.matcher if first_ctx.intents else None
        known = {name for name, _ in matcher.match("hello").ranked} if matcher else set()
        unknown = {c.intent for c in cases if c.intent and c.intent not in known}
        if unknown:
            raise ValueError(f"the rows expect intents the files do not have: {sorted(unknown)}")
        turn_calls = None
        if "turns" in apps:
            app, ctx = apps["turns"]
            turn_calls = TurnCalls(app, ctx, CallerVoice.bundled(engines.tts_pool))
        try:
            for done, (case, name) in enumerate(zip(cases, names, strict=True), start=1):
                clip = await render(speakers.get(name), case.text, case.delivery)
                typed = matcher.match(case.typed).intent if matcher and case.is_speech else None
                result = RowResult(case, name, typed)
                if "live" in apps:
                    result.heard["live"] = await _live(apps["live"][1], case, clip)
                if turn_calls is not None:
                    result.heard["turns"] = await _turns(turn_calls, case, clip)
                results.append(result)
                if progress is not None:
                    progress(done, len(cases))
        finally:
            if turn_calls is not None:
                turn_calls.close()
    return results


async def _live(ctx: AppContext, case: SpokenCase, clip: Clip) -> Heard:
    hearing = await LiveCall(ctx).hear(clip.audio.samples)
    return _judged(
        "live",
        case,
        clip,
        hearing.caller_turns(),
        hearing.starts_ms,
        hearing.preroll_ms,
        early_cut=hearing.early_cut,
    )


async def _turns(calls: TurnCalls, case: SpokenCase, clip: Clip) -> Heard:
    hearing = await calls.hear(clip.audio.samples)
    return _judged("turns", case, clip, hearing.caller_turns(), None, 0.0)


def _judged(
    mode: str,
    case: SpokenCase,
    clip: Clip,
    caller_turns: list[dict[str, Any]],
    starts_ms: list[float] | None,
    preroll_ms: float,
    *,
    early_cut: int = 0,
) -> Heard:
    return judge(
        mode,
        reference=clip.text,
        expected=case.intent,
        is_speech=case.is_speech,
        speech=clip.speech,
        caller_turns=caller_turns,
        starts_ms=starts_ms,
        preroll_ms=preroll_ms,
        early_cut=early_cut,
    )
