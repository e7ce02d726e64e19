import asyncio
import threading
from pathlib import Path

from voice.store import AsyncStore


async def test_async_store_runs_off_the_event_loop(astore: AsyncStore) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []
    original = astore.sync.get_reply

    def spy(key: str) -> str | None:
        seen.append(threading.get_ident())
        return original(key)

    astore.sync.get_reply = spy  # type: ignore[method-assign]
    assert await astore.get_reply("missing") is None
    assert seen and seen[0] != loop_thread


async def test_async_store_full_call(astore: AsyncStore) -> None:
    created = await astore.open_call(
        "CA-async",
        account_sid="AC1",
        from_number="+15005550006",
        to_number="+15005550001",
        direction="inbound",
        status="ringing",
    )
    assert created is True
    await astore.save_state("CA-async", "listening", {"misses": 0})
    assert await astore.get_state("CA-async") == ("listening", {"misses": 0})
    seqs = await asyncio.gather(
        *(
            astore.add_turn("CA-async", speaker="caller", kind="speech", text=str(n))
            for n in range(5)
        )
    )
    assert sorted(seqs) == [1, 2, 3, 4, 5]
    transfer = await astore.add_transfer("CA-async", reason="asked", target=None)
    await astore.update_transfer(transfer, status="busy")
    latest = await astore.latest_transfer("CA-async")
    assert latest is not None and latest.status == "busy"
    await astore.add_voicemail(
        "CA-async", recording_url="u", recording_sid="RE9", duration_s=4, transcript="hi"
    )
    await astore.put_reply("k", "body")
    assert await astore.get_reply("k") == "body"
    assert await astore.apply_status("CA-async", status="completed", sequence=5, duration_s=30)
    assert not await astore.apply_status(
        "CA-async", status="in-progress", sequence=2, duration_s=None
    )
    [summary] = await astore.list_calls()
    assert (summary["status"], summary["turn_count"], summary["transferred"]) == (
        "completed",
        5,
        True,
    )
    call = await astore.get_call("CA-async")
    assert call is not None and len(call["voicemails"]) == 1


async def test_from_url_create_all_and_close(tmp_path: Path) -> None:
    astore = AsyncStore.from_url(f"sqlite:///{tmp_path}/a.db")
    await astore.create_all()
    assert await astore.list_calls() == []
    await astore.close()
