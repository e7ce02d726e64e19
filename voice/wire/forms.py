"""Twilio's form posts as typed values. Unknown fields are kept in ``extra``."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise HTTPException(400, f"missing required Twilio parameter {name}")
    return value


def int_param(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise HTTPException(
            400, f"Twilio parameter {name} must be an integer, got {raw!r}"
        ) from exc


@dataclass(frozen=True)
class CallInfo:
    """Fields every voice webhook carries."""

    call_sid: str
    account_sid: str
    from_number: str
    to_number: str
    status: str
    direction: str
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
            sequence=int_param(params, "SequenceNumber"),
            duration_s=int_param(params, "CallDuration"),
        )
