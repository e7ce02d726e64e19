"""Reading an admin-edited YAML file into a pydantic model, with errors an admin can act on.

Every error is an ``IntentFileError`` naming the file and the line to change
(``intents/policy.yaml:12: hours.open: ...``), one line per problem.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from voice.errors import IntentFileError

M = TypeVar("M", bound=BaseModel)


def read_model(
    path: Path, model: type[M], *, guide: str = "intents/README.md"
) -> tuple[M, yaml.Node]:
    """Parse ``path`` as YAML and validate it as ``model``; also return the YAML node tree."""
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
        raise IntentFileError(f"{path}:1: the file is empty; see {guide} for the format")
    if not isinstance(root, yaml.MappingNode):
        raise IntentFileError(
            f"{path}:{root.start_mark.line + 1}: expected 'key: value' lines at the top level"
        )
    check_duplicate_keys(path, root)
    try:
        return model.model_validate(data), root
    except ValidationError as exc:
        problems = [describe(path, root, error, model) for error in exc.errors()]
        raise IntentFileError("\n".join(problems)) from exc


def check_duplicate_keys(path: Path, node: yaml.Node) -> None:
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
            check_duplicate_keys(path, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            check_duplicate_keys(path, item)


def line_of(root: yaml.Node, loc: tuple[int | str, ...]) -> int:
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


def model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The nested pydantic model that the path ``loc`` leads into, if any."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif isinstance(part, int):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0] if args else None
        else:
            return None
        while typing.get_origin(current) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0] if args else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def describe(path: Path, root: yaml.Node, error: ErrorDetails, model: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    line = line_of(root, loc)
    where = ".".join(str(part) for part in loc) or "file"
    kind = error["type"]
    if kind == "missing":
        field = loc[-1]
        what = f"required key {field!r} is missing; add '{field}: ...'"
        where = ".".join(str(part) for part in loc[:-1]) or "file"
    elif kind == "extra_forbidden":
        owner = model_at(model, loc[:-1])
        allowed = f" (allowed: {', '.join(owner.model_fields)})" if owner is not None else ""
        what = f"unknown key {loc[-1]!r}; check the spelling{allowed}"
    elif kind == "string_type":
        what = "must be text; put it in quotes"
    elif kind == "string_pattern_mismatch":
        what = "must be snake_case: lower-case letters, digits and underscores, like track_order"
    elif kind == "value_error":
        what = str(error["msg"]).removeprefix("Value error, ")
    else:
        what = str(error["msg"])
    return f"{path}:{line}: {where}: {what}"
