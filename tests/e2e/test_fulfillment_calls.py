"""Whole calls with FULFILLMENT_URL set: the answer comes from the endpoint; when it is
down, the caller hears an apology and is put through, and the admin sees why."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import AGENT, make_settings, open_line
from tests.fulfillment.endpoint import Endpoint, refused_url
from voice.engines import Engines
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.simulator.script import Keys, Say
from voice.text import prompts


async def test_order_status_from_the_endpoint_then_with_it_down(
    tmp_path: Path,
    shared_data: Path,
    engines: Engines,
    recordings: RecordingHost,
    caller_voice: CallerVoice,
) -> None:
    endpoint = Endpoint()
    try:
        for url, db in ((f"{endpoint.url}/ok", "up.db"), (refused_url(), "down.db")):
            settings = make_settings(
                shared_data,
                database_url=f"sqlite:///{tmp_path / db}",
                fulfillment_url=url,
                fulfillment_secret="e2e-fulfillment-secret",
            )
            async with open_line(settings, engines, recordings, caller_voice) as line:
                result, record = await line.run(
                    [Say("Track my order please."), Keys("45712#"), Say("No thanks.")]
                )
            bot = " ".join(t["text"] for t in record["turns"] if t["speaker"] == "bot")
            keyed = next(t for t in record["turns"] if t["kind"] == "dtmf")
            assert keyed["timings"]["lookup_ms"] >= 0
            if url.endswith("/ok"):
                assert "Order four five seven one two left our Berlin warehouse" in bot
                assert endpoint.body()["call_sid"] == result.call_sid
                assert endpoint.body()["slots"] == {"order_number": "45712"}
                assert not record["transfers"]
            else:
                assert f"{prompts.LOOKUP_FAILED} {prompts.CONNECTING}" in bot
                assert result.dialed == [AGENT]
                [escalation] = record["escalations"]
                assert escalation["reason"] == "fulfillment_error"
                assert escalation["detail"]["lookup_outcome"] == "connect"
    finally:
        endpoint.close()
