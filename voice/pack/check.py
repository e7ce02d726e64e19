"""``voice intents check``: validate the intent and policy files and point at weak spots.

Errors (the service would refuse to start): invalid YAML or fields, a name that differs
from its file, an example claimed by two intents, policy references to unknown intents.
Warnings (it starts, but understanding suffers): an intent with few examples, and an
example that, left out, would be matched to another intent: callers who say it that way
may be sent to the wrong place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voice.errors import IntentFileError
from voice.intents.loader import NOT_INTENTS, SUFFIXES, IntentSet, load_intents
from voice.intents.matcher import Matcher
from voice.intents.schema import FULFILLMENTS, IntentSpec
from voice.pack.policy import load_policy
from voice.yamlfile import line_of, read_model

FEW_EXAMPLES = 10


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning"]
    where: str  # "intents/x.yaml:12"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


def check(
    directory: Path,
    policy: Path | None = None,
    make_matcher: Callable[[IntentSet], Matcher] = Matcher,
) -> list[Finding]:
    """Every problem found in ``directory`` (and the policy file), errors first.

    ``make_matcher`` builds the matcher the leave-one-out test uses (the configured one)."""
    errors = _file_errors(directory)
    if errors:
        return errors
    try:
        intents = load_intents(directory)
    except IntentFileError as exc:
        return [_error(line) for line in str(exc).splitlines()]
    policy_path = policy or directory / "policy.yaml"
    if policy_path.exists():
        try:
            load_policy(policy_path, intents)
        except IntentFileError as exc:
            errors = [_error(line) for line in str(exc).splitlines()]
    return errors + _warnings(intents, make_matcher)


def _file_errors(directory: Path) -> list[Finding]:
    """Each file on its own, so one broken file does not hide problems in the others."""
    if not directory.is_dir():
        return [Finding("error", str(directory), "intent folder not found")]
    findings: list[Finding] = []
    for path in sorted(directory.iterdir()):
        if path.suffix not in SUFFIXES or path.stem in NOT_INTENTS:
            continue
        try:
            read_model(path, IntentSpec)
        except IntentFileError as exc:
            findings += [_error(line) for line in str(exc).splitlines()]
    return findings


def _warnings(intents: IntentSet, make_matcher: Callable[[IntentSet], Matcher]) -> list[Finding]:
    findings: list[Finding] = []
    for name, spec in intents.intents.items():
        path = intents.source[name]
        _, root = read_model(path, IntentSpec)
        if len(spec.examples) < FEW_EXAMPLES:
            findings.append(
                Finding(
                    "warning",
                    f"{path}:{line_of(root, ('examples',))}",
                    f"only {len(spec.examples)} examples; give {FEW_EXAMPLES} or more varied "
                    "wordings so callers' own phrasing matches",
                )
            )
        lowered = _lowered_requirement(spec)
        if lowered:
            findings.append(Finding("warning", f"{path}:{line_of(root, ('requires',))}", lowered))
        for index, example in enumerate(spec.examples):
            others = [e for i, e in enumerate(spec.examples) if i != index]
            held_out = IntentSet(
                intents={**intents.intents, name: replace_examples(spec, others)},
                source=intents.source,
            )
            match = make_matcher(held_out).match(example)
            best = match.ranked[0][0] if match.ranked else None
            if best is not None and best != name:
                ours = dict(match.ranked).get(name, 0.0)
                findings.append(
                    Finding(
                        "warning",
                        f"{path}:{line_of(root, ('examples', index))}",
                        f"example {example!r} matches {best!r} better "
                        f"({match.ranked[0][1]:.2f} vs {ours:.2f}); reword it, or add "
                        f"similar examples here",
                    )
                )
    return findings


_LEVELS = ("none", "caller_id", "verified")


def _lowered_requirement(spec: IntentSpec) -> str | None:
    """A warning when ``requires`` is set below what the intent's lookup asks by default."""
    if spec.requires is None or spec.fulfillment is None:
        return None
    default = FULFILLMENTS[spec.fulfillment].requires
    if _LEVELS.index(spec.requires) >= _LEVELS.index(default):
        return None
    return (
        f"requires: {spec.requires} is below what {spec.fulfillment!r} asks by default "
        f"({default}): callers reach its data with less proof of who they are"
    )


def replace_examples(spec: IntentSpec, examples: list[str]) -> IntentSpec:
    return spec.model_copy(update={"examples": examples})


def _error(line: str) -> Finding:
    where, _, message = line.partition(": ")
    return Finding("error", where, message or line)
