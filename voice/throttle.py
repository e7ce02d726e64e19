"""Failed-attempt throttling for the admin token, per client.

The first ``FREE_FAILURES`` wrong tokens in a row cost nothing; each one after locks the
client out for twice as long as the one before (1 s, 2 s, 4 s ... up to ``MAX_LOCKOUT_S``).
A right token clears the record. Guessing a 32-character token at one try per lock-out is
hopeless; a person who mistyped waits a second or two. State is per instance, in memory,
bounded to ``MAX_CLIENTS`` (the oldest records go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 5
MAX_LOCKOUT_S = 300.0
FORGET_AFTER_S = 3600.0
"""A client with no failure for this long starts afresh."""
MAX_CLIENTS = 10_000


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class FailureThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """Seconds ``client`` must still wait before its token is looked at; 0 if none."""
        with self._lock:
            record = self._records.get(client)
            if record is None:
                return 0.0
            return max(0.0, record.locked_until - self._clock())

    def failed(self, client: str) -> int:
        """Count a wrong token; returns how many in a row ``client`` has had."""
        now = self._clock()
        with self._lock:
            record = self._records.pop(client, None)
            if record is None or now - record.last_failure > FORGET_AFTER_S:
                record = _Record()
            record.failures += 1
            record.last_failure = now
            over = record.failures - FREE_FAILURES
            if over > 0:
                record.locked_until = now + min(MAX_LOCKOUT_S, 2.0 ** (over - 1))
            self._records[client] = record
            while len(self._records) > MAX_CLIENTS:
                self._records.popitem(last=False)
            return record.failures

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._records.pop(client, None)
