"""Bundled demo answers and the words they are spoken in."""

from __future__ import annotations

from datetime import date

import pytest

from voice.fulfillment.base import Verification
from voice.fulfillment.demo import DemoFulfillment
from voice.fulfillment.pins import check_pin
from voice.text.spoken import date_words, money_words, number_words, ordinal_words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (42, "forty two"),
        (100, "one hundred"),
        (115, "one hundred and fifteen"),
        (1289, "one thousand two hundred and eighty nine"),
    ],
)
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (12, "twelfth"),
        (20, "twentieth"),
        (21, "twenty first"),
        (30, "thirtieth"),
    ],
)
def test_ordinal_words(n: int, words: str) -> None:
    assert ordinal_words(n) == words


def test_money_and_dates() -> None:
    assert money_words(4215) == "forty two dollars and fifteen cents"
    assert money_words(100) == "one dollar"
    assert money_words(1) == "zero dollars and one cent"
    assert date_words(date(2026, 12, 3)) == "Thursday, December third"


def test_order_status_and_balance_lookups() -> None:
    demo = DemoFulfillment()
    found = demo.lookup("order_status", {"order_number": "45712"}, "")
    assert found.found
    assert found.fields["order_number_spoken"] == "four five seven one two"
    assert found.fields["status_sentence"].startswith("shipped with UPS")
    missing = demo.lookup("order_status", {"order_number": "99999"}, "")
    assert not missing.found and missing.fields["order_number_spoken"].startswith("nine")
    verified = Verification.of(("attested", "pin"))
    balance = demo.lookup("account_balance", {}, "+15005550006", verified)
    assert balance.fields["balance_spoken"] == "forty two dollars and fifteen cents"
    assert not demo.lookup("account_balance", {}, "+10000000000", verified).found
    with pytest.raises(PermissionError):
        demo.lookup("account_balance", {}, "+15005550006", Verification.of(("attested",)))


def test_demo_accounts_offer_a_pin_hash_and_their_own_number() -> None:
    demo = DemoFulfillment()
    credentials = demo.credentials("+15005550006")
    assert credentials is not None and credentials.pin_hash is not None
    assert check_pin("2468", credentials.pin_hash)
    assert not check_pin("2469", credentials.pin_hash)
    assert credentials.sms_number == "+15005550006"
    assert demo.credentials("+10000000000") is None
    with pytest.raises(KeyError):
        demo.lookup("weather", {}, "")
