"""The interface answers that need data come through; a real deployment replaces the backend."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Literal, Protocol

from voice.intents.schema import Requires

# The call a lookup is made for, set by the call service around each dialog turn so a
# backend can pass it on (for correlation only; lookups must not depend on it).
CALL_SID: ContextVar[str | None] = ContextVar("fulfillment_call_sid", default=None)


Factor = Literal["attested", "pin", "sms_code"]
"""How a caller showed who they are: a calling number the carrier attested (SHAKEN/STIR
``A``), the account's PIN on the keypad (or spoken), a one-time code sent by text message
to the number on file."""

FACTORS_FOR_VERIFIED: Final = 2  # two different factors make a caller verified


@dataclass(frozen=True)
class Verification:
    """What a lookup is told about the caller: the level reached and the factors behind
    it. ``none``: nothing known; ``caller_id``: the calling number, unproven; ``verified``:
    two factors passed on this call."""

    level: Requires = "caller_id"
    factors: tuple[Factor, ...] = ()

    @classmethod
    def of(cls, factors: tuple[Factor, ...]) -> Verification:
        level: Requires = "verified" if len(set(factors)) >= FACTORS_FOR_VERIFIED else "caller_id"
        return cls(level=level, factors=factors)

    def meets(self, needed: Requires) -> bool:
        order = ("none", "caller_id", "verified")
        return order.index(self.level) >= order.index(needed)


UNVERIFIED: Final = Verification()


@dataclass(frozen=True)
class Credentials:
    """What the account on file offers to verify a caller: a PIN hash (``voice.fulfillment.
    pins`` format; the PIN itself never leaves the backend) and the number a one-time code
    may be texted to. ``None`` from ``Fulfillment.credentials``: no account for the number."""

    pin_hash: str | None = None
    sms_number: str | None = None


@dataclass(frozen=True)
class LookupResult:
    """``found`` False means the lookup ran and found nothing (not an error).

    ``say``, when a backend gives it, is spoken instead of the intent's answer (or its
    ``answer_not_found``); otherwise ``fields`` fill that answer's placeholders.
    """

    found: bool
    fields: dict[str, str] = field(default_factory=dict)
    say: str | None = None


class FailureKind(StrEnum):
    """Why a lookup produced no answer (the ``outcome`` label of the lookup metric)."""

    TIMEOUT = "timeout"  # no complete answer within the timeout
    CONNECT = "connect"  # refused, unknown host, TLS failure
    DISCONNECTED = "disconnected"  # the connection broke before a complete answer
    HTTP_STATUS = "http_status"  # an answer that is not 2xx (redirects included)
    TOO_LARGE = "too_large"  # a body larger than allowed
    BAD_JSON = "bad_json"  # not JSON (or not UTF-8)
    BAD_SHAPE = "bad_shape"  # JSON that breaks the response contract
    ERROR = "error"  # anything else: a bug, logged with its traceback


@dataclass(frozen=True)
class LookupFailure:
    """A lookup that failed, with how long it took to fail (milliseconds)."""

    kind: FailureKind
    detail: str
    latency_ms: float
    status: int | None = None  # the HTTP status, for ``HTTP_STATUS``


class Fulfillment(Protocol):
    def lookup(
        self,
        name: str,
        slots: dict[str, str],
        caller_number: str,
        verification: Verification = UNVERIFIED,
    ) -> LookupResult:
        """Run the lookup ``name`` (e.g. ``order_status``); raise ``KeyError`` if unknown,
        ``LookupFailed`` when the backend cannot answer. May block for up to the backend's
        timeout, so the call service runs the dialog in a worker thread. ``verification``
        is how far the caller was verified; the dialog asks only what the intent
        ``requires``, and a backend may refuse on its own as well."""
        ...

    def credentials(self, caller_number: str) -> Credentials | None:
        """How the caller of ``caller_number`` can be verified; None: no account. Raises
        ``LookupFailed`` like ``lookup``."""
        ...
