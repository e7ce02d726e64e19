"""Read the intent folder into an ``IntentSet``, or fail with errors an admin can act on.

Every error raised here is an ``IntentFileError`` whose message names the file and the
line to change (``intents/track_order.yaml:12: ...``), one line per problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from voice.errors import IntentFileError
from voice.intents.schema import IntentSpec
from voice.text.normalise import normalise
from voice.yamlfile import line_of, read_model

SUFFIXES: Final = (".yaml", ".yml")
NOT_INTENTS: Final = frozenset({"policy"})  # policy.yaml lives beside the intents


@dataclass(frozen=True)
class IntentSet:
    """The loaded intents, keyed by name in file-name order, and the file each came from."""

    intents: dict[str, IntentSpec]
    source: dict[str, Path]


def load_intents(directory: Path) -> IntentSet:
    """Load every ``*.yaml``/``*.yml`` file in ``directory`` (not sub-folders).

    Raises ``IntentFileError`` when the folder is missing or has no intent files, when a
    file is invalid, when a ``name`` differs from its file name, when two files define the
    same name, or when an example (after normalising) appears twice, in one or two intents.
    """
    if not directory.is_dir():
        raise IntentFileError(f"{directory}: intent folder not found; create it or fix the path")
    files = sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.suffix in SUFFIXES and p.stem not in NOT_INTENTS
    )
    if not files:
        raise IntentFileError(
            f"{directory}: no intent files; add at least one <name>.yaml (see intents/README.md)"
        )
    intents: dict[str, IntentSpec] = {}
    source: dict[str, Path] = {}
    owners: dict[str, tuple[str, Path, int]] = {}  # normalised example -> intent, file, line
    for path in files:
        spec, root = _read(path)
        if spec.name != path.stem:
            line = line_of(root, ("name",))
            raise IntentFileError(
                f"{path}:{line}: name {spec.name!r} must equal the file name {path.stem!r}; "
                f"rename the file or change 'name:'"
            )
        if spec.name in intents:
            raise IntentFileError(
                f"{path}:1: intent {spec.name!r} is already defined in {source[spec.name]}; "
                "keep one of the two files"
            )
        for index, example in enumerate(spec.examples):
            key = normalise(example)
            line = line_of(root, ("examples", index))
            if key in owners and owners[key][0] == spec.name:
                raise IntentFileError(
                    f"{path}:{line}: example {example!r} repeats the example on line "
                    f"{owners[key][2]} (they are the same once normalised); remove one"
                )
            if key in owners:
                other, other_path, other_line = owners[key]
                raise IntentFileError(
                    f"{path}:{line}: example {example!r} is also an example of {other!r} "
                    f"({other_path}:{other_line}); an example may belong to one intent only"
                )
            owners[key] = (spec.name, path, line)
        intents[spec.name] = spec
        source[spec.name] = path
    return IntentSet(intents=intents, source=source)


def load_intent_file(path: Path) -> IntentSpec:
    """Parse and validate one intent file (the name/file-name rule is checked by the set)."""
    return _read(path)[0]


def _read(path: Path) -> tuple[IntentSpec, yaml.Node]:
    return read_model(path, IntentSpec)
