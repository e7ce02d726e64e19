"""A whole call (signed webhooks, real Whisper and Piper) while the intent files change
under it: the call is not dropped, and the next turn uses the new set."""

from __future__ import annotations

from pathlib import Path

from tests.admin.conftest import admin_line, intents_dir  # noqa: F401  (fixtures)
from tests.conftest import Line
from voice.simulator.call import Exchange
from voice.simulator.script import Say
from voice.text import prompts


async def test_a_call_waiting_for_an_order_number_survives_its_intent_being_deleted(
    admin_line: Line,  # noqa: F811
    intents_dir: Path,  # noqa: F811
) -> None:
    live = admin_line.ctx.intents
    assert live is not None
    reloads: list[str] = []

    async def edit_after_first_turn(exchange: Exchange) -> None:
        if exchange.path.startswith("/twilio/turn") and not reloads:
            # The bot just asked for the order number; now track_order goes away.
            (intents_dir / "track_order.yaml").unlink()
            result = await live.reload()
            assert result.changed and result.error is None
            reloads.append(result.version)

    call = admin_line.call()
    call.on_exchange = edit_after_first_turn
    steps = ["Where is my order?", "It's four five seven one two.", "I forgot my password."]
    result = await call.run([Say(text) for text in [*steps, "No thanks."]])
    record = await admin_line.record(result.call_sid)
    caller = [t for t in record["turns"] if t["speaker"] == "caller"]
    # The number answers a question the new set no longer asks: an ordinary miss.
    assert [t["intent"] for t in caller] == ["track_order", None, "reset_password", None]
    bot = [t["text"] for t in record["turns"] if t["speaker"] == "bot"]
    assert "What's your order number?" in bot[1]
    assert "Sorry" in bot[2] and "order" not in bot[2]  # "Sorry, I didn't get that" + menu
    assert prompts.RETRY not in " ".join(bot) and prompts.GOODBYE in bot[-1]
    assert record["status"] == "completed" and result.hung_up_by == "service"
    assert reloads == [live.active.version]
    assert "track_order" not in live.active.intents.intents
