"""``voice serve``, ``voice call`` and ``voice provision``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from voice.errors import ConfigError, VoiceError

log = logging.getLogger("voice")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="voice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the service (Twilio webhooks, API)")
    serve.add_argument("--host", help="bind address (default: HOST setting, 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port (default: PORT setting, 8000)")

    sub.add_parser("provision", help="prepare and check the configured speech models")

    intents = sub.add_parser("intents", help="tools for the intent files").add_subparsers(
        dest="intents_command", required=True
    )
    checker = intents.add_parser(
        "check", help="validate intent and policy files; warn about weak examples"
    )
    checker.add_argument("--dir", type=Path, help="intent folder (default: INTENTS_DIR)")
    checker.add_argument("--strict", action="store_true", help="fail on warnings too")
    evaluator = intents.add_parser(
        "eval", help="measure understanding on a CSV of text,intent rows (empty: out of scope)"
    )
    evaluator.add_argument("cases", type=Path, metavar="FILE.csv")
    evaluator.add_argument("--dir", type=Path, help="intent folder (default: INTENTS_DIR)")
    evaluator.add_argument(
        "--spoken",
        action="store_true",
        help="speak every row through the live-call and turn-by-turn paths with caller "
        "voices and report what the bot heard (see README, 'How well the bot hears')",
    )
    evaluator.add_argument(
        "--mode", choices=["live", "turns", "both"], default="both", help="with --spoken"
    )
    evaluator.add_argument(
        "--voice", help="with --spoken: caller voice(s), comma-separated (default: each row's)"
    )
    evaluator.add_argument("--split", choices=["dev", "test"], help="with --spoken: only these")
    evaluator.add_argument("--json", action="store_true", help="with --spoken: print JSON")
    suggester = intents.add_parser(
        "suggest",
        help="group what callers said that was not understood, with the intent each meant",
    )
    suggester.add_argument("--days", type=int, default=30, help="look this far back (30)")
    suggester.add_argument("--dir", type=Path, help="intent folder (default: INTENTS_DIR)")
    suggester.add_argument("--json", action="store_true", help="print JSON instead of a table")

    policy = sub.add_parser("policy", help="tools for the escalation policy").add_subparsers(
        dest="policy_command", required=True
    )
    policy_eval = policy.add_parser(
        "eval",
        help="measure feelings and sensitive topics on a CSV of text,feeling[,topic] rows",
    )
    policy_eval.add_argument("cases", type=Path, metavar="FILE.csv")
    policy_eval.add_argument("--policy", type=Path, help="policy file (default: POLICY_FILE)")
    policy_eval.add_argument("--dir", type=Path, help="intent folder (default: INTENTS_DIR)")
    policy_eval.add_argument("--split", choices=["dev", "test"], help="only these rows")
    policy_eval.add_argument("--json", action="store_true", help="print JSON")
    policy_eval.add_argument(
        "--spoken",
        action="store_true",
        help="speak every row through the live-call path (caller voices, Whisper) instead",
    )
    policy_eval.add_argument("--voice", help="with --spoken: caller voice(s), comma-separated")

    call = sub.add_parser(
        "call",
        help="place a simulated call against a running server",
        description=(
            "Each STEP is one caller turn: words to say, 'keys:45712#' to type, "
            "'[silence]' to stay quiet, '[tone]' for a 440 Hz tone, 'audio:file.wav'. "
            "Words may hold sounds: '[cough] Hello?', '[click]', '[noise:2]', '[music:3]'."
        ),
    )
    call.add_argument("steps", nargs="*", metavar="STEP")
    call.add_argument("--url", default="http://127.0.0.1:8000", help="where the server listens")
    call.add_argument("--public-url", help="PUBLIC_BASE_URL the server signs against")
    call.add_argument("--audio", action="store_true", help="steps are WAV files to play")
    call.add_argument(
        "--voice",
        default="joe",
        help="the caller's voice (default joe, the service's own); 'help' lists them",
    )
    call.add_argument("--from", dest="from_number", default="+15005550006")
    call.add_argument(
        "--attestation",
        default="TN-Validation-Passed-A",
        help="the StirVerstat Twilio sends (default TN-Validation-Passed-A, an attested "
        "number); 'none' for a caller ID nobody vouches for, as a spoofed one would be",
    )
    call.add_argument(
        "--agent",
        default="completed",
        help="what each agent does when called, in order, comma-separated: completed "
        "(answers, presses 1), decline (presses 2), busy, no-answer, failed",
    )
    call.add_argument(
        "--queue",
        choices=["bridged", "leave", "hangup"],
        default="bridged",
        help="how a wait in the queue ends",
    )

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "provision":
            return _provision()
        if args.command == "intents" and args.intents_command == "eval":
            return _intents_eval(args)
        if args.command == "intents" and args.intents_command == "suggest":
            return _intents_suggest(args)
        if args.command == "intents":
            return _intents_check(args)
        if args.command == "policy":
            return _policy_eval(args)
        return asyncio.run(_call(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except VoiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from voice.app import create_app
    from voice.config import load_settings

    settings = load_settings()
    app = create_app(settings)
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        proxy_headers=True,  # believed only from FORWARDED_ALLOW_IPS (the proxy)
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    return 0


def _intents_check(args: argparse.Namespace) -> int:
    from voice.config import load_settings
    from voice.engines import load_sentence_model, matcher_factory
    from voice.pack.check import check

    settings = load_settings()
    directory = args.dir or settings.intents_dir
    policy = settings.policy_file if args.dir is None else None
    make_matcher = matcher_factory(settings, load_sentence_model(settings))
    findings = check(directory, policy, make_matcher)
    for finding in findings:
        print(finding)
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    print(f"{directory}: {errors} errors, {warnings} warnings")
    return 1 if errors or (args.strict and warnings) else 0


def _intents_eval(args: argparse.Namespace) -> int:
    if args.spoken:
        from voice.simulator.spoken.command import spoken_eval

        return spoken_eval(args)
    from voice.config import load_settings
    from voice.engines import load_sentence_model, matcher_factory
    from voice.intents.evaluate import evaluate, format_report, read_cases
    from voice.intents.loader import load_intents

    settings = load_settings()
    try:
        cases = read_cases(args.cases)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    make_matcher = matcher_factory(settings, load_sentence_model(settings))
    matcher = make_matcher(load_intents(args.dir or settings.intents_dir))

    def progress(done: int, total: int) -> None:
        filled = int(30 * done / max(total, 1))
        bar = "#" * filled + "-" * (30 - filled)
        print(f"\r[{bar}] {done}/{total}", end="" if done < total else "\n", file=sys.stderr)

    try:
        report = evaluate(matcher, cases, progress=progress)
    except ValueError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    print(format_report(report))
    return 0


def _policy_eval(args: argparse.Namespace) -> int:
    import json

    from voice.config import load_settings
    from voice.engines import load_sentence_model
    from voice.handoff.escalation import EscalationPolicy
    from voice.handoff.evaluate import evaluate_policy, format_report, read_policy_cases, report
    from voice.intents.loader import load_intents
    from voice.pack.policy import load_policy

    settings = load_settings()
    try:
        cases = read_policy_cases(args.cases)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.split:
        cases = [c for c in cases if c.split == args.split]
    if args.spoken:
        from voice.simulator.spoken.feelings import spoken_policy_eval

        verdicts = spoken_policy_eval(cases, settings, voices=args.voice, policy=args.policy)
    else:
        intents = load_intents(args.dir or settings.intents_dir)
        spec = load_policy(args.policy or settings.policy_path, intents)
        policy = EscalationPolicy(spec, embedder=load_sentence_model(settings))
        try:
            verdicts = evaluate_policy(policy, cases)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    figures = report(verdicts)
    print(json.dumps(figures, indent=2) if args.json else format_report(figures))
    return 0


def _intents_suggest(args: argparse.Namespace) -> int:
    import json

    from voice.config import load_settings
    from voice.engines import load_sentence_model, matcher_factory
    from voice.errors import StoreError
    from voice.intents.loader import load_intents
    from voice.intents.suggest import format_table, load_utterances, suggest
    from voice.store.repo import Store

    if args.days < 1:
        print("error: --days must be 1 or more", file=sys.stderr)
        return 2
    settings = load_settings()
    make_matcher = matcher_factory(settings, load_sentence_model(settings))
    matcher = make_matcher(load_intents(args.dir or settings.intents_dir))
    store = Store(settings.database)
    try:
        suggestions = suggest(load_utterances(store, matcher, days=args.days), matcher)
    except StoreError as exc:
        print(
            f"error: cannot read the stored calls ({exc}); check DATABASE_URL, or start the "
            "service once so it creates its tables",
            file=sys.stderr,
        )
        return 1
    finally:
        store.close()
    if args.json:
        print(json.dumps([s.to_json() for s in suggestions], indent=2))
    else:
        print(format_table(suggestions))
    return 0


def _provision() -> int:
    from voice.config import load_settings
    from voice.engines import load_engines

    settings = load_settings()
    started = time.perf_counter()
    print(
        f"[1/2] loading speech-to-text {settings.whisper_model}, the {settings.tts_engine} voice "
        f"and the intent model ({settings.intent_model})"
    )
    engines = load_engines(settings)
    intent_model = engines.sentences.encoder.name if engines.sentences else "off (lexical)"
    print(
        f"[2/2] models ready in {time.perf_counter() - started:.1f} s: {engines.tts.name}, "
        f"intents: {intent_model}"
    )
    engines.close()
    return 0


async def _call(args: argparse.Namespace) -> int:
    import httpx

    from voice.config import load_settings, resolve_secrets
    from voice.simulator.call import Exchange, SimulatedCall, SimulationError
    from voice.simulator.caller_voice import CallerVoice
    from voice.simulator.recording_host import RecordingHost
    from voice.simulator.script import parse_step
    from voice.simulator.voices import VOICE_NAMES, describe_voices

    # Print the call's own lines only: each HTTP request would otherwise log one at INFO.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    if args.voice not in VOICE_NAMES:
        listing = "\n".join(f"  {line}" for line in describe_voices())
        if args.voice == "help":
            print(f"Caller voices for --voice:\n{listing}")
            return 0
        print(f"error: unknown voice {args.voice!r}; --voice takes:\n{listing}", file=sys.stderr)
        return 2
    allowed = {"completed", "decline", "busy", "no-answer", "failed"}
    agents: list[Any] = [a.strip() for a in args.agent.split(",") if a.strip()]
    if not agents or any(a not in allowed for a in agents):
        print(f"error: --agent takes {', '.join(sorted(allowed))}", file=sys.stderr)
        return 2
    try:
        steps = [parse_step(word, audio_files=args.audio) for word in args.steps]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = load_settings()
    secrets = resolve_secrets(settings)
    pool = ThreadPoolExecutor(1, thread_name_prefix="caller-voice")
    try:
        voice = CallerVoice.named(args.voice, pool, audio_dir=settings.audio_dir)
    except ConfigError:
        pool.shutdown(wait=False)
        raise
    recordings = RecordingHost(settings.twilio_account_sid, secrets.twilio_auth_token).start()
    printed: set[int] = set()
    headers = {"Authorization": f"Bearer {secrets.admin_token}"}
    try:
        async with httpx.AsyncClient(base_url=args.url, timeout=30) as client:
            sim = SimulatedCall(
                client,
                public_base_url=args.public_url or settings.public_base_url,
                auth_token=secrets.twilio_auth_token,
                account_sid=settings.twilio_account_sid,
                recordings=recordings,
                voice=voice,
                from_number=args.from_number,
                agent=agents,
                queue=args.queue,
                attestation="" if args.attestation.lower() == "none" else args.attestation,
            )
            print(
                f"Calling {args.url} as {args.from_number} with voice {args.voice} "
                f"(call {sim.call_sid})"
            )

            async def show(exchange: Exchange) -> None:
                if exchange.path.startswith("/twilio/status"):
                    return
                response = await client.get(f"/api/calls/{sim.call_sid}", headers=headers)
                if response.status_code != 200:
                    return
                for turn in response.json().get("turns", []):
                    if turn["seq"] not in printed:
                        printed.add(turn["seq"])
                        print(_format_turn(turn))

            sim.on_exchange = show
            result = await sim.run(steps)
    except httpx.ConnectError:
        print(f"error: no server at {args.url}; start it with 'make run'", file=sys.stderr)
        return 1
    except SimulationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        hint = call_error_hint(str(exc))
        if hint:
            print(f"  {hint}", file=sys.stderr)
        return 1
    finally:
        recordings.close()
        pool.shutdown(wait=False)
    async with httpx.AsyncClient(base_url=args.url, timeout=30) as client:
        record = await client.get(f"/api/calls/{sim.call_sid}", headers=headers)
    for escalation in record.json().get("escalations", []) if record.is_success else []:
        summary = escalation.get("detail", {}).get("summary", {})
        print(
            f"  [hand-over: {escalation['reason']}, {escalation['priority']}, "
            f"{escalation['outcome']}] agent hears: {summary.get('spoken', '')}"
        )
    if result.dialed:
        print(f"  [call transferred to {', '.join(result.dialed)}: agents {args.agent}]")
    if result.queued:
        print(f"  [waited in queue {', '.join(result.queued)}: {args.queue}]")
    print(
        f"Call ended by the {result.hung_up_by}. Read it back: "
        f"curl -H 'Authorization: Bearer <ADMIN_TOKEN>' {args.url}/api/calls/{sim.call_sid}"
    )
    return 0


def _format_turn(turn: dict[str, Any]) -> str:
    timings = turn.get("timings") or {}
    stages = ", ".join(
        f"{name.removesuffix('_ms')} {value:.0f} ms"
        if name.endswith("_ms")
        else f"{name} {value:g}"
        for name, value in timings.items()
    )
    if turn["speaker"] == "caller":
        heard = turn["text"] or f"({turn['kind']})"
        intent = turn.get("intent")
        conf = turn.get("confidence")
        what = (
            f" -> {intent} ({conf:.2f})"
            if intent and conf is not None
            else (" -> no match" if turn["kind"] == "speech" else "")
        )
        return f"  caller: {heard!r}{what}   [{stages}]"
    return f"  bot:    {turn['text']}   [{turn['kind']}; {stages}]"


if __name__ == "__main__":
    raise SystemExit(main())


def call_error_hint(error: str) -> str | None:
    """How to fix a call the server refused, from the refusal's text (None: no advice)."""
    if "invalid Twilio signature" in error:
        return (
            "the server signs with another TWILIO_AUTH_TOKEN: run this with the server's "
            "DATA_DIR (its dev-secrets.json) or the same TWILIO_AUTH_TOKEN, and "
            "--public-url set to its PUBLIC_BASE_URL"
        )
    if "RecordingUrl refused" in error:
        return (
            "the server does not fetch recordings from this simulator: start it with "
            "RECORDING_HOSTS=api.twilio.com,127.0.0.1 for turn-by-turn calls and voicemails "
            "(development only), or use live mode (VOICE_MODE=stream)"
        )
    return None
