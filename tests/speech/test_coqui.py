"""CoquiTTS on a real VITS model.

No Coqui weights can be downloaded here, so the model is built from ``VitsConfig`` with random
weights (about 0.25 M parameters, a 1 MB checkpoint), written the way Coqui's trainer writes a
run folder (``checkpoint_1.pth`` and ``config.json``) and loaded back through the engine exactly
as a user's checkpoint is. The audio is noise shaped by random weights, but its rate, length
and format are the real thing. Tests that need the ``coqui`` extra skip without it; the rest
(settings and error messages) run everywhere.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import sys
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voice.errors import ConfigError, SpeechError
from voice.speech.audio import Audio
from voice.speech.cache import ReplyAudioCache
from voice.speech.codecs import PHONE_RATE, mulaw_encode, phone_wav, read_wav, resample
from voice.speech.coqui import CoquiTTS
from voice.speech.tts import TextToSpeech

SKIP_REASON = "Coqui TTS is not installed: pip install -e '.[coqui]'"
RATE = 16000
"""Hz, the test model's output rate (not Coqui's default 22050, so the test sees it is read)."""
SENTENCE = "Thanks for calling. How can I help you today?"
KEY = b"k" * 32


def _api() -> Any:
    return pytest.importorskip("TTS.api", reason=SKIP_REASON)


@pytest.fixture(scope="session")
def vits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trainer-style run folder holding a tiny random-weight VITS model."""
    _api()
    torch = importlib.import_module("torch")
    configs = importlib.import_module("TTS.tts.configs.vits_config")
    models = importlib.import_module("TTS.tts.models.vits")
    trainer_io = importlib.import_module("trainer.io")

    torch.manual_seed(0)
    args = configs.VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=32,
        num_heads_text_encoder=2,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=1,
        num_layers_flow=1,
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        upsample_initial_channel_decoder=16,
        use_sdp=False,  # the deterministic duration predictor: same text, same length
        init_discriminator=False,  # training only
    )
    # Characters, not phonemes: no espeak, no network.
    config = configs.VitsConfig(
        model_args=args, use_phonemes=False, text_cleaner="basic_cleaners", run_name="tiny-vits"
    )
    config.audio.sample_rate = RATE
    model = models.Vits(config)  # fills in config.characters, which the config file must keep
    folder: Path = tmp_path_factory.mktemp("tiny-vits")
    trainer_io.save_checkpoint(config, model, str(folder), current_step=1, epoch=0)
    trainer_io.copy_model_files(config, str(folder), {})
    return folder


@pytest.fixture(scope="session")
def coqui(vits_run: Path, executor: ThreadPoolExecutor) -> CoquiTTS:
    tts = CoquiTTS(
        checkpoint_path=str(vits_run / "checkpoint_1.pth"),
        config_path=str(vits_run / "config.json"),
        executor=executor,
    )
    started = time.perf_counter()
    tts.load()
    print(f"coqui: loaded in {time.perf_counter() - started:.3f} s")
    return tts


def _rms(audio: Audio) -> float:
    return float(np.sqrt(np.mean(audio.samples.astype(np.float64) ** 2)))


async def test_synthesizes_a_sentence_at_the_model_rate(coqui: CoquiTTS) -> None:
    started = time.perf_counter()
    audio = await coqui.synthesize(SENTENCE)
    print(f"coqui: {time.perf_counter() - started:.3f} s for {audio.duration_s:.2f} s of audio")
    assert coqui.sample_rate == RATE
    assert audio.rate == RATE
    assert audio.samples.dtype == np.int16
    assert audio.samples.ndim == 1
    # One character lasts a few hop lengths (16 ms each at 16 kHz) with random weights.
    assert 0.5 < audio.duration_s < 0.25 * len(SENTENCE)
    assert _rms(audio) > 100


async def test_converts_to_8khz_mulaw(coqui: CoquiTTS) -> None:
    audio = await coqui.synthesize(SENTENCE)
    expected = round(len(audio.samples) * PHONE_RATE / RATE)

    with wave.open(io.BytesIO(phone_wav(audio))) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (8000, 1, 2)
    phone = read_wav(phone_wav(audio))
    assert phone.rate == PHONE_RATE
    assert abs(len(phone.samples) - expected) <= 1
    assert _rms(phone) > 50

    mulaw = mulaw_encode(resample(audio.samples, audio.rate, PHONE_RATE))
    assert len(mulaw) == len(phone.samples)  # one byte per sample: 8000 bytes a second


async def test_concurrent_calls_each_get_their_audio(coqui: CoquiTTS) -> None:
    short, long = await asyncio.gather(
        coqui.synthesize("Yes."), coqui.synthesize("Your order has shipped and arrives Monday.")
    )
    assert 0 < short.duration_s < long.duration_s


def test_name_identifies_the_checkpoint(coqui: CoquiTTS) -> None:
    engine: TextToSpeech = coqui
    assert engine.name.startswith("coqui:tiny-vits")
    assert engine.name.endswith("/checkpoint_1")


class CountingTTS:
    """The real Coqui engine, counting how often it is asked to speak."""

    def __init__(self, inner: CoquiTTS) -> None:
        self.inner = inner
        self.calls: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    async def synthesize(self, text: str) -> Audio:
        self.calls.append(text)
        return await self.inner.synthesize(text)


async def test_reply_cache_synthesizes_once(coqui: CoquiTTS, tmp_path: Path) -> None:
    counting = CountingTTS(coqui)
    cache = ReplyAudioCache(tmp_path / "replies", counting, KEY)
    ids = await asyncio.gather(*(cache.audio_id(SENTENCE) for _ in range(3)))
    again = await cache.audio_id(SENTENCE)
    assert set(ids) == {again}
    assert counting.calls == [SENTENCE]
    path = cache.path(again)
    assert path is not None
    assert read_wav(path.read_bytes()).rate == PHONE_RATE


@pytest.mark.parametrize("text", ["", "  \n"])
async def test_empty_text_is_an_error(coqui: CoquiTTS, text: str) -> None:
    with pytest.raises(SpeechError, match="empty"):
        await coqui.synthesize(text)


def test_speaker_for_a_single_speaker_model_is_refused(
    vits_run: Path, executor: ThreadPoolExecutor
) -> None:
    tts = CoquiTTS(
        checkpoint_path=str(vits_run / "checkpoint_1.pth"),
        config_path=str(vits_run / "config.json"),
        speaker="p225",
        executor=executor,
    )
    with pytest.raises(ConfigError, match="unset COQUI_SPEAKER"):
        tts.load()


def test_invalid_checkpoint_is_a_config_error(
    vits_run: Path, tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    _api()
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"not a checkpoint")
    tts = CoquiTTS(
        checkpoint_path=str(broken), config_path=str(vits_run / "config.json"), executor=executor
    )
    with pytest.raises(ConfigError, match="could not load Coqui checkpoint"):
        tts.load()


# ---------------------------------------------------------------------------------------------
# Without the extra: these run everywhere.


@pytest.mark.parametrize(
    ("model_name", "checkpoint", "config"),
    [
        (None, None, None),
        (None, "model.pth", None),
        ("tts_models/en/ljspeech/vits", "model.pth", "config.json"),
    ],
)
def test_settings_must_name_one_model(
    model_name: str | None, checkpoint: str | None, config: str | None
) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(ConfigError, match="COQUI_"):
        CoquiTTS(
            model_name=model_name, checkpoint_path=checkpoint, config_path=config, executor=pool
        )


def test_name_of_a_named_model_includes_the_speaker(executor: ThreadPoolExecutor) -> None:
    tts = CoquiTTS(model_name="tts_models/en/vctk/vits", speaker="p225", executor=executor)
    assert tts.name == "coqui:tts_models/en/vctk/vits:p225"


def test_missing_files_are_a_config_error(tmp_path: Path, executor: ThreadPoolExecutor) -> None:
    tts = CoquiTTS(
        checkpoint_path=str(tmp_path / "best_model.pth"),
        config_path=str(tmp_path / "config.json"),
        executor=executor,
    )
    with pytest.raises(ConfigError, match=r"COQUI_CHECKPOINT .* is not a file"):
        tts.load()


def test_missing_extra_names_the_install_command(
    tmp_path: Path, executor: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("model.pth", "config.json"):
        (tmp_path / name).write_text("{}")
    monkeypatch.setitem(sys.modules, "TTS.api", None)  # what an absent package looks like
    tts = CoquiTTS(
        checkpoint_path=str(tmp_path / "model.pth"),
        config_path=str(tmp_path / "config.json"),
        executor=executor,
    )
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[coqui\]'"):
        tts.load()


async def test_synthesize_before_load(executor: ThreadPoolExecutor) -> None:
    tts = CoquiTTS(model_name="tts_models/en/ljspeech/vits", executor=executor)
    with pytest.raises(SpeechError, match="before load"):
        await tts.synthesize("Hello.")
