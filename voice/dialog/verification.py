"""Verifying the caller before an intent that ``requires: verified`` (account data).

A caller is verified by two different factors on this call (``Verification.of``): a calling
number the carrier attested (``StirVerstat`` ``TN-Validation-Passed-A``, noted at the
greeting), the account's PIN (keypad first, spoken digits accepted), a one-time code sent by
text message to the number on file. The bot asks for what is missing, one factor at a time,
and then answers the request it was holding; ``attempts`` wrong PINs or codes in all hand the
caller to a person (``verification_failed``), and so does a caller with no way to reach two
factors (``verification_unavailable``).

What is kept, in ``CallState.verification``: the factors passed and when, the factor asked
for, the failed tries, and for a texted code only a keyed hash, its salt and its expiry.
The digits themselves are never kept, stored, logged or put in a decision: the call service
stores the caller's turn as ``[code]`` while a code is asked for. Each step is reported in
``Decision.details["verification"]`` (``"pin:passed"``, ``"pin:declined,sms_code:asked"``
...: steps of one turn joined by commas) for the audit trail; a code to send is
``details["send_code_to"]`` (the call service sends it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from voice.dialog.state import CallState
from voice.dialog.turns import Caller
from voice.fulfillment.base import Credentials, Factor, Fulfillment, Verification
from voice.fulfillment.pins import check_pin
from voice.handoff.policy import VerificationSpec
from voice.text import prompts

ATTESTED: Final = "TN-Validation-Passed-A"
"""The only ``StirVerstat`` that counts as a factor: the carrier vouches for the caller and
for their right to the number (B and C attestations, failures and no value do not)."""
CODE_DIGITS: Final = 6
ASKABLE: Final[tuple[Factor, ...]] = ("pin", "sms_code")  # attestation is never asked for
CODE_SLOTS: Final = frozenset(ASKABLE)  # ``Decision.expecting`` while a code is asked for

_DECLINES: Final = re.compile(
    r"\b(?:do ?n[o']?t|cannot|can'?t|never)\s+(?:know|remember|recall|have|got|get|receive)"
    r"|\bforg[eo]t|\bno idea\b|\bnot sure\b|\bdidn'?t (?:get|receive)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Ask:
    """Ask the caller for ``factor`` (``lead`` first); a code to text goes to ``send_to``."""

    factor: Factor
    lead: tuple[str, ...] = ()
    send_to: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    @property
    def say(self) -> tuple[str, ...]:
        return (*self.lead, prompts.SENT_CODE if self.factor == "sms_code" else prompts.ASK_PIN)


@dataclass(frozen=True)
class Passed:
    """Verified: answer the request that was waiting (``details`` for the audit)."""

    details: dict[str, str]


@dataclass(frozen=True)
class HandOver:
    """No way forward by keypad: a person takes over, for ``reason``, ``first`` said first."""

    reason: str
    first: str
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NoAccount:
    """No account for the calling number: nothing to verify against."""


Step = Ask | Passed | HandOver | NoAccount


class Verifier:
    """The verification steps of one service. ``key`` keys the hashes of texted codes: the
    same on every instance (a code texted by one may be keyed in on another)."""

    def __init__(
        self,
        key: bytes | None = None,
        clock: Callable[[], float] = time.time,
        *,
        can_text: bool = True,
    ) -> None:
        self.key = key if key is not None else secrets.token_bytes(32)
        self.clock = clock
        self.can_text = can_text  # False: no sender for text messages is configured

    # -- what the caller has shown --------------------------------------------------------

    def verification(self, state: CallState, caller: Caller) -> Verification:
        factors = tuple(_factors(state))
        if not caller.number and not factors:
            return Verification(level="none")
        return Verification.of(factors)  # type: ignore[arg-type]

    def attested(self, state: CallState, *, passed: bool) -> None:
        """Note the carrier's attestation of the calling number, at the greeting."""
        if passed:
            _factors(state)["attested"] = self._now_iso()

    def lock_pin(self, state: CallState) -> None:
        """Too many wrong tries from this number lately: no PIN is taken on this call."""
        state.verification["skipped"] = [*state.verification.get("skipped", []), "pin"]
        state.verification["pin_locked"] = True

    # -- the steps ------------------------------------------------------------------------

    def begin(
        self,
        state: CallState,
        caller: Caller,
        fulfillment: Fulfillment,
        spec: VerificationSpec,
        *,
        lead: tuple[str, ...] = (),
        details: dict[str, str] | None = None,
    ) -> Step:
        """The next step toward a verified caller (``LookupFailed`` from the backend)."""
        credentials = fulfillment.credentials(caller.number) if caller.number else None
        if credentials is None:
            return NoAccount()
        have = _factors(state)
        skipped = set(state.verification.get("skipped", []))
        offered = [
            f
            for f in ASKABLE
            if f not in have and f not in skipped and self._offers(credentials, f, spec)
        ]
        details = details or {}
        if len(have) + len(offered) < 2:
            return HandOver("verification_unavailable", prompts.CANNOT_VERIFY, details)
        factor = offered[0]
        state.verification["asking"] = factor
        send_to = credentials.sms_number if factor == "sms_code" else None
        steps = ",".join(filter(None, (details.get("verification"), f"{factor}:asked")))
        return Ask(factor, lead, send_to, {**details, "verification": steps})

    def on_code(
        self,
        state: CallState,
        digits: str,
        caller: Caller,
        fulfillment: Fulfillment,
        spec: VerificationSpec,
    ) -> Step:
        """The caller keyed or said ``digits`` for the factor asked for."""
        factor: Factor = state.verification.get("asking") or "pin"
        credentials = fulfillment.credentials(caller.number) if caller.number else None
        if credentials is None:
            return NoAccount()
        outcome = self._check(state, factor, digits, credentials)
        details = {"verification": f"{factor}:{outcome}"}
        if outcome == "passed":
            _factors(state)[factor] = self._now_iso()
            state.verification.pop("asking", None)
            state.verification.pop("code", None)  # single use
            if self.verification(state, caller).level == "verified":
                return Passed(details)
            return self.begin(
                state, caller, fulfillment, spec, lead=(prompts.VERIFY_NEXT,), details=details
            )
        state.verification["failures"] = int(state.verification.get("failures", 0)) + 1
        if state.verification["failures"] >= spec.attempts:
            state.verification.pop("asking", None)
            state.verification.pop("code", None)
            return HandOver("verification_failed", prompts.VERIFY_FAILED, details)
        if outcome == "expired":
            send_to = credentials.sms_number
            return Ask(factor, (prompts.CODE_EXPIRED,), send_to, details)
        return Ask(factor, (prompts.VERIFY_WRONG,), None, details)

    def skip(
        self, state: CallState, caller: Caller, fulfillment: Fulfillment, spec: VerificationSpec
    ) -> Step:
        """The caller does not have what was asked for ("I forgot my PIN"): another factor,
        or a person."""
        asking = state.verification.pop("asking", None)
        if asking:
            state.verification["skipped"] = [*state.verification.get("skipped", []), asking]
        details = {"verification": f"{asking or 'pin'}:declined"}
        return self.begin(state, caller, fulfillment, spec, details=details)

    def code_not_sent(self, state: CallState) -> None:
        """The text message could not be sent: the code is void."""
        state.verification.pop("code", None)
        state.verification.pop("asking", None)
        state.verification["skipped"] = [*state.verification.get("skipped", []), "sms_code"]

    # -- one-time codes ---------------------------------------------------------------------

    def issue_code(self, state: CallState, spec: VerificationSpec) -> str:
        """A fresh code for the text message; only its keyed hash stays in ``state``."""
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(16)
        state.verification["code"] = {
            "salt": salt,
            "mac": self._mac(salt, code),
            "expires": self.clock() + spec.code_minutes * 60,
        }
        return code

    def _check(self, state: CallState, factor: Factor, digits: str, cred: Credentials) -> str:
        if factor == "pin":
            ok = cred.pin_hash is not None and check_pin(digits, cred.pin_hash)
            return "passed" if ok else "failed"
        code: dict[str, Any] = state.verification.get("code") or {}
        if not code:
            return "failed"
        matches = hmac.compare_digest(self._mac(str(code["salt"]), digits), str(code["mac"]))
        if self.clock() > float(code["expires"]):
            return "expired"
        return "passed" if matches else "failed"

    def _offers(self, credentials: Credentials, factor: Factor, spec: VerificationSpec) -> bool:
        if factor == "pin":
            return bool(credentials.pin_hash)
        return spec.text_code and self.can_text and bool(credentials.sms_number)

    def _mac(self, salt: str, code: str) -> str:
        return hmac.new(self.key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")


def declines(text: str) -> bool:
    """The caller says they do not have, know or get what was asked for."""
    return _DECLINES.search(text) is not None


def _factors(state: CallState) -> dict[str, str]:
    factors: dict[str, str] = state.verification.setdefault("factors", {})
    return factors
