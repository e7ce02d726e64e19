"""``voice intents suggest`` over a real store (SQLite), seeded through the Store's methods."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from voice.cli import main
from voice.intents.loader import IntentSet
from voice.intents.matcher import Matcher
from voice.intents.semantic import SentenceVectors
from voice.intents.suggest import Suggestion, Utterance, format_table, load_utterances, suggest
from voice.store.models import Turn, utcnow
from voice.store.repo import Store

ROOT = Path(__file__).resolve().parents[2]

# (text as stored, intent, confidence) of caller speech turns
SAID: list[tuple[str, str | None, float | None]] = [
    ("can you send me last months receipt", None, 0.54),
    ("send me a receipt for last month", None, 0.54),
    ("Send me a receipt, for last month.", None, 0.54),  # the same once normalised
    ("i want to cancel my subscription", None, 0.52),
    ("cancel my subscription now", None, 0.49),
    ("my gizmo keeps beeping at night", None, 0.34),
    ("the gizmo keeps beeping all night", None, 0.43),
    ("my discount code [code] does not work on the website", None, 0.55),
    ("my discount code does not work on the website", None, 0.55),
    ("please read back my card [card] to me", None, 0.2),
    ("wifi light blinking red and orange", "report_outage", 0.62),  # accepted by a hair
    # never suggested:
    ("where is my order", "track_order", 0.95),  # understood
    ("the wifi light is blinking red", "report_outage", 0.62),  # the matcher is sure now
    ("yes", None, 0.9),
    ("no thanks that's all", None, 0.9),
    ("thank you very much", None, 0.9),
    ("order", None, 0.4),
    ("four five seven one two", None, 0.9),  # answering "what's your order number?"
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'voice.db'}")
    store.create_all()
    for index, (text, intent, confidence) in enumerate(SAID):
        sid = f"CA{index:032d}"
        store.open_call(
            sid, account_sid="AC1", from_number="+1500555000", to_number="+1", direction="inbound",
            status="in-progress",
        )  # fmt: skip
        store.add_turn(sid, speaker="bot", kind="listen", text="How can I help?")
        store.add_turn(
            sid, speaker="caller", kind="speech", text=text, intent=intent, confidence=confidence
        )
    # Older than the window: left out.
    old = "CA" + "9" * 32
    store.open_call(
        old, account_sid="AC1", from_number="+1", to_number="+1", direction="inbound",
        status="completed",
    )  # fmt: skip
    store.add_turn(old, speaker="caller", kind="speech", text="send me a receipt for last year")
    with store.engine.begin() as connection:
        connection.execute(
            update(Turn).where(Turn.call_sid == old).values(created_at=utcnow() - timedelta(40))
        )
    return store


def by_example(suggestions: list[Suggestion]) -> dict[str, Suggestion]:
    return {s.example: s for s in suggestions}


@pytest.fixture
def matcher(intent_set: IntentSet) -> Matcher:
    """The proposals below were written for the lexical matcher's judgement; the semantic
    one's are checked on their own in ``test_semantic_proposals``."""
    return Matcher(intent_set)


def test_groups_proposals_and_skips(store: Store, matcher: Matcher) -> None:
    suggestions = suggest(load_utterances(store, matcher, days=30), matcher)
    found = by_example(suggestions)
    every_text = [m for s in suggestions for m, _ in s.members]
    assert not {"yes", "no thanks that's all", "thank you very much", "order"} & set(every_text)
    assert "four five seven one two" not in every_text
    assert "where is my order" not in every_text
    assert "the wifi light is blinking red" not in every_text
    assert not any("last year" in text for text in every_text)

    receipts = next(s for s in suggestions if "receipt" in s.example)
    assert receipts.count == 3 and receipts.proposed == "billing_question"
    assert len(receipts.members) == 2  # two distinct wordings; the repeat counted
    assert suggestions[0] is receipts  # the biggest group first

    cancel = next(s for s in suggestions if "subscription" in s.example)
    assert cancel.count == 2 and cancel.proposed == "refund_request"

    gizmo = next(s for s in suggestions if "gizmo" in s.example)
    assert gizmo.count == 2 and gizmo.proposed is None  # nothing is close: a new intent?

    outage = found["wifi light blinking red and orange"]
    assert outage.proposed == "report_outage" and outage.count == 1

    # A group with a redacted member is shown by its clean member...
    discount = found["my discount code does not work on the website"]
    assert discount.count == 2 and discount.addable
    # ...and one with only redacted members is shown for information, never as an example.
    card = next(s for s in suggestions if "[card]" in s.example)
    assert not card.addable
    assert all(s.addable == ("[" not in s.example) for s in suggestions)


def test_the_most_central_member_represents_the_group(matcher: Matcher) -> None:
    said = [
        "my router is making a weird clicking noise",
        "router making a clicking noise",
        "router making a clicking noise",
        "the router is making a clicking noise again and again today",
        "the router keeps making noise",
    ]
    [group] = suggest([Utterance(text) for text in said], matcher)
    assert group.count == 5
    assert group.example == "router making a clicking noise"


def test_unrelated_wordings_are_not_grouped(matcher: Matcher) -> None:
    said = ["i want to cancel my subscription", "my gizmo keeps beeping at night"]
    assert len(suggest([Utterance(text) for text in said], matcher)) == 2
    # With a looser cutoff, anything goes together.
    assert len(suggest([Utterance(text) for text in said], matcher, cutoff=0)) == 1


def test_the_table_and_the_command(
    store: Store, matcher: Matcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    table = format_table(suggest(load_utterances(store, matcher, days=30), matcher))
    header, first, *rest = table.splitlines()
    assert header.split() == ["count", "example", "proposed", "intent", "score"]
    assert first.split()[0] == "3" and "billing_question" in first
    assert any("new intent?" in line for line in rest)
    assert any("(personal data)" in line for line in rest)
    assert format_table([]).startswith("Nothing to suggest")

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'voice.db'}")
    monkeypatch.setenv("INTENTS_DIR", str(ROOT / "intents"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["intents", "suggest", "--days", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # The command uses the configured matcher (semantic): see test_semantic_proposals.
    assert out[0]["count"] == 3 and out[0]["proposed"] in {"billing_question", "refund_request"}
    assert {"example", "count", "proposed", "score", "addable", "members"} <= set(out[0])
    assert main(["intents", "suggest", "--days", "0"]) == 2


def test_the_command_on_a_database_without_calls_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("INTENTS_DIR", str(ROOT / "intents"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["intents", "suggest"]) == 1
    assert "check DATABASE_URL" in capsys.readouterr().err


def test_semantic_proposals(
    store: Store, intent_set: IntentSet, sentences: SentenceVectors
) -> None:
    matcher = Matcher(intent_set, semantic=sentences)
    suggestions = suggest(load_utterances(store, matcher, days=30), matcher)
    every_text = [m for s in suggestions for m, _ in s.members]
    assert "where is my order" not in every_text and "yes" not in every_text
    gizmo = next(s for s in suggestions if "gizmo" in s.example)
    assert gizmo.proposed is None  # nothing is close in meaning either: a new intent?
    cancel = next(s for s in suggestions if "subscription" in s.example)
    assert cancel.proposed == "refund_request"
    receipts = next(s for s in suggestions if "receipt" in s.example)
    # A receipt is about paying (billing) or returning (refund): both are fair guesses.
    assert receipts.proposed in {"billing_question", "refund_request"}
    assert receipts.score > gizmo.score
