"""How well the service hears callers: the hearing corpus through both call paths, and
barge-in from the caller's side, all on the virtual clock (see voice.simulator.spoken).

    python -m bench.hearing.spoken [--split test|dev|all] [--no-write]

Writes the ``hearing`` section of BENCHMARKS.md: typed beside spoken accuracy per mode and
per voice, word error rate, first words lost, clipped onsets, split turns, dropped
utterances, non-speech turns, and barge-in (bot audio the caller hears while talking over
it; backchannels that wrongly stop the bot). Test rows are the held-out part of the corpus.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.turns import pct, write_section
from voice.config import Settings
from voice.engines import Engines, load_engines
from voice.simulator.caller_audio import Delivery, render
from voice.simulator.spoken.cases import read_spoken_cases
from voice.simulator.spoken.clock import run_virtual
from voice.simulator.spoken.live import LiveCall
from voice.simulator.spoken.report import Figures, figures, grouped, percent
from voice.simulator.spoken.run import MODES, RowResult, evaluate_spoken, service_apps
from voice.simulator.voices import caller_speaker

CORPUS = Path(__file__).with_name("corpus.csv")
BARGE_VOICES = ("joe", "hibari", "flite-slt", "flite-rms", "festival-slt")
FIRST = "I forgot my password."  # a long answer to talk over
INTERRUPTIONS = (
    "Actually, can I talk to a real person please?",
    "No, wait.",
    "Hold on, that's not what I asked.",
)
BACKCHANNELS = ("Okay.", "Right.", "Yeah.")
SOUNDS = ("[cough]", "[click]", "[tone:1000:0.5]", "[music:2]")  # over the bot, no voice


@dataclass
class Barge:
    heard_ms: list[float] = field(default_factory=list)  # while talking over the bot
    not_stopped: int = 0  # interruptions after which the bot carried on
    backchannels: int = 0
    backchannel_stops: int = 0  # backchannels that cut the bot off
    sounds: int = 0
    sound_stops: int = 0  # coughs, clicks, tones, music that cut the bot off
    sound_pauses: int = 0  # ... that paused it (it then resumed its sentence)


async def barge_in(settings: Settings, engines: Engines) -> Barge:
    out = Barge()
    async with service_apps(settings, engines, ("live",)) as apps:
        ctx = apps["live"][1]
        for name in BARGE_VOICES:
            speaker = caller_speaker(name, engines.tts_pool)
            first = await render(speaker, FIRST, Delivery(lead_ms=300, trail_ms=0))
            for text in INTERRUPTIONS + BACKCHANNELS:
                backchannel = text in BACKCHANNELS
                over = await render(speaker, text, Delivery(lead_ms=0, trail_ms=0))
                into = 1.5 if backchannel else 1.0
                hearing = await LiveCall(ctx).hear(
                    first.audio.samples, over=(over.audio.samples, into)
                )
                assert hearing.interrupted_at_ms is not None
                onset = hearing.interrupted_at_ms + over.speech[0][0]
                end = hearing.interrupted_at_ms + over.speech[-1][1]
                heard = hearing.side.heard_between(
                    hearing.began + onset / 1000, hearing.began + end / 1000
                )
                bots = [t for t in hearing.record["turns"] if t["speaker"] == "bot"]
                stopped = len(bots) > 1 and bots[1]["timings"].get("interrupted") == 1.0
                if backchannel:
                    out.backchannels += 1
                    out.backchannel_stops += stopped
                else:
                    out.heard_ms.append(1000 * heard)
                    out.not_stopped += not stopped
        speaker = caller_speaker(BARGE_VOICES[0], engines.tts_pool)
        first = await render(speaker, FIRST, Delivery(lead_ms=300, trail_ms=0))
        for sound in SOUNDS:
            over = await render(None, sound, Delivery(lead_ms=0, trail_ms=0, snr_db=30))
            paused_before = ctx.metrics.sound_pauses._value.get()
            hearing = await LiveCall(ctx).hear(first.audio.samples, over=(over.audio.samples, 1.0))
            bots = [t for t in hearing.record["turns"] if t["speaker"] == "bot"]
            out.sounds += 1
            out.sound_stops += len(bots) > 1 and bots[1]["timings"].get("interrupted") == 1.0
            out.sound_pauses += ctx.metrics.sound_pauses._value.get() > paused_before
    return out


def render_section(results: Sequence[RowResult], split: str, barge: Barge, seconds: float) -> str:
    lines = [
        "<!-- hearing:start -->",
        "## Hearing: the caller-audio corpus through the call paths",
        "",
        f"`python -m bench.hearing.spoken --split {split}` on {platform.machine()}, "
        f"{len(results)} rows of `bench/hearing/corpus.csv` "
        f"({'held-out test rows' if split == 'test' else split + ' rows'}), "
        f"{seconds / 60:.0f} min. Each row is its own call, in each mode: live (the real "
        "`StreamSession` on a virtual clock) and turn by turn (the real webhooks, the "
        "recording trimmed as Twilio trims it). Typed: the matcher on the row's text.",
        "",
        "| mode | rows | typed | spoken | WER | first words lost | clipped onsets | "
        "split turns | early replies cut | dropped | non-speech turns |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode in MODES:
        lines.append(_line(mode, figures(results, mode)))
    lines += ["", "Per voice (speech rows):", ""]
    lines.append("| voice | rows | typed | live | turns | WER live | WER turns |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    speech = [r for r in results if r.case.is_speech]
    live = grouped(speech, "live", lambda r: r.voice)
    turns = grouped(speech, "turns", lambda r: r.voice)
    for voice, f in live.items():
        t = turns[voice]
        lines.append(
            f"| {voice} | {f.rows} | {_p(f.typed_accuracy)} | {_p(f.spoken_accuracy)} | "
            f"{_p(t.spoken_accuracy)} | {_p(f.word_error_rate)} | {_p(t.word_error_rate)} |"
        )
    lines += ["", "Per kind:", ""]
    lines.append("| kind | rows | typed | live | turns | split / cut (live) | dropped | 1st lost |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    live_k = grouped(results, "live", lambda r: r.case.kind)
    turns_k = grouped(results, "turns", lambda r: r.case.kind)
    for kind, f in live_k.items():
        t = turns_k[kind]
        lines.append(
            f"| {kind} | {f.rows} | {_p(f.typed_accuracy)} | {_p(f.spoken_accuracy)} | "
            f"{_p(t.spoken_accuracy)} | {f.split_turns} / {f.early_replies_cut} | "
            f"{f.dropped + t.dropped} | "
            f"{f.first_words_lost}/{t.first_words_lost} |"
        )
    heard = barge.heard_ms
    lines += [
        "",
        f"Barge-in (live, {len(heard)} interruptions and {barge.backchannels} backchannels by "
        f"{len(BARGE_VOICES)} voices, 1-1.5 s into a long answer): bot audio the caller "
        f"heard while talking over it p50 **{pct(heard, 0.5):.0f} ms**, p95 "
        f"**{pct(heard, 0.95):.0f} ms**, max {max(heard):.0f} ms; interruptions the bot "
        f"talked through: {barge.not_stopped}; backchannels that stopped the bot: "
        f"{barge.backchannel_stops}; sounds with no voice ({', '.join(SOUNDS)}) over the "
        f"bot: {barge.sound_pauses} of {barge.sounds} paused it for a moment (it then "
        f"resumed its sentence), {barge.sound_stops} stopped it. (Virtual clock: models take "
        "no time here; the "
        "real-time figure from the caller's socket is in the Media Streams section.)",
        "",
        "Early replies cut: the bot began answering a request that sounded finished "
        "(`TURN_MIN_MS`) and the caller went on within `TURN_RECOVER_MS`, so the reply "
        "stopped after its first word or two and the whole utterance was one turn "
        "(recovery). On this clock the models are instant, so the reply begins exactly at "
        "`TURN_MIN_MS`; in a real call it begins once the transcript is ready, about 500 ms "
        "into the pause here, so fewer pauses see it.",
        "<!-- hearing:end -->",
    ]
    return "\n".join(lines)


def _line(mode: str, f: Figures) -> str:
    return (
        f"| {mode} | {f.rows} | {_p(f.typed_accuracy)} | **{_p(f.spoken_accuracy)}** | "
        f"{_p(f.word_error_rate)} | {f.first_words_lost} | "
        f"{'-' if f.clipped_onsets is None else f.clipped_onsets} | {f.split_turns} | "
        f"{f.early_replies_cut if mode == 'live' else '-'} | {f.dropped} | {f.false_turns} |"
    )


def _p(value: float | None) -> str:
    return percent(value, " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["test", "dev", "all"], default="test")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    cases = read_spoken_cases(CORPUS)
    if args.split != "all":
        cases = [c for c in cases if c.split == args.split]
    settings = Settings(_env_file=None)
    engines = load_engines(settings)
    started = time.monotonic()

    async def both() -> tuple[list[RowResult], Barge]:
        results = await evaluate_spoken(cases, settings=settings, engines=engines)
        return results, await barge_in(settings, engines)

    try:
        results, barge = run_virtual(both())
    finally:
        engines.close()
    section = render_section(results, args.split, barge, time.monotonic() - started)
    print(section)
    if not args.no_write:
        write_section(section, "hearing")


if __name__ == "__main__":
    main()
