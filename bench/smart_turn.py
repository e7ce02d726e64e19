"""Does Pipecat's Smart Turn v3.2 tell a finished turn from a mid-sentence pause on phone audio?

Issue #11 names it as a possible end-of-turn signal, to be measured on phone audio before it
is trusted. Each row of the hearing corpus with pauses (``pause``, ``digits``) is rendered as
the evaluation renders it (its voice, 8 kHz mu-law, the telephone band) and cut at every
spoken part's end plus ``--tail-ms`` of silence, what the model would see at a pause: the
cut before a pause is "still talking", the cut after the last part "finished". Whole
``routine`` and ``short`` requests add finished turns. The audio is resampled to the 16 kHz
the model was trained on, with the model's own features (Whisper log-mel over the last 8 s,
waveform normalised) computed by faster-whisper's extractor, which matches Pipecat's to
1e-6.

Needs the model file, which is inside the ``pipecat-ai`` wheel (not a dependency of the
service): ``pip install --no-deps pipecat-ai``. The service does not use the model (see
BENCHMARKS.md).

    python -m bench.smart_turn [--tail-ms 200] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.turns import write_section
from voice.simulator.caller_audio import Delivery, render
from voice.simulator.voices import CallerSpeaker, caller_speaker
from voice.speech.codecs import resample

CORPUS = Path(__file__).parent / "hearing" / "corpus.csv"
MODEL = "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
KINDS = ("pause", "digits", "routine", "short")
WINDOW = 8 * 16000  # the model reads the last 8 s at 16 kHz


@dataclass(frozen=True)
class Cut:
    split: str
    kind: str
    voice: str
    finished: bool
    probability: float
    ms: float


class SmartTurn:
    """The ONNX model on one thread, fed 8 kHz phone audio."""

    def __init__(self) -> None:
        import onnxruntime as ort
        from faster_whisper.feature_extractor import FeatureExtractor

        spec = importlib.util.find_spec("pipecat")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("pipecat-ai is not installed: pip install --no-deps pipecat-ai")
        path = Path(next(iter(spec.submodule_search_locations))) / MODEL
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), sess_options=options)
        self._features = FeatureExtractor(feature_size=80, chunk_length=8)

    def probability(self, phone: np.ndarray) -> float:
        """P(the turn is finished) for int16 8 kHz audio ending at the pause."""
        x = resample(phone, 8000, 16000).astype(np.float32)[-WINDOW:] / 32768
        x = np.pad(x, (WINDOW - len(x), 0))
        x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
        features = self._features(x, padding=0)[None].astype(np.float32)
        out: Any = self._session.run(None, {"input_features": features})
        return float(np.asarray(out[0]).ravel()[0])


async def measure(tail_ms: int) -> list[Cut]:
    model = SmartTurn()
    pool = ThreadPoolExecutor(2)
    speakers: dict[str, CallerSpeaker] = {}
    cuts: list[Cut] = []
    with CORPUS.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] in KINDS]
    for row in rows:
        voice = row["voice"]
        speaker = speakers.setdefault(voice, caller_speaker(voice, pool))
        delivery = Delivery(
            pause_ms=int(row["pause_ms"] or 0),
            lead_ms=int(row["lead_ms"] or 500),
            trail_ms=int(row["trail_ms"] or 800),
        )
        clip = await render(speaker, row["text"], delivery)
        samples = clip.audio.samples
        for index, (_, end_ms) in enumerate(clip.speech):
            began = time.perf_counter()
            p = model.probability(samples[: int((end_ms + tail_ms) * 8)])
            ms = (time.perf_counter() - began) * 1000
            last = index == len(clip.speech) - 1
            cuts.append(Cut(row["split"], row["kind"], voice, last, p, ms))
    pool.shutdown()
    return cuts


def render_section(cuts: list[Cut], tail_ms: int) -> str:
    lines = [
        "<!-- smart_turn:start -->",
        "## Smart Turn v3.2 on phone audio (an end-of-turn signal, not used)",
        "",
        f"`python -m bench.smart_turn --tail-ms {tail_ms}`, {time.strftime('%Y-%m-%d')}: "
        "the rows of `bench/hearing/corpus.csv` with pauses or digits, cut at each pause "
        f"({tail_ms} ms after the voice) and at the end, and whole routine and short "
        "requests; 8 kHz mu-law phone audio resampled to 16 kHz. A useful signal would "
        "score cuts before a pause low and finished turns high.",
        "",
        "| split | kind | cut | n | P > 0.5 | P > 0.8 | median P |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for split in ("dev", "test"):
        for kind in KINDS:
            for finished in (False, True):
                ps = [
                    c.probability
                    for c in cuts
                    if c.split == split and c.kind == kind and c.finished == finished
                ]
                if not ps:
                    continue
                label = "finished" if finished else "still talking"
                lines.append(
                    f"| {split} | {kind} | {label} | {len(ps)} | {_share(ps, 0.5)} | "
                    f"{_share(ps, 0.8)} | {statistics.median(ps):.2f} |"
                )
    talking = [c.probability for c in cuts if not c.finished]
    ends = [c.probability for c in cuts if c.finished and c.kind in ("pause", "digits")]
    lines += [
        "",
        f"Over both splits, {_share(talking, 0.5)} of the cuts before a pause score above "
        f"0.5 (the model would answer), and only {_share(ends, 0.5)} of the finished ends "
        "of the same rows do: on these synthetic voices at phone quality it ranks the two "
        "the wrong way round (each part of a paused sentence is synthesized on its own). "
        "Only whole, one-breath requests score high. The "
        "service therefore ends turns on the transcript and the dialog's reading "
        "(`voice/turntaking/ending.py`) with recovery, not on this model. (Synthetic "
        "callers are a weak test of a prosody model trained on people; it may do better "
        f"on real callers.) {statistics.median(c.ms for c in cuts):.0f} ms per inference "
        "on one thread.",
        "<!-- smart_turn:end -->",
    ]
    return "\n".join(lines)


def _share(values: list[float], above: float) -> str:
    return f"{100 * sum(v > above for v in values) / len(values):.0f} %" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tail-ms", type=int, default=200, help="silence after the voice")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    section = render_section(asyncio.run(measure(args.tail_ms)), args.tail_ms)
    print(section)
    if not args.no_write:
        write_section(section, "smart_turn")


if __name__ == "__main__":
    main()
