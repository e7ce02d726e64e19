"""The HTTP fulfillment contract, version 2: the request we POST and the answer we accept.

Request: ``POST {FULFILLMENT_URL}/{lookup}``, JSON, signed like the hand-over webhook
(``X-Voice-Timestamp``, ``X-Voice-Signature: sha256=<HMAC(secret, f"{timestamp}.{body}")>``)::

    {"version": 2, "lookup": "order_status", "slots": {"order_number": "45712"},
     "caller": {"number": "+15005550006"}, "call_sid": "CA..." (or null),
     "verification": {"level": "verified", "factors": ["attested", "pin"]}}

``verification`` (new in version 2) says how far the caller was verified on this call:
``level`` ``none``, ``caller_id`` (the number, unproven) or ``verified`` (two factors), and
the factors passed (``attested``, ``pin``, ``sms_code``). The dialog asks for a lookup only
once its intent's ``requires`` is met; an endpoint should refuse account data below
``verified`` anyway. Version 1 endpoints keep working: the request only gained keys.

``POST {FULFILLMENT_URL}/credentials`` (version 2; needed only for intents that require a
verified caller) asks how the caller of ``caller.number`` can be verified::

    {"found": true, "pin_hash": "pbkdf2_sha256$120000$<salt b64>$<hash b64>",
     "sms_number": "+15005550006"}
    {"found": false}            # no account for that number

Both keys are optional; the PIN never travels, only its PBKDF2-SHA256 hash (format in
``voice.fulfillment.pins``), checked here in constant time. ``sms_number`` is where a
one-time code may be texted (the number on file).

Answer: HTTP 2xx with a JSON object, at most ``MAX_BODY_BYTES``::

    {"found": true, "fields": {"order_number_spoken": "...", "status_sentence": "..."}}
    {"found": true, "say": "Your order four five seven one two left our warehouse today."}
    {"found": false}            # no such order: not a failure; the dialog asks again

``found`` is required. ``say`` (plain text, spoken as is) replaces the intent's answer;
without it ``fields`` must hold every placeholder the lookup provides
(``voice.intents.schema.FULFILLMENTS``), all strings. ``{slot}_spoken`` is filled in for
a slot of digits when the answer leaves it out ("45712" -> "four five seven one two"), so
``{"found": false}`` is enough for an unknown order. Unknown keys are ignored, so the
contract can grow; a wrong type is an error, never coerced.
"""

from __future__ import annotations

import json
from typing import Annotated, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from voice.fulfillment.base import (
    UNVERIFIED,
    Credentials,
    FailureKind,
    LookupResult,
    Verification,
)
from voice.intents.schema import FULFILLMENTS
from voice.text.spoken import speak_digits

VERSION: Final = 2
CREDENTIALS: Final = "credentials"  # the lookup that gives a caller's credentials
MAX_BODY_BYTES: Final = 64 * 1024
MAX_SAY_CHARS: Final = 600
MAX_FIELD_CHARS: Final = 300

FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
FieldText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_FIELD_CHARS)]
SpokenText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SAY_CHARS)
]


class LookupAnswer(BaseModel):
    """The endpoint's answer (strict types: ``"found": "yes"`` is an error)."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    found: bool
    say: SpokenText | None = None
    fields: dict[FieldName, FieldText] = Field(default_factory=dict)


_M = TypeVar("_M", bound=BaseModel)
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
PinHash = Annotated[str, StringConstraints(min_length=20, max_length=300)]


class CredentialsAnswer(BaseModel):
    """The answer to ``credentials`` (strict types, unknown keys ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    found: bool
    pin_hash: PinHash | None = None
    sms_number: PhoneNumber | None = None


class ContractError(ValueError):
    """An answer that breaks the contract; ``kind`` is ``BAD_JSON`` or ``BAD_SHAPE``."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def request_body(
    name: str,
    slots: dict[str, str],
    caller_number: str,
    call_sid: str | None,
    verification: Verification = UNVERIFIED,
) -> str:
    """The JSON text we POST (and sign), keys sorted so the signature is reproducible."""
    payload = {
        "version": VERSION,
        "lookup": name,
        "slots": dict(slots),
        "caller": {"number": caller_number},
        "call_sid": call_sid,
        "verification": {"level": verification.level, "factors": list(verification.factors)},
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def parse_credentials(body: bytes) -> LookupResult:
    """Check an answer to ``credentials``; its keys come back as ``fields``."""
    answer = _validated(CredentialsAnswer, body)
    fields = {"pin_hash": answer.pin_hash or "", "sms_number": answer.sms_number or ""}
    return LookupResult(found=answer.found, fields=fields if answer.found else {})


def credentials_of(result: LookupResult) -> Credentials | None:
    """The ``Credentials`` a ``credentials`` answer gives (None: no account)."""
    if not result.found:
        return None
    return Credentials(
        pin_hash=result.fields.get("pin_hash") or None,
        sms_number=result.fields.get("sms_number") or None,
    )


def _validated(model: type[_M], body: bytes) -> _M:
    try:
        data = json.loads(body.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError both
        raise ContractError(FailureKind.BAD_JSON, f"not JSON: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()[:3]
        )
        raise ContractError(FailureKind.BAD_SHAPE, problems) from exc


def parse_answer(name: str, slots: dict[str, str], body: bytes) -> LookupResult:
    """Check an answer to lookup ``name`` against the contract; ``ContractError``."""
    if name == CREDENTIALS:
        return parse_credentials(body)
    answer = _validated(LookupAnswer, body)
    spoken = {f"{k}_spoken": speak_digits(v) for k, v in slots.items() if v.isdigit()}
    fields = {**spoken, **answer.fields}
    if answer.say is None and name in FULFILLMENTS:
        provided = FULFILLMENTS[name]
        needed = provided.found if answer.found else provided.not_found
        missing = sorted(needed - fields.keys())
        if missing:
            raise ContractError(
                FailureKind.BAD_SHAPE,
                f"fields: missing {', '.join(missing)} (or give 'say' instead)",
            )
        empty = sorted(key for key in needed if not fields[key])
        if empty:
            raise ContractError(FailureKind.BAD_SHAPE, f"fields: empty {', '.join(empty)}")
    return LookupResult(found=answer.found, fields=fields, say=answer.say)
