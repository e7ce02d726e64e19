"""The hand-over summary: what an agent needs before saying hello.

Built from a plain record of the call (``CallRecord``: the intents seen and the slot values
collected, which the dialog's ``CallState`` provides) and its stored turns, which are
redacted when written, so no
summary can carry a card number or a one-time code. ``spoken`` is two or three sentences
for the agent's ear (the whisper before the bridge); the rest is for the console and
webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from voice.text import prompts
from voice.text.spoken import speak_digits

_REASONS = {
    "caller_request": "asked to speak to a person",
    "keypad_0": "pressed 0 for a person",
    "frustration": "sounded frustrated",
    "repeated_no_match": "was not understood several times",
    "repeated_silence": "went silent on the line",
    "unclear_audio": "had a bad line the assistant could not hear",
    "slot_not_understood": "could not give an order number the assistant understood",
    "slot_not_found": "gave order numbers the assistant could not find",
    "fulfillment_error": "asked for something the assistant could not look up",
    "internal_error": "hit a technical problem",
    "agent_unavailable": "could not be connected",
    "lines_busy": "called while every line of the assistant was busy",
    "feeling:angry": "sounded angry",
    "feeling:distressed": "sounded distressed",
    "feeling:upset": "sounded upset",
}
_STRENGTH = {"angry": 3, "distressed": 3, "upset": 2, "pleased": 1, "neutral": 0}
_TOPICS = {
    "fraud": "reported possible fraud",
    "data_leak": "reported a leak of personal data",
    "legal": "mentioned legal action",
    "emergency": "reported an emergency",
    "outage_harm": "reported an outage causing serious harm",
}
_CLOSING = prompts.ANYTHING_ELSE


class CallRecord(Protocol):
    """What the summary reads of the call so far (the dialog's ``CallState`` has both)."""

    @property
    def intents_seen(self) -> Sequence[str]:
        """Each intent the caller asked for, in order, repeats included."""
        ...

    @property
    def collected(self) -> Mapping[str, str]:
        """Every slot value given during the call (slot name -> value)."""
        ...


def reason_words(reason: str) -> str:
    """A reason code as words: ``sensitive:fraud`` -> "reported possible fraud"."""
    if reason.startswith("sensitive:"):
        topic = reason.removeprefix("sensitive:")
        return _TOPICS.get(topic, f"raised a sensitive matter ({topic.replace('_', ' ')})")
    if reason.startswith("intent:") or reason.startswith("always_human:"):
        name = reason.split(":", 1)[1].replace("_", " ")
        return f"needs a person for {name}"
    return _REASONS.get(reason, reason.replace("_", " "))


def build_summary(
    *,
    caller_number: str,
    reason: str,
    priority: str,
    state: CallRecord,
    turns: Sequence[dict[str, Any]],
    sentiment: Sequence[float] = (),
    evidence: str = "",
    handover_intents: Sequence[str] = (),
    feelings: Sequence[Mapping[str, Any]] = (),
    verification: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``evidence``: the (redacted) words that triggered the hand-over, quoted for the agent
    and not counted as a failed attempt. ``handover_intents`` (asking for a person) are not
    listed as what the caller wanted. ``feelings``: each caller turn's ``Feeling.to_dict``
    (fixed words and cue phrases only, no free text)."""
    intents = [i for i in dict.fromkeys(state.intents_seen) if i not in handover_intents]
    told = [  # answers, not prompts: an answer always closes with "anything else?"
        _without_closing(t["text"])
        for t in turns
        if t["speaker"] == "bot" and t["text"].endswith(_CLOSING) and _without_closing(t["text"])
    ]
    failed = [
        t["text"]
        for t in turns
        if t["speaker"] == "caller"
        and t["kind"] in ("speech", "unclear")
        and not t.get("intent")
        and t["text"] != evidence
        and t["text"] != "[code]"  # a PIN or code given while verifying
    ]
    trend = sentiment[-1] if sentiment else 0.0
    summary: dict[str, Any] = {
        "caller": caller_number,
        "reason": reason,
        "reason_words": reason_words(reason),
        "priority": priority,
        "intents": intents,
        "slots": dict(state.collected),
        "bot_told": told[-3:],
        "failed_attempts": [text for text in failed if text][-3:],
        "sentiment": {"trend": round(trend, 2), "history": [round(s, 2) for s in sentiment]},
        "caller_said": evidence,
        "feeling": _feeling(feelings, intents),
        "verified": verified_words(verification or {}),
    }
    summary["spoken"] = spoken_summary(summary)
    return summary


def spoken_summary(summary: dict[str, Any]) -> str:
    """Two or three sentences for the agent: who, why, and what already happened."""
    who = _caller_words(summary["caller"])
    urgent = "Urgent. " if summary["priority"] == "urgent" else ""
    feeling = summary.get("feeling") or {}
    felt = feeling.get("level") in ("angry", "distressed", "upset")
    if felt and summary["reason"].startswith("feeling:"):
        sentences = [f"{urgent}{who} sounded {feeling['words']}."]
    else:
        sentences = [f"{urgent}{who} {summary['reason_words']}."]
        if felt:
            sentences.append(f"They sound {feeling['words']}.")
    intents = [name.replace("_", " ") for name in summary["intents"]]
    if intents:
        about = f"They asked about {_join(intents)}"
        order = summary["slots"].get("order_number")
        if order:
            about += f", order {speak_digits(order)}"
        sentences.append(about + ".")
    if summary.get("caller_said"):
        sentences.append(f"They said: {_quote(summary['caller_said'])}")
    elif summary["failed_attempts"]:
        sentences.append(f"Not understood: {_quote(summary['failed_attempts'][-1])}")
    elif summary["bot_told"]:
        sentences.append(f"The assistant told them: {_first_sentence(summary['bot_told'][-1])}")
    if not felt and summary["sentiment"]["trend"] >= 0.5 and summary["reason"] != "frustration":
        sentences.append("They sound upset.")
    spoken = " ".join(sentences[:3])
    if summary.get("verified"):  # so the agent does not ask again
        spoken += f" Verified: {summary['verified']}."
    return spoken


_FACTOR_WORDS = {"attested": "attested number", "pin": "PIN", "sms_code": "code by text"}


def verified_words(verification: Mapping[str, Any]) -> str:
    """How the caller was verified, for the agent: "PIN and attested number, 12:03 UTC" (the
    time of the last factor); "" when not verified (two factors)."""
    factors: Mapping[str, str] = verification.get("factors") or {}
    if len(factors) < 2:
        return ""
    ordered = sorted(factors.items(), key=lambda kv: (kv[0] == "attested", kv[1]))
    words = [_FACTOR_WORDS.get(name, name) for name, _ in ordered]
    last = max(factors.values())
    return f"{_join(words)}, {last[11:16]} UTC"


def _feeling(feelings: Sequence[Mapping[str, Any]], intents: Sequence[str]) -> dict[str, Any]:
    """The strongest feeling of the call (the latest among equals), with what it was about
    (the intent asked for when the words named no cause): "angry about a double charge,
    third call"."""
    if not feelings:
        return {}
    strongest = max(
        enumerate(feelings), key=lambda item: (_STRENGTH.get(item[1].get("level", ""), 0), item[0])
    )[1]
    level = str(strongest.get("level", "neutral"))
    about = str(strongest.get("about") or "")
    if not about and intents and level != "neutral":
        about = intents[-1].replace("_", " ")
    why = [str(w) for w in strongest.get("why", [])]
    words = ", ".join([level + (f" about {about}" if about else ""), *why[:2]])
    return {
        "level": level,
        "about": about,
        "why": why,
        "words": words,
        "history": [str(f.get("level", "neutral")) for f in feelings],
    }


def _quote(text: str) -> str:
    return '"' + text.strip().rstrip(".!?") + '."'


def _caller_words(number: str) -> str:
    digits = number.lstrip("+")
    if digits.isdigit() and len(digits) >= 4:
        return f"The caller, ending {speak_digits(digits[-4:])},"
    return "The caller"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _first_sentence(text: str) -> str:
    for end in (". ", "! ", "? "):
        if end in text:
            return text[: text.index(end) + 1]
    return text if text.endswith((".", "!", "?")) else text + "."


def _without_closing(text: str) -> str:
    return text.replace(_CLOSING, "").strip()
