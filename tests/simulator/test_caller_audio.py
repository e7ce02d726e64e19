"""render(): a request as the phone line carries it, with the real voices and known timing,
level and noise, checked by measuring the audio it returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.simulator.measure import band_energy_db, peak_hz, rms_db, sounding
from voice.errors import ConfigError
from voice.simulator.caller_audio import Clip, Delivery, active_level_db, render
from voice.simulator.voices import CallerSpeaker, available, why_unavailable
from voice.speech.codecs import mulaw_decode

SENTENCE = "I would like to check my account balance."
RATE = 8000
AUDIO_DIR = ROOT / "audio"


def ms(clip: Clip) -> float:
    return 1000 * len(clip.audio.samples) / RATE


def samples_between(clip: Clip, start_ms: float, end_ms: float) -> np.ndarray:
    return clip.audio.samples[round(start_ms * RATE / 1000) : round(end_ms * RATE / 1000)]


@pytest.fixture(scope="module")
def joe(speakers: dict[str, CallerSpeaker]) -> CallerSpeaker:
    return speakers["joe"]


async def test_the_line_is_8_khz_mu_law_in_the_telephone_band(joe: CallerSpeaker) -> None:
    clip = await render(joe, SENTENCE)
    assert clip.audio.rate == RATE and clip.audio.samples.dtype == np.int16
    assert set(np.unique(clip.audio.samples)) <= set(mulaw_decode(bytes(range(256))))
    assert band_energy_db(clip.audio.samples, RATE, 0, 150) < -30
    assert band_energy_db(clip.audio.samples, RATE, 3800, 4000) < -30
    assert clip.text == SENTENCE


@pytest.mark.parametrize("name", ["joe", "hibari", "flite-rms"])
async def test_the_spans_are_where_the_speech_is(
    name: str, speakers: dict[str, CallerSpeaker]
) -> None:
    if not available(name):
        pytest.skip(str(why_unavailable(name)))
    clip = await render(speakers[name], "My order number is, 4, 5, 7, 1, 2", Delivery(pause_ms=450))
    truth = sounding(clip.audio.samples, RATE, above_dbfs=-55, bridge_ms=300)
    assert len(clip.speech) == len(truth) == 6
    for (start, end), (true_start, true_end) in zip(clip.speech, truth, strict=True):
        assert abs(start - true_start) <= 20 and abs(end - true_end) <= 20


async def test_the_spoken_span_keeps_a_margin_either_side(joe: CallerSpeaker) -> None:
    clip = await render(joe, "hello there", Delivery(lead_ms=800, trail_ms=900))
    ((start, end),) = clip.speech
    span = clip.spoken_span(300)
    assert span.rate == 8000
    assert abs(len(span.samples) - (end - start + 600) * 8) <= 1
    assert np.array_equal(span.samples[:80], clip.audio.samples[round((start - 300) * 8) :][:80])
    noise = await render(joe, "[noise:1]", Delivery())
    assert noise.spoken_span() is noise.audio  # nothing said: the whole clip


async def test_pauses_split_at_commas_and_each_part_is_spoken_alone(joe: CallerSpeaker) -> None:
    clip = await render(joe, "4, 5, 7, 1, 2", Delivery(pause_ms=400))
    assert clip.text == "4, 5, 7, 1, 2"
    assert len(clip.speech) == 5
    gaps = [
        later[0] - earlier[1] for earlier, later in zip(clip.speech, clip.speech[1:], strict=False)
    ]
    assert gaps == pytest.approx([400] * 4, abs=1)
    alone = await render(joe, "7", Delivery(lead_ms=0, trail_ms=0))  # its level differs a bit
    assert ms(alone) == pytest.approx(clip.speech[2][1] - clip.speech[2][0], abs=10)
    together = await render(joe, "4, 5, 7, 1, 2")  # no pause: one part, commas and all
    assert len(together.speech) == 1
    assert together.speech[0][1] - together.speech[0][0] < clip.speech[-1][1] - clip.speech[0][0]
    thousands = await render(joe, "It was 1,250 dollars", Delivery(pause_ms=400))
    assert len(thousands.speech) == 1  # a comma inside a number is no pause


@pytest.mark.parametrize(("lead_ms", "trail_ms"), [(500, 800), (0, 300), (1200, 0)])
async def test_lead_and_trail(joe: CallerSpeaker, lead_ms: int, trail_ms: int) -> None:
    clip = await render(joe, "Hello there.", Delivery(lead_ms=lead_ms, trail_ms=trail_ms))
    ((start, end),) = clip.speech
    assert start == lead_ms
    assert ms(clip) - end == pytest.approx(trail_ms, abs=1)
    assert not samples_between(clip, 0, lead_ms).any()  # a clean line is silent
    assert not samples_between(clip, end + 20, ms(clip)).any()
    opening = samples_between(clip, start, start + 10)
    assert rms_db(opening) > -60  # the speech starts right there


@pytest.mark.parametrize("snr_db", [5.0, 15.0, 30.0])
async def test_line_noise_at_the_asked_snr(joe: CallerSpeaker, snr_db: float) -> None:
    clean = await render(joe, SENTENCE)
    noisy = await render(joe, SENTENCE, Delivery(snr_db=snr_db, seed=7))
    ((start, end),) = noisy.speech
    lead, trail = samples_between(noisy, 0, start), samples_between(noisy, end, ms(noisy))
    noise_db = rms_db(np.concatenate([lead, trail]))
    measured = active_level_db(clean.audio.samples) - noise_db
    print(f"asked {snr_db} dB, measured {measured:.2f} dB")
    assert measured == pytest.approx(snr_db, abs=1.5)
    assert noisy.speech == clean.speech  # measured before the noise


async def test_noise_is_shaped_like_a_line_and_fixed_by_its_seed(joe: CallerSpeaker) -> None:
    first = await render(joe, "Hello.", Delivery(snr_db=10, seed=3))
    again = await render(joe, "Hello.", Delivery(snr_db=10, seed=3))
    other = await render(joe, "Hello.", Delivery(snr_db=10, seed=4))
    assert np.array_equal(first.audio.samples, again.audio.samples)
    assert not np.array_equal(first.audio.samples, other.audio.samples)
    lead = samples_between(first, 0, 500)
    assert band_energy_db(lead, RATE, 300, 3400) > -1.5  # in the telephone band
    assert band_energy_db(lead, RATE, 300, 1000) > band_energy_db(lead, RATE, 2400, 3400)


@pytest.mark.parametrize(("gain_db", "level_db"), [(-20, -40), (0, -20), (6, -14)])
async def test_the_callers_level(joe: CallerSpeaker, gain_db: float, level_db: float) -> None:
    clip = await render(joe, SENTENCE, Delivery(gain_db=gain_db))
    assert active_level_db(clip.audio.samples) == pytest.approx(level_db, abs=1.0)


async def test_a_loud_caller_clips_and_a_normal_one_does_not(joe: CallerSpeaker) -> None:
    full_scale = int(mulaw_decode(b"\x80")[0])  # the loudest value mu-law carries
    normal = await render(joe, SENTENCE)
    loud = await render(joe, SENTENCE, Delivery(gain_db=8))
    assert np.abs(normal.audio.samples).max() < full_scale
    clipped = np.mean(np.abs(loud.audio.samples.astype(np.int32)) >= full_scale)
    print(f"+8 dB: {clipped:.2%} of samples at full scale")
    assert clipped > 0.002


async def test_tones() -> None:
    default = await render(None, "[tone]", Delivery(lead_ms=0, trail_ms=0))
    assert (default.speech, default.text) == ((), "")
    assert ms(default) == 2000
    assert peak_hz(default.audio.samples, RATE) == pytest.approx(440, abs=2)
    short = await render(None, "[tone:1000:0.5]")
    assert ms(short) == 500 + 500 + 800
    assert peak_hz(short.audio.samples, RATE) == pytest.approx(1000, abs=3)


async def test_hold_music_comes_from_the_audio_folder(tmp_path: Path) -> None:
    clip = await render(None, "[music:3]", Delivery(lead_ms=0, trail_ms=0), audio_dir=AUDIO_DIR)
    assert ms(clip) == 3000
    assert rms_db(clip.audio.samples) > -40
    assert clip.speech == () and clip.text == ""
    with pytest.raises(ConfigError, match="AUDIO_DIR"):
        await render(None, "[music:3]", audio_dir=tmp_path)


async def test_noise_alone_is_the_line_without_speech() -> None:
    clip = await render(None, "[noise:1.5]")
    assert ms(clip) == 500 + 1500 + 800
    assert rms_db(clip.audio.samples) == pytest.approx(-40, abs=1.5)  # 20 dB below speech
    louder = await render(None, "[noise:1.5]", Delivery(snr_db=10))
    assert rms_db(louder.audio.samples) == pytest.approx(-30, abs=1.5)


async def test_a_cough_and_a_click_are_short_bursts() -> None:
    cough = await render(None, "[cough]", Delivery(seed=2))
    ((start, end),) = sounding(cough.audio.samples, RATE, above_dbfs=-45)
    assert 500 <= start < 520 and 150 < end - start < 320
    click = await render(None, "[click]")
    ((start, end),) = sounding(click.audio.samples, RATE, above_dbfs=-45)
    assert end - start <= 15
    assert cough.speech == click.speech == ()


async def test_sounds_among_words(joe: CallerSpeaker) -> None:
    clip = await render(joe, "[cough] I need my balance, please", Delivery(pause_ms=300))
    assert clip.text == "I need my balance, please"
    assert len(clip.speech) == 2
    first_start = clip.speech[0][0]
    assert first_start > 500 + 250  # after the lead, the cough and a pause


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty"),
        ("  ,  ", "empty"),
        ("[whistle]", r"unknown sound \[whistle\]"),
        ("[tone:5000:1]", "frequency"),
        ("[noise:0]", "length"),
        ("[music:loud]", "numbers"),
        ("Hello", "needs a speaker"),
    ],
)
async def test_bad_texts(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        await render(None, text)


def test_a_delivery_refuses_negative_lengths() -> None:
    with pytest.raises(ValueError, match="pause_ms"):
        Delivery(pause_ms=-1)
