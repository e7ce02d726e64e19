"""Twilio's form posts as typed values. Unknown fields are kept in ``extra``."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise HTTPException(400, f"missing required Twilio parameter {name}")
    return value


MAX_DURATION_S = 7 * 24 * 3600
"""Longest duration (s) a call, recording or dial may report; Twilio caps calls at 24 h."""
MAX_SEQUENCE = 10**9
MAX_QUEUE_POSITION = 100_000


def int_param(params: dict[str, str], name: str, *, high: int = MAX_DURATION_S) -> int | None:
    """A whole number from 0 to ``high`` (ASCII digits only), or None when absent; anything
    else is a 400 naming the parameter, so no out-of-range value reaches the database."""
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)) or int(raw) > high:
        raise HTTPException(
            400,
            f"Twilio parameter {name} must be a whole number from 0 to {high}, got {raw[:40]!r}",
        )
    return int(raw)


@dataclass(frozen=True)
class CallInfo:
    """Fields every voice webhook carries."""

    call_sid: str
    account_sid: str
    from_number: str
    to_number: str
    status: str
    direction: str
    attestation: str = ""  # StirVerstat: SHAKEN/STIR verification of the calling number
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, params: dict[str, str]) -> CallInfo:
        call_sid = _required(params, "CallSid")
        if not call_sid.startswith("CA") or len(call_sid) > 64:
            raise HTTPException(400, f"CallSid {call_sid[:40]!r} is not a Twilio call SID")
        return cls(
            call_sid=call_sid,
            account_sid=params.get("AccountSid", ""),
            from_number=params.get("From", ""),
            to_number=params.get("To", ""),
            status=params.get("CallStatus", ""),
            direction=params.get("Direction", ""),
            attestation=params.get("StirVerstat", "").strip()[:64],
            extra=params,
        )


@dataclass(frozen=True)
class RecordingResult:
    """The ``<Record action>`` request: the recording, or the key that ended it."""

    url: str
    sid: str
    duration_s: int | None
    digits: str

    @classmethod
    def parse(cls, params: dict[str, str]) -> RecordingResult:
        return cls(
            url=params.get("RecordingUrl", "").strip(),
            sid=params.get("RecordingSid", "").strip(),
            duration_s=int_param(params, "RecordingDuration"),
            digits=params.get("Digits", "").strip(),
        )


@dataclass(frozen=True)
class DialResult:
    status: str
    dial_call_sid: str
    duration_s: int | None

    @classmethod
    def parse(cls, params: dict[str, str]) -> DialResult:
        return cls(
            status=params.get("DialCallStatus", "").strip().lower(),
            dial_call_sid=params.get("DialCallSid", "").strip(),
            duration_s=int_param(params, "DialCallDuration"),
        )


@dataclass(frozen=True)
class StatusUpdate:
    status: str
    sequence: int | None
    duration_s: int | None

    @classmethod
    def parse(cls, params: dict[str, str]) -> StatusUpdate:
        return cls(
            status=_required(params, "CallStatus").lower(),
            sequence=int_param(params, "SequenceNumber", high=MAX_SEQUENCE),
            duration_s=int_param(params, "CallDuration"),
        )
