"""The rows of a spoken evaluation: ``text,intent`` like the typed one, and optionally how
each row is spoken.

``text`` and ``intent`` are required columns; the others are optional, in any order, named
in the header: ``id``, ``kind`` (a
label the report groups by), ``voice`` (a caller voice name), ``pause_ms``, ``gain_db``,
``snr_db``, ``lead_ms``, ``trail_ms`` (see ``voice.simulator.caller_audio.Delivery``) and
``split`` (``dev`` or ``test``). A plain ``text,intent`` file is spoken with default delivery,
the voices taking turns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from voice.simulator.caller_audio import Delivery

REQUIRED = ("text", "intent")
OPTIONAL: tuple[str, ...] = ("id", "kind", "voice", "pause_ms", "gain_db", "snr_db")
OPTIONAL += ("lead_ms", "trail_ms", "split")


@dataclass(frozen=True)
class SpokenCase:
    id: str
    text: str
    intent: str | None  # None: out of scope (the bot should not claim an intent)
    kind: str
    voice: str | None  # None: the evaluation's choice
    delivery: Delivery
    split: str

    @property
    def is_speech(self) -> bool:
        """False for the non-speech rows (``[tone]``, ``[music:3]``...)."""
        return not self.text.strip().startswith("[")

    @property
    def typed(self) -> str:
        """The text as a caller would type it (digit groups read with pauses rejoined)."""
        return self.text.replace(", ", " ") if self.kind == "digits" else self.text


def read_spoken_cases(path: Path) -> list[SpokenCase]:
    """Raises ``ValueError`` naming the file and line of a bad header or value."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip().lower() for name in reader.fieldnames or []]
        if not set(REQUIRED) <= set(header):
            raise ValueError(f"{path}:1: the header must name the columns text and intent")
        unknown = set(header) - set(REQUIRED) - set(OPTIONAL)
        if unknown:
            raise ValueError(
                f"{path}:1: unknown column(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(REQUIRED + OPTIONAL)}"
            )
        reader.fieldnames = header
        cases = []
        for number, row in enumerate(reader, start=1):
            line = reader.line_num
            text = (row.get("text") or "").strip()
            if not text:
                if not any((v or "").strip() for v in row.values()):
                    continue
                raise ValueError(f"{path}:{line}: the text is empty")
            try:
                cases.append(_case(row, text, number))
            except ValueError as exc:
                raise ValueError(f"{path}:{line}: {exc}") from exc
    return cases


def _case(row: dict[str, str | None], text: str, number: int) -> SpokenCase:
    def value(name: str) -> str:
        return (row.get(name) or "").strip()

    def number_of(name: str, default: float) -> float:
        raw = value(name)
        try:
            return float(raw) if raw else default
        except ValueError:
            raise ValueError(f"{name} must be a number, got {raw!r}") from None

    snr = value("snr_db")
    delivery = Delivery(
        pause_ms=int(number_of("pause_ms", 0)),
        gain_db=number_of("gain_db", 0.0),
        snr_db=number_of("snr_db", 0.0) if snr else None,
        lead_ms=int(number_of("lead_ms", 500)),
        trail_ms=int(number_of("trail_ms", 800)),
        seed=number,
    )
    if delivery.lead_ms < 0 or delivery.trail_ms < 0 or delivery.pause_ms < 0:
        raise ValueError("pause_ms, lead_ms and trail_ms must not be negative")
    split = value("split") or "dev"
    if split not in ("dev", "test"):
        raise ValueError(f"split must be dev or test, got {split!r}")
    return SpokenCase(
        id=value("id") or f"row-{number}",
        text=text,
        intent=value("intent") or None,
        kind=value("kind") or "request",
        voice=value("voice") or None,
        delivery=delivery,
        split=split,
    )
