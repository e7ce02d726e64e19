"""The active intent set, swapped whole while the service runs ("hot reload").

``LiveIntents`` owns the *active set*: the intents, the matcher built over them and the
escalation policy, with a version (a hash of the files' contents) and the time it became
active. The dialog engine reads ``live.active`` at the start of every turn, so one turn
always sees one consistent set and calls in progress are never dropped.

``reload`` looks at the files (names, sizes, modification times); when they changed it
loads and validates them and builds the new matcher in a worker thread (a matcher may take
a moment to build), then swaps the set in one step on the event loop. An invalid edit keeps
the last good set: the loader's ``file:line: what to change`` message is logged and kept as
``last_error`` until a later edit loads. ``watch`` polls ``reload`` every few seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voice.errors import IntentFileError
from voice.handoff.escalation import EscalationPolicy
from voice.handoff.meaning import Embedder
from voice.handoff.policy import PolicySpec
from voice.intents.loader import SUFFIXES, IntentSet, load_intents
from voice.intents.matcher import Matcher
from voice.pack.policy import load_policy

log = logging.getLogger(__name__)

MatcherFactory = Callable[[IntentSet], Matcher]
"""Builds the matcher for an intent set (the app's factory carries any loaded models)."""
Listener = Callable[["ActiveSet"], Awaitable[None]]
Signature = tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns) of each watched file


@dataclass(frozen=True)
class ActiveSet:
    """Everything the dialog needs from the files, built together and never changed."""

    intents: IntentSet
    matcher: Matcher
    policy: PolicySpec
    escalation: EscalationPolicy
    version: str  # first 12 hex digits of the SHA-256 of the files' names and contents
    loaded_at: datetime


@dataclass(frozen=True)
class ReloadResult:
    """What one ``reload`` did: ``changed`` when a new set became active."""

    changed: bool
    version: str
    error: str | None = None


@dataclass(frozen=True)
class ReloadStatus:
    version: str
    active_since: datetime
    intents: int
    last_error: str | None  # the latest failed load, until a later load succeeds
    last_error_at: datetime | None
    last_checked: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "active_since": self.active_since.isoformat(),
            "intents": self.intents,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
            "last_checked": self.last_checked.isoformat() if self.last_checked else None,
        }


def watched_files(directory: Path, policy_path: Path) -> list[Path]:
    """The intent files, ``policy.yaml`` among them, and the policy file wherever it is."""
    files = (
        {p for p in directory.iterdir() if p.is_file() and p.suffix in SUFFIXES}
        if directory.is_dir()
        else set()
    )
    if policy_path.is_file():
        files.add(policy_path)
    return sorted(files)


def signature(files: list[Path]) -> Signature:
    """Cheap change detection: a file added, removed, resized or re-saved changes it."""
    out: list[tuple[str, int, int]] = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue  # removed between listing and stat: the next poll sees it gone
        out.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def content_version(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def build_set(
    directory: Path,
    policy_path: Path,
    *,
    make_matcher: MatcherFactory = Matcher,
    clock: Callable[[], datetime] | None = None,
    sentences: Embedder | None = None,
) -> ActiveSet:
    """Load and validate everything, then build the matcher. Blocking; IntentFileError
    (``file:line: ...``) when a file is invalid. ``sentences``: the sentence model the
    policy reads feelings and topics by meaning with (None: by phrase only)."""
    version = content_version(watched_files(directory, policy_path))
    intents = load_intents(directory)
    policy = load_policy(policy_path, intents)
    escalation = (
        EscalationPolicy(policy, clock=clock, embedder=sentences)
        if clock is not None
        else EscalationPolicy(policy, embedder=sentences)
    )
    return ActiveSet(
        intents=intents,
        matcher=make_matcher(intents),
        policy=policy,
        escalation=escalation,
        version=version,
        loaded_at=datetime.now(UTC),
    )


class LiveIntents:
    """The active set and its reloads. Construct it at start-up: a broken file raises there
    (start-up fails as before); after that, broken edits are reported and ignored."""

    def __init__(
        self,
        directory: Path,
        policy_path: Path,
        *,
        make_matcher: MatcherFactory = Matcher,
        clock: Callable[[], datetime] | None = None,
        sentences: Embedder | None = None,
    ) -> None:
        self.directory = directory
        self.policy_path = policy_path
        self._make_matcher = make_matcher
        self._clock = clock
        self._sentences = sentences
        seen = signature(watched_files(directory, policy_path))
        self._active = self._build()
        self._seen = seen
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._last_checked: datetime | None = None
        self._lock = asyncio.Lock()
        self._listeners: list[Listener] = []

    @property
    def active(self) -> ActiveSet:
        return self._active

    def status(self) -> ReloadStatus:
        return ReloadStatus(
            version=self._active.version,
            active_since=self._active.loaded_at,
            intents=len(self._active.intents.intents),
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            last_checked=self._last_checked,
        )

    def on_change(self, listener: Listener) -> None:
        """Call ``listener(new_set)`` after each swap (e.g. to synthesize new prompts)."""
        self._listeners.append(listener)

    async def reload(self, *, force: bool = False) -> ReloadResult:
        """Load the files if they changed since the last look (always, with ``force``).

        Never raises for a bad file: the result and ``status()`` carry the error, and the
        active set stays as it was.
        """
        async with self._lock:
            self._last_checked = datetime.now(UTC)
            files = await asyncio.to_thread(watched_files, self.directory, self.policy_path)
            seen = await asyncio.to_thread(signature, files)
            if seen == self._seen and not force:
                return ReloadResult(False, self._active.version, self._last_error)
            self._seen = seen  # a failed load is not retried until the files change again
            try:
                fresh = await asyncio.to_thread(self._build)
            except Exception as exc:  # IntentFileError, or a matcher that failed to build
                message = str(exc) if isinstance(exc, IntentFileError) else _describe(exc)
                self._last_error, self._last_error_at = message, datetime.now(UTC)
                log.error(
                    "intent files not reloaded, still using version %s:\n%s",
                    self._active.version,
                    message,
                )
                return ReloadResult(False, self._active.version, message)
            self._last_error = self._last_error_at = None
            if fresh.version == self._active.version and not force:
                return ReloadResult(False, fresh.version)  # saved again, same content
            previous, self._active = self._active.version, fresh
            log.info(
                "intent files reloaded: version %s -> %s, %d intents",
                previous,
                fresh.version,
                len(fresh.intents.intents),
            )
        for listener in self._listeners:
            try:
                await listener(fresh)
            except Exception:
                log.exception("after reloading intents version %s", fresh.version)
        return ReloadResult(True, fresh.version)

    async def watch(self, interval_s: float) -> None:
        """Poll for changes every ``interval_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.reload()
            except Exception:  # keep watching whatever happens
                log.exception("checking the intent files failed")

    def _build(self) -> ActiveSet:
        return build_set(
            self.directory,
            self.policy_path,
            make_matcher=self._make_matcher,
            clock=self._clock,
            sentences=self._sentences,
        )


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
