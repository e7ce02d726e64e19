"""Read the intent folder into an ``IntentSet``, or fail with errors an admin can act on.

Every error raised here is an ``IntentFileError`` whose message names the file and the
line to change (``intents/track_order.yaml:12: ...``), one line per problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from voice.errors import IntentFileError
from voice.intents.normalise import normalise
from voice.intents.schema import IntentSpec, SlotSpec

SUFFIXES: Final = (".yaml", ".yml")


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
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in SUFFIXES)
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
            line = _line_of(root, ("name",))
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
            line = _line_of(root, ("examples", index))
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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise IntentFileError(f"{path}:1: not UTF-8 text; save the file as UTF-8") from exc
    except OSError as exc:
        raise IntentFileError(f"{path}: cannot read the file: {exc.strerror}") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise IntentFileError(
            f"{path}:{line}: YAML syntax error: {problem}; check indentation, the ': ' after "
            "each key, and quote text that contains ': ' or starts with a special character"
        ) from exc
    except yaml.YAMLError as exc:
        raise IntentFileError(f"{path}:1: YAML error: {exc}") from exc
    if root is None:
        raise IntentFileError(f"{path}:1: the file is empty; see intents/README.md for the format")
    if not isinstance(root, yaml.MappingNode):
        raise IntentFileError(
            f"{path}:{root.start_mark.line + 1}: expected 'key: value' lines (name:, "
            "description:, examples:, ...) at the top level"
        )
    _check_duplicate_keys(path, root)
    try:
        return IntentSpec.model_validate(data), root
    except ValidationError as exc:
        problems = [_describe(path, root, error) for error in exc.errors()]
        raise IntentFileError("\n".join(problems)) from exc


def _check_duplicate_keys(path: Path, node: yaml.Node) -> None:
    """YAML keeps the last of two equal keys silently; an admin almost never means that."""
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value in first:
                raise IntentFileError(
                    f"{path}:{line}: key {key.value!r} already appears on line "
                    f"{first[key.value]}; keep one"
                )
            if isinstance(key, yaml.ScalarNode):
                first[key.value] = line
            _check_duplicate_keys(path, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(path, item)


def _line_of(root: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """1-based line of the key or list item at ``loc``, or of its nearest existing parent."""
    node = root
    line: int = root.start_mark.line + 1
    for part in loc:
        found: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    line, found = key.start_mark.line + 1, value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            found = node.value[part]
            line = found.start_mark.line + 1
        if found is None:
            break
        node = found
    return line


def _describe(path: Path, root: yaml.Node, error: ErrorDetails) -> str:
    loc = tuple(error["loc"])
    line = _line_of(root, loc)
    where = ".".join(str(part) for part in loc) or "file"
    kind = error["type"]
    model: type[BaseModel] = SlotSpec if "slots" in loc[:1] and len(loc) > 2 else IntentSpec
    if kind == "missing":
        field = loc[-1]
        what = f"required key {field!r} is missing; add '{field}: ...'"
        where = ".".join(str(part) for part in loc[:-1]) or "file"
    elif kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields)
        what = f"unknown key {loc[-1]!r}; check the spelling (allowed: {allowed})"
    elif kind == "string_type":
        what = "must be text; put it in quotes"
    elif kind == "string_pattern_mismatch":
        what = "must be snake_case: lower-case letters, digits and underscores, like track_order"
    elif kind == "value_error":
        what = str(error["msg"]).removeprefix("Value error, ")
    else:
        what = str(error["msg"])
    return f"{path}:{line}: {where}: {what}"
