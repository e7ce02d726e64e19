import asyncio
import hashlib
import hmac
import io
import wave
from pathlib import Path

import pytest

from voice.errors import ConfigError, SpeechError
from voice.speech.audio import Audio
from voice.speech.cache import ReplyAudioCache
from voice.speech.codecs import read_wav
from voice.speech.tts import PiperTTS

KEY = b"k" * 32


class CountingTTS:
    """The real Piper voice, counting how often it is asked to speak."""

    def __init__(self, inner: PiperTTS) -> None:
        self.inner = inner
        self.calls: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    async def synthesize(self, text: str) -> Audio:
        self.calls.append(text)
        return await self.inner.synthesize(text)


@pytest.fixture
def tts(piper: PiperTTS) -> CountingTTS:
    return CountingTTS(piper)


@pytest.fixture
def cache(tmp_path: Path, tts: CountingTTS) -> ReplyAudioCache:
    return ReplyAudioCache(tmp_path / "replies", tts, KEY)


async def test_id_is_keyed_hash_of_voice_and_text(cache: ReplyAudioCache) -> None:
    audio_id = await cache.audio_id("Hello.")
    expected = hmac.new(KEY, b"piper:en_US-joe-medium\0Hello.", hashlib.sha256).hexdigest()
    assert audio_id == expected[:32]


async def test_same_text_is_synthesized_once(cache: ReplyAudioCache, tts: CountingTTS) -> None:
    first = await cache.audio_id("One moment please.")
    second = await cache.audio_id("One moment please.")
    assert first == second
    assert tts.calls == ["One moment please."]


async def test_concurrent_requests_share_one_synthesis(
    cache: ReplyAudioCache, tts: CountingTTS
) -> None:
    ids = await asyncio.gather(*(cache.audio_id("Let me check that.") for _ in range(5)))
    assert len(set(ids)) == 1
    assert len(tts.calls) == 1


async def test_files_survive_a_restart(tmp_path: Path, tts: CountingTTS) -> None:
    audio_id = await ReplyAudioCache(tmp_path, tts, KEY).audio_id("Goodbye.")
    again = await ReplyAudioCache(tmp_path, tts, KEY).audio_id("Goodbye.")
    assert again == audio_id
    assert len(tts.calls) == 1


async def test_different_key_or_text_gives_different_id(
    tmp_path: Path, cache: ReplyAudioCache, tts: CountingTTS
) -> None:
    other_key = ReplyAudioCache(tmp_path / "other", tts, b"x" * 32)
    assert await cache.audio_id("Hi.") != await other_key.audio_id("Hi.")
    assert await cache.audio_id("Hi.") != await cache.audio_id("Hi!")


async def test_file_is_an_8khz_mono_16bit_wav(cache: ReplyAudioCache) -> None:
    audio_id = await cache.audio_id("Your appointment is confirmed.")
    path = cache.path(audio_id)
    assert path is not None
    assert path.name == f"{audio_id}.wav"
    data = path.read_bytes()
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (8000, 1, 2)
    assert 1.0 < read_wav(data).duration_s < 5.0
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left


@pytest.mark.parametrize(
    "bad",
    [
        "../etc",
        "../../etc/passwd",
        "",
        "0" * 31,
        "0" * 33,
        "A" * 32,
        "g" * 32,
        "0" * 30 + "/x",
        "0" * 32 + ".wav",
    ],
)
def test_path_rejects_malformed_ids(cache: ReplyAudioCache, bad: str) -> None:
    assert cache.path(bad) is None


def test_path_of_unknown_id_is_none(cache: ReplyAudioCache) -> None:
    assert cache.path("0123456789abcdef" * 2) is None


async def test_warm_synthesizes_each_text_once(cache: ReplyAudioCache, tts: CountingTTS) -> None:
    await cache.warm(["Hello.", "Goodbye.", "Hello."])
    assert sorted(tts.calls) == ["Goodbye.", "Hello."]
    await cache.audio_id("Goodbye.")
    assert len(tts.calls) == 2


async def test_failed_synthesis_is_not_cached(cache: ReplyAudioCache, tts: CountingTTS) -> None:
    for _ in range(2):
        with pytest.raises(SpeechError):
            await cache.audio_id("   ")
    assert len(tts.calls) == 2


def test_short_key_is_refused(tmp_path: Path, tts: CountingTTS) -> None:
    with pytest.raises(ConfigError, match="at least 16"):
        ReplyAudioCache(tmp_path, tts, b"secret")
