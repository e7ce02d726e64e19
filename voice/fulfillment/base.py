"""The interface answers that need data come through; a real deployment replaces the backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class LookupResult:
    """``found`` False means the lookup ran and found nothing (not an error)."""

    found: bool
    fields: dict[str, str] = field(default_factory=dict)


class Fulfillment(Protocol):
    def lookup(self, name: str, slots: dict[str, str], caller_number: str) -> LookupResult:
        """Run the lookup ``name`` (e.g. ``order_status``); raise ``KeyError`` if unknown."""
        ...
