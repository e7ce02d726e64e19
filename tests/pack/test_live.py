"""Hot reload of the intent and policy files: real files edited on disk, real matcher."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest

from voice.dialog.engine import DialogEngine
from voice.dialog.state import CallState, Phase
from voice.dialog.turns import Caller, CallerInput, InputKind
from voice.dialog.view import DialogSettings
from voice.errors import IntentFileError
from voice.fulfillment.demo import DemoFulfillment
from voice.intents.loader import IntentSet
from voice.intents.matcher import Matcher
from voice.pack.live import ActiveSet, LiveIntents

ROOT = Path(__file__).resolve().parents[2]
CALLER = Caller(number="+15005550006")
NEW_PHRASE = "my gizmo's flux capacitor is humming"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "intents"
    shutil.copytree(ROOT / "intents", target)
    return target


def live_for(folder: Path, **kwargs: object) -> LiveIntents:
    return LiveIntents(folder, folder / "policy.yaml", **kwargs)  # type: ignore[arg-type]


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line + "\n")


def speech(text: str) -> CallerInput:
    return CallerInput(kind=InputKind.SPEECH, text=text, confidence=0.9)


async def test_a_valid_edit_is_used_for_the_next_match(folder: Path) -> None:
    live = live_for(folder)
    before = live.active
    assert before.matcher.match(NEW_PHRASE).intent is None
    assert (await live.reload()).changed is False  # nothing changed yet
    add_line(folder / "report_outage.yaml", f"  - {NEW_PHRASE}")
    result = await live.reload()
    assert result.changed and result.error is None
    assert live.active is not before and live.active.version == result.version != before.version
    assert live.active.matcher.match(NEW_PHRASE).intent == "report_outage"
    assert before.matcher.match(NEW_PHRASE).intent is None  # the old set is untouched
    assert live.status().last_error is None


async def test_an_invalid_edit_keeps_the_last_good_set_and_says_where(folder: Path) -> None:
    live = live_for(folder)
    good = live.active
    path = folder / "track_order.yaml"
    original = path.read_text()
    path.write_text(original.replace("outcome: answer", "outcome: maybe"))
    result = await live.reload()
    assert not result.changed and live.active is good
    line = 1 + original.splitlines().index("outcome: answer")
    assert result.error is not None and f"{path}:{line}: outcome" in result.error
    status = live.status()
    assert status.last_error == result.error and status.last_error_at is not None
    assert status.version == good.version
    # The same broken files are not loaded (and logged) again on every poll...
    assert (await live.reload()).changed is False
    # ...and a fix clears the error.
    path.write_text(original + f"  - {NEW_PHRASE}\n")
    fixed = await live.reload()
    assert fixed.changed and fixed.error is None and live.status().last_error is None


async def test_broken_yaml_and_a_bad_policy_are_reported_with_their_line(folder: Path) -> None:
    live = live_for(folder)
    good = live.active
    policy = folder / "policy.yaml"
    text = policy.read_text()
    policy.write_text(text.replace("always_human: []", "always_human: [no_such_intent]"))
    result = await live.reload()
    line = 1 + text.splitlines().index("always_human: []")
    assert result.error is not None
    assert result.error.startswith(f"{policy}:{line}: 'no_such_intent' is not an intent")
    assert live.active is good
    policy.write_text(text + "frustration: [\n")  # not YAML at all
    result = await live.reload()
    assert result.error is not None and f"{policy}:" in result.error
    assert "YAML syntax error" in result.error and live.active is good


async def test_a_policy_edit_changes_the_failure_limits_of_the_engine(folder: Path) -> None:
    live = live_for(folder)
    engine = DialogEngine.following(live, DemoFulfillment(), DialogSettings())
    assert engine.settings.max_misses == live.active.policy.failures.no_match
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text().replace("no_match: 3", "no_match: 1"))
    assert (await live.reload()).changed
    state = CallState()
    engine.greet(state)
    decision = engine.handle(state, speech("the purple elephant sings opera"), CALLER)
    assert decision.reason == "repeated_no_match"  # one miss is now enough


async def test_a_caller_asked_for_a_slot_of_a_deleted_intent_carries_on(folder: Path) -> None:
    live = live_for(folder)
    engine = DialogEngine.following(live, DemoFulfillment(), DialogSettings())
    state = CallState()
    engine.greet(state)
    asked = engine.handle(state, speech("where is my order"), CALLER)
    assert asked.expecting == "order_number" and state.phase is Phase.COLLECTING_SLOT
    stored = state.to_dict()  # between turns the state lives in the store as JSON
    (folder / "track_order.yaml").unlink()
    assert (await live.reload()).changed
    resumed = CallState.from_dict(stored)
    decision = engine.handle(resumed, speech("I forgot my password"), CALLER)
    assert decision.intent == "reset_password"
    assert resumed.pending_intent is None and resumed.pending_slot is None
    # A number alone now matches nothing: an ordinary miss, not a crash.
    again = CallState.from_dict(stored)
    engine.handle(again, speech("four five seven one two"), CALLER)
    assert again.phase is Phase.LISTENING and again.misses == 1
    # Keys meant for the order number are not taken for one any more either.
    keyed = CallState.from_dict(stored)
    engine.handle(keyed, CallerInput(kind=InputKind.DTMF, digits="45712#"), CALLER)
    assert keyed.phase is Phase.LISTENING


async def test_the_watcher_picks_up_an_edit_and_tells_listeners(folder: Path) -> None:
    live = live_for(folder)
    seen: list[str] = []

    async def listener(active: ActiveSet) -> None:
        seen.append(active.version)

    live.on_change(listener)
    watcher = asyncio.create_task(live.watch(0.05))
    try:
        add_line(folder / "report_outage.yaml", f"  - {NEW_PHRASE}")
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.05)
    finally:
        watcher.cancel()
    assert seen == [live.active.version]
    assert live.active.matcher.match(NEW_PHRASE).intent == "report_outage"


async def test_new_files_and_removed_files_count_and_the_factory_builds_matchers(
    folder: Path,
) -> None:
    built: list[IntentSet] = []

    def factory(intents: IntentSet) -> Matcher:
        built.append(intents)
        return Matcher(intents, threshold=0.5)

    live = live_for(folder, make_matcher=factory)
    assert len(built) == 1 and live.active.matcher.threshold == 0.5
    (folder / "business_hours.yaml").rename(folder / "business_hours.yaml.off")
    assert (await live.reload()).changed
    assert "business_hours" not in live.active.intents.intents and len(built) == 2
    # A forced reload rebuilds even when nothing changed.
    assert (await live.reload(force=True)).changed and len(built) == 3


async def test_a_matcher_that_fails_to_build_keeps_the_old_set(folder: Path) -> None:
    calls = 0

    def flaky(intents: IntentSet) -> Matcher:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise RuntimeError("encoder went away")
        return Matcher(intents)

    live = live_for(folder, make_matcher=flaky)
    good = live.active
    add_line(folder / "report_outage.yaml", f"  - {NEW_PHRASE}")
    result = await live.reload()
    assert result.error == "RuntimeError: encoder went away" and live.active is good


def test_a_broken_file_at_start_up_still_stops_start_up(folder: Path) -> None:
    (folder / "track_order.yaml").write_text("name: [\n")
    with pytest.raises(IntentFileError, match=r"track_order\.yaml:"):
        live_for(folder)


async def test_each_dialog_thread_keeps_its_set_until_its_next_turn(folder: Path) -> None:
    """Turns are decided in worker threads: a reload landing while one thread is mid-turn
    must not change the set under it, while a turn starting elsewhere takes up the new one."""
    live = live_for(folder)
    engine = DialogEngine.following(live, DemoFulfillment(), DialogSettings())
    old = live.active
    mid_turn = threading.Event()
    reloaded = threading.Event()
    seen: dict[str, object] = {}

    def slow_turn() -> None:
        engine.greet(CallState())  # an entry point: this thread takes up the current set
        seen["before"] = engine.matcher
        mid_turn.set()
        reloaded.wait(10)
        seen["after"] = engine.matcher  # still the same turn: still the same set

    def fresh_turn() -> str | None:
        state = CallState()
        engine.greet(state)
        return engine.handle(state, speech(NEW_PHRASE), CALLER).intent

    worker = threading.Thread(target=slow_turn)
    worker.start()
    assert await asyncio.to_thread(mid_turn.wait, 10)
    add_line(folder / "report_outage.yaml", f"  - {NEW_PHRASE}")
    assert (await live.reload()).changed
    # Another call's turn, in another thread, while the first is still deciding.
    assert await asyncio.to_thread(fresh_turn) == "report_outage"
    reloaded.set()
    await asyncio.to_thread(worker.join, 10)
    assert seen["before"] is old.matcher and seen["after"] is old.matcher
