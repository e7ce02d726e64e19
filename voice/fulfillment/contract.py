"""The HTTP fulfillment contract, version 1: the request we POST and the answer we accept.

Request: ``POST {FULFILLMENT_URL}/{lookup}``, JSON, signed like the hand-over webhook
(``X-Voice-Timestamp``, ``X-Voice-Signature: sha256=<HMAC(secret, f"{timestamp}.{body}")>``)::

    {"version": 1, "lookup": "order_status", "slots": {"order_number": "45712"},
     "caller": {"number": "+15005550006"}, "call_sid": "CA..." (or null)}

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
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from voice.fulfillment.base import FailureKind, LookupResult
from voice.intents.schema import FULFILLMENTS
from voice.text.spoken import speak_digits

VERSION: Final = 1
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


class ContractError(ValueError):
    """An answer that breaks the contract; ``kind`` is ``BAD_JSON`` or ``BAD_SHAPE``."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def request_body(name: str, slots: dict[str, str], caller_number: str, call_sid: str | None) -> str:
    """The JSON text we POST (and sign), keys sorted so the signature is reproducible."""
    payload = {
        "version": VERSION,
        "lookup": name,
        "slots": dict(slots),
        "caller": {"number": caller_number},
        "call_sid": call_sid,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def parse_answer(name: str, slots: dict[str, str], body: bytes) -> LookupResult:
    """Check an answer to lookup ``name`` against the contract; ``ContractError``."""
    try:
        data = json.loads(body.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError both
        raise ContractError(FailureKind.BAD_JSON, f"not JSON: {exc}") from exc
    try:
        answer = LookupAnswer.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()[:3]
        )
        raise ContractError(FailureKind.BAD_SHAPE, problems) from exc
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
