"""Synthesized replies as 8 kHz WAV files, named by a keyed hash of voice and text.

The id is ``HMAC-SHA256(key, tts.name + "\\0" + text)`` in hex, cut to 32 characters:
the same reply maps to the same file across restarts, and without the key nobody can
guess the URL of a reply (which may contain caller details) from its text.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from voice.errors import ConfigError, SpeechError
from voice.speech.audio import Audio
from voice.speech.codecs import phone_wav
from voice.speech.tts import TextToSpeech

ID_LENGTH = 32
"""Hex characters in an audio id (128 bits)."""
MIN_KEY_BYTES = 16

_ID_PATTERN = re.compile(rf"[0-9a-f]{{{ID_LENGTH}}}")


class ReplyAudioCache:
    """Directory of phone-quality WAVs (8 kHz mono 16-bit) for Twilio <Play>.

    Concurrent requests for one text synthesize it once; a failed synthesis is not cached,
    so the next request tries again.
    """

    def __init__(self, directory: Path, tts: TextToSpeech, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(
                f"the reply audio key is {len(key)} bytes; use at least {MIN_KEY_BYTES} random "
                "bytes, e.g. from `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the reply audio folder {directory} ({exc}): choose a writable path."
            ) from exc
        self._directory = directory
        self._tts = tts
        self._key = key
        self._pending: dict[str, asyncio.Task[None]] = {}

    def id_for(self, text: str) -> str:
        """The audio id of ``text`` in this voice (whether or not it is synthesized yet)."""
        message = f"{self._tts.name}\0{text}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:ID_LENGTH]

    async def audio_id(self, text: str) -> str:
        """Synthesize ``text`` unless its file exists; its id. SpeechError on failure."""
        audio_id = self.id_for(text)
        if self._file(audio_id).is_file():
            return audio_id
        task = self._pending.get(audio_id)
        if task is None:
            task = asyncio.create_task(self._produce(audio_id, text))
            self._pending[audio_id] = task
            task.add_done_callback(self._forget)
        # shield: a caller that hangs up must not cancel the synthesis others wait for.
        await asyncio.shield(task)
        return audio_id

    def path(self, audio_id: str) -> Path | None:
        """The WAV file of ``audio_id``; None for a malformed id or a missing file."""
        if not _ID_PATTERN.fullmatch(audio_id):
            return None
        file = self._file(audio_id)
        return file if file.is_file() else None

    async def warm(self, texts: Iterable[str]) -> None:
        """Synthesize every text not cached yet (for fixed prompts, at start-up)."""
        for text in dict.fromkeys(texts):
            await self.audio_id(text)

    def _forget(self, task: asyncio.Task[None]) -> None:
        """Done callback: drop the finished task, so a failure is retried by the next call."""
        for audio_id, pending in list(self._pending.items()):
            if pending is task:
                del self._pending[audio_id]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have hung up

    def _file(self, audio_id: str) -> Path:
        return self._directory / f"{audio_id}.wav"

    async def _produce(self, audio_id: str, text: str) -> None:
        audio = await self._tts.synthesize(text)
        await asyncio.to_thread(self._write, audio_id, audio)

    def _write(self, audio_id: str, audio: Audio) -> None:
        """Runs in a thread: convert to 8 kHz WAV, write to a temp file, rename into place."""
        data = phone_wav(audio)
        try:
            fd, temp = tempfile.mkstemp(dir=self._directory, prefix=f".{audio_id}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                os.replace(temp, self._file(audio_id))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as exc:
            raise SpeechError(f"could not write reply audio {audio_id}: {exc}") from exc
