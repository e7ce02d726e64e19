"""Cost of the Coqui TTS engine: import, load, synthesis of one reply, memory, phone conversion.

By default it measures a VITS model of the released size (``VitsConfig``'s defaults, the
architecture of Coqui's ``tts_models/en/*/vits`` voices: 36 M parameters without the
training-only discriminator) with random weights, since no weights can be downloaded here:
compute and memory are those of a trained model of that architecture; only the sound is
noise, and the audio length follows the random duration predictor, so times are also given
per second of audio. ``--checkpoint`` with ``--config``, or ``--model-name``, measures a real
model instead. Piper, the default engine, is timed on the same sentence for comparison. Peak
RSS is this process's (the random model is built in a child process). Writes to
``BENCHMARKS.md`` between the ``coqui`` markers.

    python -m bench.coqui_tts [--rounds 5] [--checkpoint PTH --config JSON | --model-name N]
                              [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import multiprocessing
import platform
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.turns import write_section
from voice.speech.codecs import PHONE_RATE, mulaw_encode, phone_wav, resample
from voice.speech.coqui import CoquiTTS
from voice.speech.models import BUNDLED_VOICE, resolve_piper_voice
from voice.speech.tts import PiperTTS

SENTENCE = "Thanks for calling. Your order has shipped and should arrive on Monday."


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_random_vits(folder: Path) -> tuple[Path, Path, int]:
    """A released-size VITS (characters, 22050 Hz) with random weights, as the trainer saves it."""
    torch = importlib.import_module("torch")
    configs = importlib.import_module("TTS.tts.configs.vits_config")
    models = importlib.import_module("TTS.tts.models.vits")
    trainer_io = importlib.import_module("trainer.io")
    torch.manual_seed(0)
    config = configs.VitsConfig(
        model_args=configs.VitsArgs(init_discriminator=False),
        use_phonemes=False,
        text_cleaner="english_cleaners",
    )
    model = models.Vits(config)
    parameters = sum(p.numel() for p in model.parameters())
    trainer_io.save_checkpoint(config, model, str(folder), current_step=1, epoch=0)
    trainer_io.copy_model_files(config, str(folder), {})
    del model
    return folder / "checkpoint_1.pth", folder / "config.json", parameters


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"rss_start_mb": peak_rss_mb()}
    started = time.perf_counter()
    importlib.import_module("TTS.api")
    result["torch"] = importlib.import_module("torch").__version__
    result["import_s"] = time.perf_counter() - started
    result["rss_import_mb"] = peak_rss_mb()

    with ThreadPoolExecutor(max_workers=1) as pool, tempfile.TemporaryDirectory() as temp:
        if args.model_name:
            tts = CoquiTTS(model_name=args.model_name, executor=pool)
            result["model"] = f"`{args.model_name}`"
        else:
            if args.checkpoint:
                checkpoint, config = Path(args.checkpoint), Path(args.config)
                result["model"] = f"checkpoint `{checkpoint.name}`"
            else:
                # In a child process, so that building it does not count in this one's peak RSS.
                spawn = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as builder:
                    built = builder.submit(build_random_vits, Path(temp))
                    checkpoint, config, parameters = built.result()
                result["model"] = (
                    f"VITS, released size ({parameters / 1e6:.0f} M parameters, random weights)"
                )
            result["checkpoint_mb"] = checkpoint.stat().st_size / 1e6
            tts = CoquiTTS(checkpoint_path=str(checkpoint), config_path=str(config), executor=pool)
        result["rss_before_load_mb"] = peak_rss_mb()
        started = time.perf_counter()
        tts.load()
        result["load_s"] = time.perf_counter() - started
        result["rss_loaded_mb"] = peak_rss_mb()

        times: list[float] = []
        for _ in range(args.rounds + 1):
            started = time.perf_counter()
            audio = await tts.synthesize(SENTENCE)
            times.append(time.perf_counter() - started)
        result["first_s"], result["steady_s"] = times[0], statistics.median(times[1:])
        result["audio_s"], result["rate"] = audio.duration_s, audio.rate
        result["rss_peak_mb"] = peak_rss_mb()

        started = time.perf_counter()
        for _ in range(args.rounds):
            phone_wav(audio)
            mulaw_encode(resample(audio.samples, audio.rate, PHONE_RATE))
        result["phone_ms"] = (time.perf_counter() - started) / args.rounds * 1000

        piper = PiperTTS(*resolve_piper_voice(BUNDLED_VOICE), executor=pool)
        piper.load()
        await piper.synthesize(SENTENCE)
        piper_times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            spoken = await piper.synthesize(SENTENCE)
            piper_times.append(time.perf_counter() - started)
        result["piper_s"], result["piper_audio_s"] = (
            statistics.median(piper_times),
            spoken.duration_s,
        )
    result["rounds"] = args.rounds
    return result


def render(r: dict[str, Any]) -> str:
    checkpoint = f", checkpoint {r['checkpoint_mb']:.0f} MB" if "checkpoint_mb" in r else ""
    rows = [
        ("`import TTS.api` (torch, torchaudio, Coqui)", f"{r['import_s']:.2f} s"),
        ("load the model (`CoquiTTS.load`)", f"{r['load_s']:.2f} s"),
        (
            "first synthesis of the sentence",
            f"{r['first_s'] * 1000:.0f} ms for {r['audio_s']:.2f} s of audio",
        ),
        (
            f"steady synthesis (median of {r['rounds']})",
            f"{r['steady_s'] * 1000:.0f} ms, real-time factor {r['steady_s'] / r['audio_s']:.2f}",
        ),
        (
            f"to 8 kHz WAV and mu-law ({r['rate']} Hz in)",
            f"{r['phone_ms']:.1f} ms",
        ),
        (
            "peak RSS: app modules / + `import TTS.api` / + load / + synthesis",
            f"{r['rss_start_mb']:.0f} / {r['rss_import_mb']:.0f} / {r['rss_loaded_mb']:.0f} / "
            f"{r['rss_peak_mb']:.0f} MB",
        ),
        (
            "Piper joe, same sentence, steady (for comparison)",
            f"{r['piper_s'] * 1000:.0f} ms for {r['piper_audio_s']:.2f} s of audio, "
            f"real-time factor {r['piper_s'] / r['piper_audio_s']:.2f}",
        ),
    ]
    return "\n".join(
        [
            "<!-- coqui:start -->",
            "## Coqui TTS engine (`TTS_ENGINE=coqui`)",
            "",
            f"`python -m bench.coqui_tts`, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
            f"2 cores, CPU only, torch {r['torch']}. Model: {r['model']}{checkpoint}. Sentence: "
            f'"{SENTENCE}"',
            "",
            "| measure | value |",
            "| --- | --- |",
            *(f"| {name} | {value} |" for name, value in rows),
            "",
            "Random weights give noise, and their duration predictor sets the audio length; "
            "the real-time factor is what carries over to a trained model of the same "
            "architecture. Replies are cached as 8 kHz WAVs, so each text is synthesized once.",
            "<!-- coqui:end -->",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--checkpoint", help="a Coqui .pth (with --config)")
    parser.add_argument("--config", help="the config.json of --checkpoint")
    parser.add_argument("--model-name", help="a Coqui model name (downloads on first use)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if bool(args.checkpoint) != bool(args.config):
        parser.error("--checkpoint and --config go together")
    section = render(asyncio.run(measure(args)))
    print(section)
    if not args.no_write:
        write_section(section, "coqui")


if __name__ == "__main__":
    main()
