"""Store behaviour, run against every backend the ``store`` fixture provides."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

import pytest

from voice.errors import StoreError
from voice.store import Store

CALL = "CA00000000000000000000000000000001"


def open_call(store: Store, call_sid: str = CALL, status: str = "ringing") -> bool:
    return store.open_call(
        call_sid,
        account_sid="AC123",
        from_number="+15005550006",
        to_number="+15005550001",
        direction="inbound",
        status=status,
    )


def test_open_call_is_idempotent(store: Store) -> None:
    assert open_call(store) is True
    assert open_call(store, status="in-progress") is False
    call = store.get_call(CALL)
    assert call is not None
    assert call["status"] == "ringing"
    assert call["from"] == "+15005550006"
    assert store.get_state(CALL) == ("greeting", {})


def test_state_round_trips_json(store: Store) -> None:
    open_call(store)
    state: dict[str, Any] = {
        "slots": {"date": "2024-05-01", "party": 4},
        "misses": 2,
        "history": ["hours", None, True, 1.5],
        "name": "Zoë ☎",
    }
    store.save_state(CALL, "listening", state)
    assert store.get_state(CALL) == ("listening", state)
    assert store.get_state("CA-missing") is None


def test_save_state_for_unknown_call_raises(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown call"):
        store.save_state("CA-missing", "listening", {})


@pytest.mark.parametrize(
    ("callbacks", "expected_status", "applied"),
    [
        # (status, sequence) in arrival order
        ([("completed", 3), ("ringing", 1)], "completed", [True, False]),
        ([("ringing", 0), ("in-progress", 1), ("completed", 2)], "completed", [True] * 3),
        ([("in-progress", 1), ("in-progress", 1)], "in-progress", [True, False]),
        ([("in-progress", 2), ("ringing", 1)], "in-progress", [True, False]),
        ([("completed", 2), ("completed", 2)], "completed", [True, False]),
        ([("busy", None), ("in-progress", None)], "busy", [True, False]),
        (
            [("ringing", None), ("ringing", None), ("in-progress", None)],
            "in-progress",
            [True, False, True],
        ),
        ([("no-answer", 1), ("completed", 2)], "no-answer", [True, False]),
    ],
)
def test_apply_status_is_ordered_and_idempotent(
    store: Store,
    callbacks: list[tuple[str, int | None]],
    expected_status: str,
    applied: list[bool],
) -> None:
    open_call(store, status="queued")
    results = [
        store.apply_status(CALL, status=status, sequence=seq, duration_s=None)
        for status, seq in callbacks
    ]
    assert results == applied
    call = store.get_call(CALL)
    assert call is not None
    assert call["status"] == expected_status
    ended = expected_status in {"completed", "busy", "failed", "no-answer", "canceled"}
    assert (call["ended_at"] is not None) == ended


def test_apply_status_records_duration_and_end(store: Store) -> None:
    open_call(store)
    assert store.apply_status(CALL, status="completed", sequence=4, duration_s=42)
    call = store.get_call(CALL)
    assert call is not None
    assert call["duration_s"] == 42
    assert datetime.fromisoformat(call["ended_at"]).utcoffset() is not None


def test_status_before_voice_webhook_creates_minimal_call(store: Store) -> None:
    assert store.apply_status("CA-early", status="ringing", sequence=0, duration_s=None)
    assert store.get_state("CA-early") == ("greeting", {})
    # The voice webhook then arrives: the row exists, its numbers get filled in.
    assert open_call(store, "CA-early", status="in-progress") is False
    call = store.get_call("CA-early")
    assert call is not None
    assert (call["from"], call["status"]) == ("+15005550006", "ringing")


def test_turns_are_numbered_per_call(store: Store) -> None:
    open_call(store)
    open_call(store, "CA-other")
    assert store.add_turn(CALL, speaker="bot", kind="prompt", text="Hello") == 1
    assert store.add_turn("CA-other", speaker="caller", kind="dtmf", text="1") == 1
    seq = store.add_turn(
        CALL,
        speaker="caller",
        kind="speech",
        text="what time do you open",
        intent="hours",
        confidence=0.87,
        timings={"stt": 412, "match": 1.5, "tts": 90},
        recording_url="https://api.twilio.com/rec/RE1",
    )
    assert seq == 2
    call = store.get_call(CALL)
    assert call is not None
    assert [t["seq"] for t in call["turns"]] == [1, 2]
    turn = call["turns"][1]
    assert turn["timings"] == {"stt": 412, "match": 1.5, "tts": 90}
    assert (turn["intent"], turn["confidence"]) == ("hours", pytest.approx(0.87))


def test_concurrent_add_turn_gives_unique_consecutive_seqs(store: Store) -> None:
    open_call(store)
    threads, per_thread = 6, 8
    seqs: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def writer(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            try:
                seq = store.add_turn(CALL, speaker="caller", kind="speech", text=f"{n}-{i}")
            except BaseException as exc:
                errors.append(exc)
                return
            with lock:
                seqs.append(seq)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(seqs) == list(range(1, threads * per_thread + 1))
    call = store.get_call(CALL)
    assert call is not None
    assert len({t["text"] for t in call["turns"]}) == threads * per_thread


def test_add_turn_for_unknown_call_raises(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown call"):
        store.add_turn("CA-missing", speaker="caller", kind="speech", text="hi")
    with pytest.raises(ValueError, match="speaker"):
        store.add_turn(CALL, speaker="agent", kind="speech", text="hi")


def test_foreign_key_violation_is_wrapped(store: Store) -> None:
    with pytest.raises(StoreError, match="add_transfer failed") as info:
        store.add_transfer("CA-missing", reason="caller asked", target="+15005550009")
    assert info.value.__cause__ is not None
    with pytest.raises(StoreError, match="add_voicemail failed"):
        store.add_voicemail(
            "CA-missing", recording_url="u", recording_sid="RE1", duration_s=3, transcript=None
        )


def test_transfers(store: Store) -> None:
    open_call(store)
    assert store.latest_transfer(CALL) is None
    first = store.add_transfer(CALL, reason="caller asked for a person", target="+15005550009")
    second = store.add_transfer(CALL, reason="retry", target=None)
    store.update_transfer(first, status="no-answer", dial_call_sid="CA-dial", duration_s=0)
    store.update_transfer(second, status="completed", duration_s=95)
    latest = store.latest_transfer(CALL)
    assert latest is not None
    assert (latest.id, latest.status, latest.duration_s, latest.target) == (
        second,
        "completed",
        95,
        None,
    )
    assert latest.updated_at >= latest.created_at
    assert latest.created_at.utcoffset() is not None
    call = store.get_call(CALL)
    assert call is not None
    assert [t["status"] for t in call["transfers"]] == ["no-answer", "completed"]
    assert call["transfers"][0]["dial_call_sid"] == "CA-dial"
    with pytest.raises(StoreError, match="unknown transfer"):
        store.update_transfer(999_999, status="completed")


def test_voicemail_is_idempotent_on_recording_sid(store: Store) -> None:
    open_call(store)
    args: dict[str, Any] = {"recording_url": "https://x/RE1", "duration_s": 12}
    first = store.add_voicemail(CALL, recording_sid="RE1", transcript="call me back", **args)
    again = store.add_voicemail(CALL, recording_sid="RE1", transcript="call me back", **args)
    other = store.add_voicemail(CALL, recording_sid=None, transcript=None, **args)
    assert first == again != other
    call = store.get_call(CALL)
    assert call is not None
    assert [v["transcript"] for v in call["voicemails"]] == ["call me back", None]


def test_webhook_replies_keep_the_first_body(store: Store) -> None:
    assert store.get_reply("CA1:turn:3") is None
    store.put_reply("CA1:turn:3", "<Response><Say>one</Say></Response>")
    store.put_reply("CA1:turn:3", "<Response><Say>two</Say></Response>")
    assert store.get_reply("CA1:turn:3") == "<Response><Say>one</Say></Response>"


def test_list_calls_newest_first_with_summary(store: Store) -> None:
    for n in range(3):
        open_call(store, f"CA{n}")
    store.add_turn("CA0", speaker="caller", kind="speech", text="hours?", intent="hours")
    store.add_turn("CA0", speaker="bot", kind="prompt", text="9 to 5")
    store.add_turn("CA0", speaker="caller", kind="unclear", text="mmm")
    store.add_transfer("CA1", reason="asked", target=None)
    calls = store.list_calls()
    assert [c["call_sid"] for c in calls] == ["CA2", "CA1", "CA0"]
    by_sid = {c["call_sid"]: c for c in calls}
    assert by_sid["CA0"]["turn_count"] == 3
    assert by_sid["CA0"]["last_intent"] == "hours"
    assert by_sid["CA0"]["transferred"] is False
    assert by_sid["CA1"]["transferred"] is True
    assert by_sid["CA2"] | {"started_at": None} == {
        "call_sid": "CA2",
        "from": "+15005550006",
        "to": "+15005550001",
        "direction": "inbound",
        "status": "ringing",
        "phase": "greeting",
        "started_at": None,
        "ended_at": None,
        "duration_s": None,
        "turn_count": 0,
        "transferred": False,
        "last_intent": None,
        "handoff_reason": None,
        "handoff_priority": None,
    }
    assert [c["call_sid"] for c in store.list_calls(limit=1, offset=1)] == ["CA1"]


def test_get_call_shape(store: Store) -> None:
    assert store.get_call("CA-missing") is None
    open_call(store)
    store.save_state(CALL, "answering", {"misses": 1})
    store.add_turn(CALL, speaker="bot", kind="prompt", text="Hi", timings={"tts": 80})
    store.add_transfer(CALL, reason="asked", target="+1500")
    call = store.get_call(CALL)
    assert call is not None
    assert set(call) >= {
        "call_sid", "account_sid", "from", "to", "direction", "status", "phase", "state",
        "started_at", "updated_at", "ended_at", "duration_s", "turns", "transfers", "voicemails",
    }  # fmt: skip
    assert (call["phase"], call["state"]) == ("answering", {"misses": 1})
    assert set(call["turns"][0]) >= {
        "seq", "speaker", "kind", "text", "intent", "confidence", "timings", "created_at",
    }  # fmt: skip
    for stamp in (call["started_at"], call["updated_at"], call["turns"][0]["created_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() is not None
    assert json.loads(json.dumps(call)) == call


def test_create_all_is_repeatable_and_free_text_fits(store: Store) -> None:
    store.create_all()
    open_call(store)
    long_kind, long_intent = "collect_slot_confirmation", "opening_hours_" + "x" * 200
    store.add_turn(CALL, speaker="bot", kind=long_kind, text="?", intent=long_intent)
    call = store.get_call(CALL)
    assert call is not None
    assert (call["turns"][0]["kind"], call["turns"][0]["intent"]) == (long_kind, long_intent)


def test_escalations_are_an_audit_trail(store: Store) -> None:
    store.open_call(
        "CA" + "e" * 32,
        account_sid="AC1",
        from_number="+1",
        to_number="+2",
        direction="inbound",
        status="in-progress",
    )
    first = store.add_escalation(
        "CA" + "e" * 32,
        reason="sensitive:fraud",
        priority="urgent",
        outcome="transfer",
        evidence="someone used my [card]",
        detail={"spoken": "Possible fraud."},
    )
    second = store.add_escalation(
        "CA" + "e" * 32,
        reason="frustration",
        priority="high",
        outcome="after_hours",
        evidence="",
        detail={},
    )
    assert second > first
    call = store.get_call("CA" + "e" * 32)
    assert call is not None
    assert [e["reason"] for e in call["escalations"]] == ["sensitive:fraud", "frustration"]
    assert call["escalations"][0]["detail"] == {"spoken": "Possible fraud."}
    assert call["escalations"][0]["priority"] == "urgent"


def test_list_calls_search_and_filters(store: Store) -> None:
    for sid, number in (("CA" + "s1" * 16, "+15550001"), ("CA" + "s2" * 16, "+15550002")):
        store.open_call(
            sid,
            account_sid="AC1",
            from_number=number,
            to_number="+2",
            direction="inbound",
            status="in-progress",
        )
    store.add_turn("CA" + "s1" * 16, speaker="caller", kind="speech", text="My ROUTER is broken")
    store.add_escalation(
        "CA" + "s2" * 16,
        reason="keypad_0",
        priority="normal",
        outcome="transfer",
        evidence="",
        detail={},
    )
    assert [c["from"] for c in store.list_calls(search="router")] == ["+15550001"]
    assert [c["from"] for c in store.list_calls(search="0002")] == ["+15550002"]
    assert [c["from"] for c in store.list_calls(caller="+15550001")] == ["+15550001"]
    [handed] = store.list_calls(handed_over=True)
    assert (handed["handoff_reason"], handed["handoff_priority"]) == ("keypad_0", "normal")
    assert [c["from"] for c in store.list_calls(handed_over=False)] == ["+15550001"]


def test_create_all_adds_indexes_missing_from_an_older_database(store: Store) -> None:
    from sqlalchemy import inspect, text

    with store.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_turns_created_at"))
    assert "ix_turns_created_at" not in {
        i["name"] for i in inspect(store.engine).get_indexes("turns")
    }
    store.create_all()  # what start-up does
    assert "ix_turns_created_at" in {i["name"] for i in inspect(store.engine).get_indexes("turns")}
