import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.speech import audio_fixtures as af
from voice.errors import ConfigError
from voice.simulator.caller_voice import CallerVoice
from voice.speech.vad import StreamingVAD
from voice.turntaking.backchannel import BACKCHANNEL_MAX_MS
from voice.turntaking.detector import (
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    TurnDetector,
    TurnEnded,
    TurnEvent,
)

TEXTS = {
    "sentence": "I would like to check the status of my order.",
    "first": "I want to change my delivery address.",
    "second": "It is for order number four five six.",
    "long": "I have been waiting for my package for three weeks and nobody has called me "
    "back about it, and I would really like to know what is going on with it.",
    "mhm": "Mhm.",
    "okay": "Okay.",
}
TOLERANCE_MS = 150


@pytest.fixture(scope="module")
async def clips(executor: ThreadPoolExecutor) -> dict[str, af.Speech]:
    voice = CallerVoice.bundled(executor)
    return {name: await af.speech(voice, text) for name, text in TEXTS.items()}


def run(samples: np.ndarray, detector: TurnDetector | None = None) -> list[TurnEvent]:
    detector = detector or TurnDetector(StreamingVAD())
    events: list[TurnEvent] = []
    for frame, now_ms in af.frames(samples):
        events += detector.push(frame, now_ms)
    return events


def kinds(events: list[TurnEvent]) -> list[type]:
    return [type(event) for event in events]


def test_one_sentence_is_one_turn(clips: dict[str, af.Speech]) -> None:
    said = clips["sentence"]
    events = run(np.concatenate([af.silence(1.0), said.samples, af.silence(1.0)]))
    assert kinds(events) == [SpeechStarted, SpeechPaused, TurnEnded]
    started, ended = events[0], events[-1]
    assert isinstance(started, SpeechStarted) and isinstance(ended, TurnEnded)
    true_end = 1000 + said.ms
    assert abs(started.at_ms - 1000) <= TOLERANCE_MS
    assert abs(ended.last_voice_ms - true_end) <= TOLERANCE_MS
    assert 600 <= ended.at_ms - ended.last_voice_ms <= 600 + 2 * 32
    assert abs(ended.speech_ms - said.ms) <= TOLERANCE_MS
    # preroll (300 ms) + speech + at most 200 ms of trailing silence
    assert said.ms + 300 <= len(ended.audio) / 8 <= ended.speech_ms + 300 + 200 + 32
    assert ended.audio.dtype == np.int16
    print(
        f"turn: started {started.at_ms:.0f} (true 1000), last voice {ended.last_voice_ms:.0f} "
        f"(true {true_end:.0f}), ended {ended.at_ms:.0f}"
    )


def test_a_short_gap_pauses_and_resumes_one_turn(clips: dict[str, af.Speech]) -> None:
    first, second = clips["first"], clips["second"]
    gap_start = 1000 + first.ms
    audio = [af.silence(1.0), first.samples, af.silence(0.4), second.samples, af.silence(1.0)]
    events = run(np.concatenate(audio))
    assert kinds(events) == [SpeechStarted, SpeechPaused, SpeechResumed, SpeechPaused, TurnEnded]
    paused, resumed, ended = events[1], events[2], events[-1]
    assert isinstance(paused, SpeechPaused) and isinstance(resumed, SpeechResumed)
    assert isinstance(ended, TurnEnded)
    assert gap_start + 250 <= paused.at_ms <= gap_start + 250 + TOLERANCE_MS
    assert abs(len(paused.audio) / 8 - (300 + first.ms + 200)) <= TOLERANCE_MS
    assert abs(resumed.at_ms - (gap_start + 400)) <= TOLERANCE_MS
    assert abs(ended.last_voice_ms - (gap_start + 400 + second.ms)) <= TOLERANCE_MS
    assert abs(ended.speech_ms - (first.ms + 400 + second.ms)) <= TOLERANCE_MS


def test_the_policy_can_end_a_paused_turn_early(clips: dict[str, af.Speech]) -> None:
    said = clips["sentence"]
    detector = TurnDetector(StreamingVAD(), pause_ms=150, end_ms=1200)
    events: list[TurnEvent] = []
    ended: TurnEnded | None = None
    with pytest.raises(RuntimeError, match="paused"):
        detector.end_turn(0.0)  # nothing to end
    for frame, now_ms in af.frames(
        np.concatenate([af.silence(1.0), said.samples, af.silence(1.5)])
    ):
        events += detector.push(frame, now_ms)
        if detector.paused:
            assert 150 <= detector.silence_ms <= 1200
            if detector.silence_ms >= 300:
                ended = detector.end_turn(now_ms)
                break
    assert kinds(events) == [SpeechStarted, SpeechPaused]
    assert ended is not None and not detector.in_speech and detector.silence_ms == 0.0
    assert 300 <= ended.at_ms - ended.last_voice_ms <= 300 + 2 * 32
    assert abs(ended.last_voice_ms - (1000 + said.ms)) <= TOLERANCE_MS
    assert said.ms + 300 <= len(ended.audio) / 8  # the whole utterance, as at a normal end


def test_a_stream_that_ends_mid_utterance_gives_it_up_as_the_last_turn(
    clips: dict[str, af.Speech],
) -> None:
    said = clips["sentence"]
    detector = TurnDetector(StreamingVAD())
    assert detector.close(0.0) is None  # idle: nothing was being said
    half = said.samples[: len(said.samples) // 2]
    events = run(np.concatenate([af.silence(1.0), half]), detector)
    assert kinds(events) == [SpeechStarted] and detector.in_speech
    last = detector.close(1000 + len(half) / 8)  # the caller hung up mid-word
    assert last is not None and not detector.in_speech
    assert len(last.audio) / 8 >= len(half) / 8 - 2 * 32  # what they said so far, whole


NON_SPEECH: dict[str, Callable[[], np.ndarray]] = {
    "silence": lambda: af.silence(3.0),
    "440 Hz tone": lambda: af.tone(3.0),
    "DTMF": lambda: af.dtmf("0123456789*#"),
    "hold music": lambda: af.hold_music(5.0),
    "white noise": lambda: af.white_noise(3.0, level=0.1),
    "pink noise": lambda: af.pink_noise(3.0, level=0.1),
    "noise burst": lambda: np.concatenate([af.silence(0.5), af.noise_burst(150.0)]),
}


@pytest.mark.parametrize("name", NON_SPEECH)
def test_non_speech_makes_no_events(name: str) -> None:
    detector = TurnDetector(StreamingVAD())
    assert run(np.concatenate([NON_SPEECH[name](), af.silence(1.0)]), detector) == []
    assert not detector.in_speech


def test_a_voiced_blip_shorter_than_start_ms_makes_no_events(
    clips: dict[str, af.Speech],
) -> None:
    # The first 60 ms of a word. (The 8 kHz model keeps scoring speech for about 100 ms
    # after a voice stops, so a 150 ms piece of a real syllable does start a turn now;
    # an empty transcript then makes it no turn in the session.)
    blip = clips["first"].samples[: 60 * 8]
    assert run(np.concatenate([af.silence(0.5), blip, af.silence(1.0)])) == []


def test_speech_over_line_noise_is_still_a_turn(clips: dict[str, af.Speech]) -> None:
    said = clips["sentence"]
    clean = np.concatenate([af.silence(1.0), said.samples, af.silence(1.0)])
    noise = af.white_noise(len(clean) / af.RATE, level=0.02)
    noisy = np.clip(clean.astype(np.int32) + noise, -32768, 32767).astype(np.int16)
    events = run(noisy)
    assert kinds(events).count(SpeechStarted) == 1
    assert kinds(events)[-1] is TurnEnded


def test_a_long_utterance_ends_at_max_turn(clips: dict[str, af.Speech]) -> None:
    said = clips["long"]
    assert said.ms > 6000
    detector = TurnDetector(StreamingVAD(), max_turn_s=3.0)
    events = run(np.concatenate([af.silence(0.5), said.samples, af.silence(1.0)]), detector)
    started, ended = events[0], next(e for e in events if isinstance(e, TurnEnded))
    assert isinstance(started, SpeechStarted)
    assert abs(ended.at_ms - started.at_ms - 3000) <= 64
    assert abs(ended.speech_ms - 3000) <= 64
    assert len(ended.audio) / 8 <= 300 + 3000 + 64
    # the caller kept talking: that speech is a new turn, and the stream ends idle
    assert kinds(events).count(SpeechStarted) >= 2
    assert kinds(events)[-1] is TurnEnded and not detector.in_speech


@pytest.mark.parametrize("name", ["mhm", "okay"])
def test_an_acknowledgement_is_a_short_turn(clips: dict[str, af.Speech], name: str) -> None:
    said = clips[name]
    events = run(np.concatenate([af.silence(0.5), said.samples, af.silence(1.0)]))
    assert kinds(events)[0] is SpeechStarted and kinds(events)[-1] is TurnEnded
    assert kinds(events).count(SpeechStarted) == 1
    ended = events[-1]
    assert isinstance(ended, TurnEnded)
    assert ended.speech_ms <= BACKCHANNEL_MAX_MS
    assert abs(ended.speech_ms - said.ms) <= TOLERANCE_MS


def test_times_follow_the_stream_clock_and_reset_forgets(clips: dict[str, af.Speech]) -> None:
    audio = np.concatenate([af.silence(0.5), clips["sentence"].samples, af.silence(1.0)])
    reference = run(audio)
    detector = TurnDetector(StreamingVAD())
    run(audio[: 1500 * 8], detector)  # stop one second into the sentence
    assert detector.in_speech
    detector.reset()
    assert not detector.in_speech
    shifted: list[TurnEvent] = []
    for frame, now_ms in af.frames(audio):
        shifted += detector.push(frame, now_ms + 60_000)
    assert kinds(shifted) == kinds(reference)
    assert [e.at_ms - 60_000 for e in shifted] == [e.at_ms for e in reference]


@pytest.mark.parametrize(
    "settings",
    [{"start_ms": 0}, {"pause_ms": 700, "end_ms": 600}, {"max_turn_s": 0}, {"preroll_ms": -1}],
)
def test_bad_settings_are_refused(settings: dict[str, int]) -> None:
    with pytest.raises(ConfigError, match="TurnDetector"):
        TurnDetector(StreamingVAD(), **settings)


def test_cost_per_frame(clips: dict[str, af.Speech]) -> None:
    audio = np.concatenate([af.silence(1.0), clips["long"].samples, af.hold_music(3.0)] * 2)
    detector = TurnDetector(StreamingVAD(), max_turn_s=60.0)
    frames = list(af.frames(audio))
    started, cpu = time.perf_counter(), time.process_time()
    for frame, now_ms in frames:
        detector.push(frame, now_ms)
    wall_ms = (time.perf_counter() - started) * 1000 / len(frames)
    cpu_ms = (time.process_time() - cpu) * 1000 / len(frames)
    print(f"TurnDetector: {wall_ms:.3f} ms wall, {cpu_ms:.3f} ms CPU per 20 ms frame")
