"""``voice intents eval FILE.csv --spoken``: the spoken evaluation from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from voice.errors import VoiceError


def spoken_eval(args: argparse.Namespace) -> int:
    from voice.config import load_settings
    from voice.engines import load_engines
    from voice.simulator.spoken.cases import read_spoken_cases
    from voice.simulator.spoken.clock import run_virtual
    from voice.simulator.spoken.report import format_report, report_json
    from voice.simulator.spoken.run import MODES, evaluate_spoken

    logging.getLogger().setLevel(logging.WARNING)  # the calls' own logs would drown the bar
    try:
        cases = read_spoken_cases(args.cases)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.split:
        cases = [case for case in cases if case.split == args.split]
    modes = MODES if args.mode == "both" else (args.mode,)
    voices = [v.strip() for v in args.voice.split(",") if v.strip()] if args.voice else None
    overrides = {"intents_dir": args.dir} if args.dir else {}
    settings = load_settings(**overrides)
    engines = load_engines(settings)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        filled = int(30 * done / max(total, 1))
        bar = "#" * filled + "-" * (30 - filled)
        rate = done / max(time.monotonic() - started, 1e-6)
        left = (total - done) / rate if rate else 0
        end = "" if done < total else "\n"
        print(f"\r[{bar}] {done}/{total}  {left:4.0f} s left", end=end, file=sys.stderr)

    try:
        results = run_virtual(
            evaluate_spoken(
                cases,
                settings=settings,
                engines=engines,
                modes=modes,
                voices=voices,
                progress=progress,
            )
        )
    except (VoiceError, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    finally:
        engines.close()
    if args.json:
        print(json.dumps(report_json(results, modes), indent=2))
    else:
        print(format_report(results, modes))
    return 0
