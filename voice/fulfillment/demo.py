"""Bundled demo data (orders and account balances) behind the Fulfillment interface.

Demo PINs (the file keeps only their hashes): +15005550006 2468, +14155550123 1357,
+442071838750 8024. A code by text goes to the account's own number.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from voice.fulfillment.base import UNVERIFIED, Credentials, LookupResult, Verification
from voice.text.spoken import date_words, money_words, speak_digits


class DemoFulfillment:
    """Answers ``order_status`` and ``account_balance`` from ``demo_data.json``."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        if data is None:
            text = resources.files("voice.fulfillment").joinpath("demo_data.json").read_text()
            data = json.loads(text)
        self._orders: dict[str, dict[str, Any]] = data.get("orders", {})
        self._accounts: dict[str, dict[str, Any]] = data.get("accounts", {})

    def lookup(
        self,
        name: str,
        slots: dict[str, str],
        caller_number: str,
        verification: Verification = UNVERIFIED,
    ) -> LookupResult:
        if name == "order_status":
            return self._order_status(slots.get("order_number", ""))
        if name == "account_balance":
            # The dialog asks only for a verified caller; a backend checks again anyway.
            if not verification.meets("verified"):
                raise PermissionError("account_balance needs a verified caller")
            return self._account_balance(caller_number)
        raise KeyError(f"unknown fulfillment {name!r}; known: order_status, account_balance")

    def credentials(self, caller_number: str) -> Credentials | None:
        account = self._accounts.get(caller_number)
        if account is None:
            return None
        return Credentials(
            pin_hash=account.get("pin_hash"), sms_number=account.get("mobile", caller_number)
        )

    def _order_status(self, number: str) -> LookupResult:
        spoken = {"order_number_spoken": speak_digits(number)}
        order = self._orders.get(number)
        if order is None:
            return LookupResult(found=False, fields=spoken)
        return LookupResult(found=True, fields={**spoken, "status_sentence": _status(order)})

    def _account_balance(self, caller_number: str) -> LookupResult:
        account = self._accounts.get(caller_number)
        if account is None:
            return LookupResult(found=False)
        cents = int(account["balance_cents"])
        due = account.get("due")
        due_spoken = f"due on {date_words(date.fromisoformat(due))}" if due and cents else ""
        return LookupResult(
            found=True,
            fields={
                "balance_spoken": money_words(cents),
                "due_date_spoken": due_spoken or "with nothing due",
            },
        )


def _status(order: dict[str, Any]) -> str:
    status = order["status"]
    if status == "shipped":
        carrier = f" with {order['carrier']}" if order.get("carrier") else ""
        return (
            f"shipped{carrier} on {date_words(date.fromisoformat(order['shipped']))} "
            f"and should arrive by {date_words(date.fromisoformat(order['eta']))}."
        )
    if status == "delivered":
        return f"was delivered on {date_words(date.fromisoformat(order['delivered']))}."
    if status == "delayed":
        return (
            "is delayed, sorry about that. It should now arrive by "
            f"{date_words(date.fromisoformat(order['eta']))}."
        )
    return (
        "is being prepared and should ship soon, arriving by "
        f"{date_words(date.fromisoformat(order['eta']))}."
    )
