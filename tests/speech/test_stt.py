import asyncio
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.transcribe import Segment

from tests.speech import audio_fixtures as af
from tests.speech.conftest import Joe, Speaker, tone
from voice.errors import ConfigError, SpeechError
from voice.speech.audio import Audio
from voice.speech.codecs import to_phone_quality
from voice.speech.stt import SpeechToText, Transcript, WhisperSTT, _combine
from voice.speech.tts import PiperTTS

PHRASES = [
    ("I'd like to check the status of my order, please.", ["status", "order"]),
    ("Can I speak to a human agent?", ["speak", "human", "agent"]),
    ("What are your opening hours on Saturday?", ["opening", "hours", "saturday"]),
    ("I want to cancel my subscription.", ["cancel", "subscription"]),
]


async def timed(stt: SpeechToText, audio: Audio, label: str) -> Transcript:
    started = time.perf_counter()
    result = await stt.transcribe(audio)
    print(f"whisper {label}: {time.perf_counter() - started:.3f} s -> {result.text!r}")
    return result


@pytest.mark.parametrize(("sentence", "words"), PHRASES)
async def test_transcribes_phone_quality_speech(
    whisper: WhisperSTT, caller_piper: PiperTTS, sentence: str, words: list[str]
) -> None:
    caller = to_phone_quality(await caller_piper.synthesize(sentence))
    result = await timed(whisper, caller, sentence)
    for word in words:
        assert word in result.text.lower()
    assert not result.no_speech
    assert 0.3 < result.confidence <= 1.0
    assert result.duration_s == pytest.approx(caller.duration_s)


async def test_short_yes_is_kept(whisper: WhisperSTT, caller_piper: PiperTTS) -> None:
    result = await timed(whisper, to_phone_quality(await caller_piper.synthesize("Yes.")), "yes")
    assert "yes" in result.text.lower()


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()


def recording(audio: Audio, gain: float = 1.0) -> Audio:
    """A turn-by-turn ``<Record>`` recording: the caller's line, trimmed by Twilio so it
    starts and ends on speech."""
    return Audio(af.twilio_trimmed(af.phone_line(audio, gain)), af.RATE)


# Faster-whisper's VAD filter (Silero at 0.5) returned nothing for these recordings, except
# "Refund." and "Operator." at 1.1, whose first syllable it cut off ("for fun.", "for Reader.").
@pytest.mark.parametrize(
    ("text", "length_scale", "gain", "word"),
    [
        ("What are your hours?", 1.1, 1.0, "hours"),
        ("Help.", 1.1, 1.0, "help"),
        ("Agent.", 1.1, 1.0, "agent"),
        ("Refund.", 1.1, 1.0, "refund"),
        ("Yes.", 1.1, 1.0, "yes"),
        ("No.", 1.1, 1.0, "no"),
        ("Operator.", 1.0, 1.0, "operator"),
        ("Operator.", 1.1, 1.0, "operator"),
        ("Billing.", 1.1, 1.0, "billing"),
        ("Help.", 1.1, 0.25, "help"),
        ("Operator.", 1.1, 0.25, "operator"),
    ],
)
async def test_short_recording_is_heard(
    whisper: WhisperSTT, joe: Joe, text: str, length_scale: float, gain: float, word: str
) -> None:
    audio = recording(joe.say(text, length_scale), gain)
    result = await timed(whisper, audio, f"{text} at {length_scale}, gain {gain}")
    assert word in words(result.text)
    assert not result.no_speech


# Other callers; the VAD filter returned nothing for each of them too.
@pytest.mark.parametrize(
    ("voice", "text", "word"),
    [
        ("slt", "Yes.", "yes"),
        ("slt", "No.", "no"),
        ("rms", "No.", "no"),
        ("awb", "No.", "no"),
        ("awb", "Agent.", "agent"),
    ],
)
async def test_short_recording_by_flite_is_heard(
    whisper: WhisperSTT, flite: Callable[[str], Speaker], voice: str, text: str, word: str
) -> None:
    result = await timed(whisper, recording(flite(voice)(text)), f"flite {voice} {text}")
    assert word in words(result.text)


@pytest.mark.parametrize(("text", "word"), [("Yes.", "yes"), ("Agent.", "agent")])
async def test_short_recording_by_hibari_is_heard(
    whisper: WhisperSTT, hibari: Speaker, text: str, word: str
) -> None:
    result = await timed(whisper, recording(hibari(text)), f"hibari {text}")
    assert word in words(result.text)


LIVE_SENTENCE = "Can I speak to a human agent?"


async def test_live_turn_is_heard_as_before(whisper: WhisperSTT, joe: Joe) -> None:
    """A media-stream turn (300 ms before the speech, 200 ms after) in the quality the
    simulator's callers have: the VAD filter heard it whole, and decoding it whole agrees."""
    said = af.twilio_trimmed(to_phone_quality(joe.say(LIVE_SENTENCE)).samples)
    result = await timed(whisper, Audio(af.live_turn(said), af.RATE), "live turn")
    assert result.text == LIVE_SENTENCE


async def test_live_turn_on_the_telephone_band_is_heard_whole(
    whisper: WhisperSTT, joe: Joe
) -> None:
    """The same turn on the telephone band: the VAD filter kept only "human agent."."""
    said = af.twilio_trimmed(af.phone_line(joe.say(LIVE_SENTENCE)))
    result = await timed(whisper, Audio(af.live_turn(said), af.RATE), "live turn, band")
    assert result.text == LIVE_SENTENCE


async def test_voicemail_length_audio_is_heard_through_the_vad_filter(
    whisper: WhisperSTT, joe: Joe
) -> None:
    """Longer than one Whisper window (a voicemail): the VAD filter cuts the silence out and,
    at the phone threshold, keeps both sentences (at 0.5 it dropped the second)."""
    first = af.phone_line(joe.say("I want to cancel my subscription."))
    second = af.phone_line(joe.say("Please call me back tomorrow."))
    audio = Audio(np.concatenate([first, af.silence(31.0), second]), af.RATE)
    result = await timed(whisper, audio, "voicemail")
    assert {"cancel", "subscription", "call", "tomorrow"} <= set(words(result.text))


def white_noise(seconds: float, level: float) -> Audio:
    rng = np.random.default_rng(7)
    samples = np.clip(rng.normal(0, level * 32767, int(seconds * 8000)), -32768, 32767)
    return Audio(samples.astype(np.int16), 8000)


NON_SPEECH = {
    "silence": Audio(np.zeros(16000 * 2, np.int16), 16000),
    "tone 440 Hz": tone(440, 2.0),
    "tone at phone quality": to_phone_quality(tone(440, 2.0, rate=22050)),
    "loud white noise": white_noise(2.0, 0.3),
    "quiet white noise": white_noise(2.0, 0.01),
    # Silero scores these below the speech hint: rejected before Whisper runs.
    "hold music (the service's own)": Audio(af.hold_music_file(3.0, start_s=3.0), af.RATE),
    "line hum and hiss": Audio(af.line_hum(2.0), af.RATE),
    "clicks": Audio(af.clicks(2.0), af.RATE),
    "cough-like burst": Audio(af.noise_burst(150.0), af.RATE),
    # Silero finds these ambiguous (0.2-0.5 on phone audio): Whisper itself rejects them.
    "synthetic hold music on the line": Audio(
        af.phone_line(Audio(af.hold_music(3.0), af.RATE)), af.RATE
    ),
    "fast DTMF": Audio(af.dtmf("0703#", on_s=0.05, off_s=0.05), af.RATE),
    "cough-like burst, longer": Audio(af.noise_burst(200.0, level=0.2, seed=35), af.RATE),
}


@pytest.mark.parametrize("label", NON_SPEECH)
async def test_non_speech_gives_empty_text(whisper: WhisperSTT, label: str) -> None:
    audio = NON_SPEECH[label]
    result = await timed(whisper, audio, label)
    assert result == Transcript("", 0.0, audio.duration_s, no_speech=True)


@pytest.mark.parametrize("samples", [0, 1, 800])
async def test_empty_or_very_short_audio_skips_the_model(
    executor: ThreadPoolExecutor, samples: int
) -> None:
    unloaded = WhisperSTT("never-loaded", executor=executor)  # transcribe would raise
    result = await unloaded.transcribe(Audio(np.ones(samples, np.int16), 8000))
    assert result == Transcript("", 0.0, samples / 8000, no_speech=True)


async def test_event_loop_stays_free(whisper: WhisperSTT, caller_piper: PiperTTS) -> None:
    caller = to_phone_quality(
        await caller_piper.synthesize("Please transfer me to the billing department.")
    )
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    result = await whisper.transcribe(caller)
    elapsed = time.perf_counter() - started
    ticker.cancel()
    assert "billing" in result.text.lower()
    # The loop kept running while Whisper decoded (at least a third of the possible ticks).
    assert ticks >= elapsed / 0.005 / 3


def segment(text: str, no_speech: float, logprob: float, ratio: float = 1.0) -> Segment:
    return Segment(0, 0, 0.0, 1.0, text, [], logprob, ratio, no_speech, None, 0.0)


# Segments as Whisper returns them when audio slips past the VAD (values measured on tiny.en
# with the VAD off: a 440 Hz tone gives " Beep beep ..." with no_speech_prob 0.78).
@pytest.mark.parametrize(
    ("segments", "text"),
    [
        ([segment(" Beep beep beep beep beep beep", 0.777, -0.135, 3.1)], ""),
        ([segment(" Hello there.", 0.7, -0.2)], ""),
        ([segment(" Thank you.", 0.35, -0.5)], ""),
        ([segment(" Thank you.", 0.1, -1.4)], ""),
        ([segment(" Thank you.", 0.106, -0.523)], "Thank you."),
        ([segment(" Yes.", 0.135, -0.547)], "Yes."),
        ([segment(" Check my", 0.02, -0.3), segment(" order.", 0.03, -0.3)], "Check my order."),
        ([segment(" ", 0.0, -0.1)], ""),
        ([segment(" .", 0.51, -1.55)], ""),
    ],
)
def test_segment_filter(segments: list[Segment], text: str) -> None:
    kept, confidence = _combine(segments)
    assert kept == text
    assert (confidence > 0) == bool(text)


async def test_transcribe_before_load_is_a_speech_error(executor: ThreadPoolExecutor) -> None:
    with pytest.raises(SpeechError, match="before load"):
        await WhisperSTT("never-loaded", executor=executor).transcribe(tone(440, 1.0))


def test_unloadable_model_folder_is_a_config_error(
    executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    (tmp_path / "model.bin").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="could not load Whisper model"):
        WhisperSTT(str(tmp_path), executor=executor).load()
