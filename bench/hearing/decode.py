"""Whisper alone on the hearing corpus: word error and machine time per turn for each way of
decoding, to choose decoding settings on the dev rows and report them on the test rows.

    python -m bench.hearing.decode [--split dev|test|all] [--variant NAME:KEY=VALUE,...]...

Each speech row of ``bench/hearing/corpus.csv`` is rendered as the call paths render it
(its voice, pauses, level, line noise), cut to its spoken span and 0.3 s either side, and
decoded by the service's own ``WhisperSTT`` (gate, fitted window, the pack's prompt), one
turn at a time on the configured threads. A variant overrides settings by their field
names, for example ``--variant greedy:whisper_beam=1`` or
``--variant full:whisper_window_s=0``; the service's defaults are always the first row.
Nothing is written to BENCHMARKS.md: the figures that stand come from the call paths
(``bench.hearing.spoken``).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.hearing.spoken import CORPUS
from voice.config import Settings
from voice.intents.loader import load_intents
from voice.intents.vocabulary import vocabulary_prompt
from voice.simulator.caller_audio import render
from voice.simulator.spoken.cases import SpokenCase, read_spoken_cases
from voice.simulator.spoken.scoring import word_errors, words
from voice.simulator.voices import caller_speaker
from voice.speech.audio import Audio
from voice.speech.models import resolve_whisper_model
from voice.speech.stt import WhisperSTT

MARGIN_MS = 300


@dataclass
class Result:
    name: str
    turns: int
    errors: int
    reference_words: int
    ms: list[float]

    def line(self) -> str:
        wer = 100 * self.errors / max(self.reference_words, 1)
        return (
            f"| {self.name} | {self.turns} | {wer:.1f} % | {np.mean(self.ms):.0f} | "
            f"{np.percentile(self.ms, 50):.0f} / {np.percentile(self.ms, 95):.0f} |"
        )


async def clips(cases: list[SpokenCase]) -> list[tuple[str, Audio]]:
    """(reference text, spoken span) of each speech row."""
    out: list[tuple[str, Audio]] = []
    with ThreadPoolExecutor(2) as pool:
        speakers: dict[str, Any] = {}
        for case in cases:
            name = case.voice or "joe"
            if name not in speakers:
                speakers[name] = caller_speaker(name, pool)
            clip = await render(speakers[name], case.text, case.delivery)
            out.append((clip.text, clip.spoken_span(MARGIN_MS)))
    return out


async def decode(name: str, settings: Settings, audio: list[tuple[str, Audio]]) -> Result:
    with ThreadPoolExecutor(1) as pool:
        stt = WhisperSTT(
            resolve_whisper_model(settings.whisper_model),
            executor=pool,
            cpu_threads=settings.whisper_threads,
            beam_size=settings.whisper_beam,
            window_margin_s=settings.whisper_window_s,
            alternatives=settings.whisper_alternatives,
        )
        stt.load()
        stt.use_vocabulary(
            vocabulary_prompt(load_intents(settings.intents_dir), settings.company_name)
        )
        result = Result(name, 0, 0, 0, [])
        await stt.transcribe(audio[0][1])  # warm-up
        for text, clip in audio:
            t0 = time.perf_counter()
            heard = (await stt.transcribe(clip)).text
            result.ms.append(1000 * (time.perf_counter() - t0))
            reference = words(text)
            result.errors += word_errors(reference, words(heard))
            result.reference_words += len(reference)
            result.turns += 1
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    parser.add_argument("--variant", action="append", default=[])
    args = parser.parse_args()
    cases = [c for c in read_spoken_cases(CORPUS) if c.is_speech]
    if args.split != "all":
        cases = [c for c in cases if c.split == args.split]
    audio = asyncio.run(clips(cases))
    variants: list[tuple[str, dict[str, str]]] = [("defaults", {})]
    for spec in args.variant:
        name, _, assignments = spec.partition(":")
        pairs = (a.split("=", 1) for a in assignments.split(",") if a)
        variants.append((name, {key: value for key, value in pairs}))
    print(f"{len(audio)} {args.split} speech rows, bare decodes, one at a time")
    print("| variant | turns | WER | ms per turn | p50 / p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, overrides in variants:
        settings = Settings(_env_file=None, **overrides)  # type: ignore[arg-type]
        print(asyncio.run(decode(name, settings, audio)).line(), flush=True)


if __name__ == "__main__":
    main()
