"""One clip through a turn-by-turn call: the real webhooks, in process.

The simulated caller posts the signed webhooks Twilio would post to the app (over ASGI, no
socket), and the clip is the ``<Record>`` recording Twilio would hold: Twilio trims silence
from recordings by default, so leading and trailing audio quieter than ``TRIM_DBFS`` is cut,
and the recording starts and ends on speech. The app downloads it from a loopback stand-in
for Twilio's recordings API, as it would from Twilio.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from voice.deps import AppContext
from voice.simulator.call import SimulatedCall
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.simulator.script import PlayFile
from voice.simulator.spoken.scoring import caller_speech
from voice.speech.audio import Audio
from voice.speech.codecs import wav_bytes

TRIM_DBFS = -45.0
"""Windows (10 ms) quieter than this at either end of a recording count as silence."""


@dataclass
class TurnHearing:
    call_sid: str
    recording_ms: float
    record: dict[str, Any] = field(default_factory=dict)

    def caller_turns(self) -> list[dict[str, Any]]:
        return caller_speech(self.record)


def trim_silence(samples: np.ndarray, dbfs: float = TRIM_DBFS) -> np.ndarray:
    """``samples`` (8 kHz int16) without the quiet windows at either end."""
    window = 80
    usable = len(samples) // window * window
    if not usable:
        return samples
    blocks = samples[:usable].reshape(-1, window).astype(np.float64) / 32768
    level = 20 * np.log10(np.sqrt(np.mean(blocks**2, axis=1)) + 1e-9)
    loud = np.flatnonzero(level > dbfs)
    if not len(loud):
        return samples[:0]
    return samples[loud[0] * window : (loud[-1] + 1) * window].copy()


class TurnCalls:
    """Places turn-by-turn calls on an app running with ``VOICE_MODE=turns``."""

    def __init__(self, app: Any, ctx: AppContext, voice: CallerVoice) -> None:
        self.ctx = ctx
        self.voice = voice
        self._app = app
        self._host = RecordingHost(
            ctx.settings.twilio_account_sid, ctx.secrets.twilio_auth_token
        ).start()
        self._folder = tempfile.TemporaryDirectory(prefix="spoken-eval-")

    def close(self) -> None:
        self._host.close()
        self._folder.cleanup()

    async def hear(self, samples: np.ndarray) -> TurnHearing:
        """One call: the greeting, then ``samples`` as the caller's first recording."""
        recording = trim_silence(samples)
        path = Path(self._folder.name) / "recording.wav"
        path.write_bytes(wav_bytes(Audio(recording, 8000)))
        transport = httpx.ASGITransport(app=self._app)
        settings = self.ctx.settings
        async with httpx.AsyncClient(transport=transport, base_url="http://eval.local") as client:
            call = SimulatedCall(
                client,
                public_base_url=settings.public_base_url,
                auth_token=self.ctx.secrets.twilio_auth_token,
                account_sid=settings.twilio_account_sid,
                recordings=self._host,
                voice=self.voice,
                from_number="+15005550199",
            )
            result = await call.run([PlayFile(path)] if len(recording) else [])
        record = await self.ctx.store.get_call(result.call_sid) or {}
        return TurnHearing(result.call_sid, len(recording) / 8, record)
