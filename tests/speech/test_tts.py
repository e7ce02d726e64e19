import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from voice.errors import ConfigError, SpeechError
from voice.speech.models import BUNDLED_VOICE, resolve_piper_voice
from voice.speech.tts import PiperTTS, TextToSpeech


async def test_synthesizes_a_sentence(piper: PiperTTS) -> None:
    started = time.perf_counter()
    audio = await piper.synthesize("Thanks for calling. How can I help you today?")
    print(f"piper: {time.perf_counter() - started:.3f} s for {audio.duration_s:.2f} s of audio")
    assert audio.rate == 22050
    assert audio.samples.dtype == np.int16
    assert 1.5 < audio.duration_s < 6.0
    rms = np.sqrt(np.mean(audio.samples.astype(np.float64) ** 2))
    assert rms > 500


async def test_several_sentences_are_concatenated(piper: PiperTTS) -> None:
    one = await piper.synthesize("Your order has shipped.")
    three = await piper.synthesize(
        "Your order has shipped. It should arrive on Monday. Is there anything else?"
    )
    assert three.duration_s > 2 * one.duration_s


def test_name_identifies_the_voice(piper: PiperTTS) -> None:
    engine: TextToSpeech = piper
    assert engine.name == "piper:en_US-joe-medium"


@pytest.mark.parametrize("text", ["", "   \n"])
async def test_empty_text_is_an_error(piper: PiperTTS, text: str) -> None:
    with pytest.raises(SpeechError, match="empty"):
        await piper.synthesize(text)


async def test_synthesize_before_load(executor: ThreadPoolExecutor) -> None:
    tts = PiperTTS(*resolve_piper_voice(BUNDLED_VOICE), executor=executor)
    with pytest.raises(SpeechError, match="before load"):
        await tts.synthesize("Hello.")


def test_load_failure_is_a_config_error(executor: ThreadPoolExecutor) -> None:
    tts = PiperTTS("/nowhere/voice.onnx", "/nowhere/voice.onnx.json", executor=executor)
    with pytest.raises(ConfigError, match="could not load Piper voice"):
        tts.load()


async def test_a_variant_shares_the_loaded_voice_at_another_pace(
    caller_piper: PiperTTS, executor: ThreadPoolExecutor
) -> None:
    slow = caller_piper.variant(executor=executor, length_scale=1.3)
    assert slow.name == "piper:en_US-joe-medium@1.3"  # other audio, another cache key
    normal = await caller_piper.synthesize("Your order has shipped.")
    slower = await slow.synthesize("Your order has shipped.")
    assert 1.15 < slower.duration_s / normal.duration_s < 1.45
    again = await caller_piper.variant(executor=executor).synthesize("Your order has shipped.")
    assert np.array_equal(again.samples, normal.samples)
