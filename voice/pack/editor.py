"""Adding an example to an intent file the way an admin would: one new line, nothing else.

The file is edited as text, not re-serialised, so comments, key order, quoting and folded
answers stay byte for byte; the diff is the one ``- new example`` line, placed after the
last example with the same indentation (or ``, new example`` before the ``]`` of a
``[a, b]`` list). The text is written in YAML's own quoting where it needs any.

Before the file is replaced, the whole folder is loaded with the edit applied (intents and
policy), in a scratch copy; only an edit that loads is written, by a temporary file and
``os.replace``, so a reader sees the old file or the new one and never half of one. Every
refusal is an ``IntentEditError`` and leaves the file unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from voice.errors import DuplicateExample, IntentEditError, IntentFileError, UnknownIntent
from voice.intents.loader import SUFFIXES, IntentSet, load_intents
from voice.pack.policy import load_policy
from voice.text.normalise import normalise
from voice.text.redaction import REDACTION_TAG
from voice.yamlfile import line_of

MAX_EXAMPLE_CHARS: Final = 200

_lock = threading.Lock()  # one edit at a time in this process


@dataclass(frozen=True)
class AddedExample:
    intent: str
    text: str  # as written to the file (whitespace tidied)
    path: Path
    line: int  # 1-based line of the new example
    examples: int  # how many the intent has now


def add_example(
    intents_dir: Path, intent: str, text: str, *, policy_path: Path | None = None
) -> AddedExample:
    """Append ``text`` to the examples of ``intent`` in its file. Blocking (file I/O).

    Refuses (``IntentEditError``) an empty or over-long text, one holding a redaction tag
    such as ``[card]``, an unknown intent, a text that is already an example of any intent
    once normalised (``DuplicateExample``), and an edit after which the folder would not
    load. ``policy_path`` (default ``intents_dir/policy.yaml``) is validated too.
    """
    text = " ".join(text.split())
    _check_text(text)
    policy = policy_path or intents_dir / "policy.yaml"
    with _lock:
        try:
            current = load_intents(intents_dir)
        except IntentFileError as exc:
            raise IntentEditError(f"the intent files do not load; fix them first:\n{exc}") from exc
        if intent not in current.intents:
            known = ", ".join(current.intents)
            raise UnknownIntent(f"no intent {intent!r} (known: {known})")
        _refuse_duplicate(current, text)
        path = current.source[intent]
        before = path.stat()
        original = path.read_bytes().decode("utf-8")
        edited, line = insert_example(original, text)
        _check_parsed(path, edited, [*current.intents[intent].examples, text])
        _validate_folder(intents_dir, policy, path, edited)
        after = path.stat()
        if (after.st_mtime_ns, after.st_size) != (before.st_mtime_ns, before.st_size):
            raise IntentEditError(f"{path} changed while it was being edited; try again")
        _replace(path, edited)
    return AddedExample(intent, text, path, line, len(current.intents[intent].examples) + 1)


def insert_example(document: str, text: str) -> tuple[str, int]:
    """The document with ``text`` added as the last example, and the 1-based line it is on."""
    newline = "\r\n" if "\r\n" in document else "\n"
    try:
        root = yaml.compose(document, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise IntentEditError(f"the file is not valid YAML: {exc}") from exc
    node = _examples_node(root)
    if node is None or not node.value:
        raise IntentEditError("the file has no 'examples:' list to add to")
    scalar = _flow_scalar(text)
    if node.flow_style:  # examples: [a, b]  ->  examples: [a, b, text]
        close = node.end_mark.index - 1
        if document[close] != "]":
            raise IntentEditError("could not find the ']' that closes the examples list")
        edited = document[:close].rstrip(" ") + f", {scalar}" + document[close:]
        return edited, node.end_mark.line + 1
    last = node.value[-1]
    at = last.end_mark.line if last.end_mark.column == 0 else last.end_mark.line + 1
    lines = document.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")) and at >= len(lines):
        lines[-1] += newline
    lines.insert(at, " " * node.start_mark.column + "- " + scalar + newline)
    return "".join(lines), at + 1


def _check_text(text: str) -> None:
    if not text or not normalise(text):
        raise IntentEditError("the example has no words to match; type what a caller says")
    if len(text) > MAX_EXAMPLE_CHARS:
        raise IntentEditError(f"the example is over {MAX_EXAMPLE_CHARS} characters; shorten it")
    if REDACTION_TAG.search(text):
        raise IntentEditError(
            "the example holds a redaction tag such as [card]; write it as a caller would "
            "say it, without personal data"
        )


def _refuse_duplicate(current: IntentSet, text: str) -> None:
    key = normalise(text)
    for name, spec in current.intents.items():
        for index, example in enumerate(spec.examples):
            if normalise(example) == key:
                path = current.source[name]
                root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
                line = line_of(root, ("examples", index)) if root is not None else 1
                where = f"{path}:{line}"
                raise DuplicateExample(
                    f"{text!r} is already an example of {name!r} ({where}: {example!r}); "
                    "an example may belong to one intent only"
                )


def _examples_node(root: yaml.Node | None) -> yaml.SequenceNode | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "examples":
            return value if isinstance(value, yaml.SequenceNode) else None
    return None


def _flow_scalar(text: str) -> str:
    """``text`` as a YAML scalar that is safe in a block or a flow list (quoted if needed)."""
    dumped = yaml.safe_dump([text], default_flow_style=True, width=10**9, allow_unicode=True)
    return dumped.strip()[1:-1]


def _check_parsed(path: Path, document: str, expected: list[str]) -> None:
    try:
        data = yaml.safe_load(document)
    except yaml.YAMLError as exc:
        raise IntentEditError(f"{path}: the edit would break the file: {exc}") from exc
    if not isinstance(data, dict) or data.get("examples") != expected:
        raise IntentEditError(f"{path}: the edit would not read back as intended; edit by hand")


def _validate_folder(intents_dir: Path, policy: Path, path: Path, document: str) -> None:
    """Load the folder as it would be after the edit, in a scratch copy."""
    with tempfile.TemporaryDirectory(prefix="intents-check-") as scratch:
        copy = Path(scratch) / "intents"
        copy.mkdir()
        for source in intents_dir.iterdir():
            if source.is_file() and source.suffix in SUFFIXES:
                shutil.copyfile(source, copy / source.name)
        (copy / path.name).write_bytes(document.encode("utf-8"))
        policy_copy = copy / policy.name
        if policy.parent != intents_dir:
            policy_copy = Path(scratch) / policy.name
            if policy.is_file():
                shutil.copyfile(policy, policy_copy)
        try:
            loaded = load_intents(copy)
            if policy_copy.is_file():
                load_policy(policy_copy, loaded)
        except IntentFileError as exc:
            message = str(exc).replace(str(policy_copy), str(policy))
            message = message.replace(str(copy), str(intents_dir))
            raise IntentEditError(f"the edit would make the files invalid:\n{message}") from exc


def _replace(path: Path, document: str) -> None:
    """Write atomically: a temporary file beside ``path`` (not *.yaml), then ``os.replace``."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(document.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
