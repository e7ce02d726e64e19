"""Reading the escalation policy file and checking it against the intent files."""

from __future__ import annotations

from pathlib import Path

from voice.errors import IntentFileError
from voice.handoff.policy import PolicySpec
from voice.intents.loader import IntentSet
from voice.yamlfile import line_of, read_model


def load_policy(path: Path, intents: IntentSet) -> PolicySpec:
    """Read and check the policy file; IntentFileError with file:line on any problem."""
    spec, root = read_model(path, PolicySpec, guide="intents/README.md (policy.yaml)")
    problems: list[str] = []
    references: list[tuple[tuple[int | str, ...], list[str]]] = [
        (("always_human",), spec.always_human),
        (("caller_request", "intents"), spec.caller_request.intents),
    ]
    for loc, names in references:
        for index, name in enumerate(names):
            if name not in intents.intents:
                line = line_of(root, (*loc, index))
                known = ", ".join(intents.intents)
                problems.append(f"{path}:{line}: {name!r} is not an intent (known: {known})")
    if spec.hours is not None:
        try:
            spec.hours.build()
        except ValueError as exc:
            problems.append(f"{path}:{line_of(root, ('hours',))}: hours: {exc}")
    if problems:
        raise IntentFileError("\n".join(problems))
    return spec
