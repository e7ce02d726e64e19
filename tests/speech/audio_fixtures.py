"""Phone-quality test audio (8 kHz int16, through mu-law and back) with known timing.

Everything is deterministic: speech comes from the bundled Piper voice with its random
variation turned off (or from flite and hibari, which are deterministic too), noise from
fixed-seed generators.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice.simulator.caller_voice import CallerVoice
from voice.speech.audio import Audio
from voice.speech.codecs import read_wav, resample, to_phone_quality

RATE = 8000
FRAME = 160  # samples per 20 ms frame
FRAME_MS = 20


def phone(samples: np.ndarray) -> np.ndarray:
    """Float samples (full scale 1.0) at 8 kHz, clipped, mu-law quantized, back to int16."""
    pcm = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0) * 32767
    return to_phone_quality(Audio(pcm.astype(np.int16), RATE)).samples


def telephone_band(samples: np.ndarray, taps: int = 255) -> np.ndarray:
    """The telephone channel's 300-3400 Hz pass band (ITU-T G.712) applied to 8 kHz samples
    (a windowed-sinc FIR, float out). ``to_phone_quality`` alone keeps everything below 4 kHz,
    including the lowest 300 Hz, where Silero finds much of its evidence for speech."""
    n = np.arange(taps) - (taps - 1) / 2
    low, high = 300 / RATE, 3400 / RATE
    kernel = (2 * high * np.sinc(2 * high * n) - 2 * low * np.sinc(2 * low * n)) * np.blackman(taps)
    return np.convolve(np.asarray(samples, dtype=np.float64), kernel, mode="same")


def phone_line(audio: Audio, gain: float = 1.0) -> np.ndarray:
    """``audio`` as a caller's line delivers it: 8 kHz, the telephone band, scaled by
    ``gain`` (0.25 is a quieter caller), mu-law quantized and back to int16."""
    narrow = telephone_band(resample(audio.samples, audio.rate, RATE)) * gain
    pcm = np.clip(narrow, -32768, 32767).astype(np.int16)
    return to_phone_quality(Audio(pcm, RATE)).samples


def twilio_trimmed(samples: np.ndarray, rms: float = 330.0) -> np.ndarray:
    """``samples`` with leading and trailing silence cut, as Twilio trims ``<Record>``
    recordings: from the first to the last 10 ms window above ``rms`` (330 is -40 dBFS)."""
    windows = samples[: len(samples) // 80 * 80].reshape(-1, 80).astype(np.float64)
    loud = np.flatnonzero(np.sqrt(np.mean(windows**2, axis=1)) > rms)
    return samples[loud[0] * 80 : (loud[-1] + 1) * 80].copy()


def live_turn(samples: np.ndarray) -> np.ndarray:
    """Trimmed speech as a live media-stream turn carries it: 300 ms before, 200 ms after."""
    return np.concatenate([silence(0.3), samples, silence(0.2)])


def phone_band(samples: np.ndarray, gain_db: float = 0.0) -> np.ndarray:
    """8 kHz int16 speech as a real line carries it: only 300-3400 Hz pass (a telephone
    channel's band), ``gain_db`` louder or quieter, then mu-law."""
    spectrum = np.fft.rfft(samples.astype(np.float64))
    hz = np.fft.rfftfreq(len(samples), 1 / RATE)
    spectrum[(hz < 300) | (hz > 3400)] = 0
    band = np.fft.irfft(spectrum, len(samples)) * 10 ** (gain_db / 20)
    return phone(band / 32768)


def _t(seconds: float) -> np.ndarray:
    return np.arange(round(seconds * RATE)) / RATE


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), dtype=np.int16)


def tone(seconds: float, hz: float = 440.0, level: float = 0.3) -> np.ndarray:
    """A steady sine, e.g. a dial or ring tone."""
    return phone(level * np.sin(2 * np.pi * hz * _t(seconds)))


def dtmf(digits: str = "1234567890", on_s: float = 0.1, off_s: float = 0.1) -> np.ndarray:
    """DTMF-like dual tones, one per digit, with gaps (a caller pressing keys)."""
    rows = {"1": 697, "2": 697, "3": 697, "4": 770, "5": 770, "6": 770}
    rows |= {"7": 852, "8": 852, "9": 852, "0": 941, "*": 941, "#": 941}
    cols = {d: (1209, 1336, 1477)["147*2580369#".index(d) // 4] for d in rows}
    t = _t(on_s)
    parts = []
    for digit in digits:
        pair = 0.2 * (np.sin(2 * np.pi * rows[digit] * t) + np.sin(2 * np.pi * cols[digit] * t))
        parts += [pair, np.zeros(round(off_s * RATE))]
    return phone(np.concatenate(parts))


def hold_music(seconds: float, bpm: float = 96.0) -> np.ndarray:
    """Synthetic hold music: a I-V-vi-IV chord pad, an eighth-note melody with plucked
    envelopes, and a kick/hi-hat rhythm, mixed to a typical on-hold loudness."""
    t = _t(seconds)
    beat = 60.0 / bpm
    chords = [(261.6, 329.6, 392.0), (196.0, 246.9, 293.7), (220.0, 261.6, 329.6)]
    chords.append((174.6, 220.0, 261.6))
    melody = [523.3, 587.3, 659.3, 784.0, 659.3, 587.3, 523.3, 493.9]
    out = np.zeros_like(t)
    bar = (t // (4 * beat)).astype(int) % len(chords)
    for voice in range(3):
        freq = np.array([chord[voice] for chord in chords])[bar]
        phase = 2 * np.pi * np.cumsum(freq) / RATE
        out += 0.08 * (np.sin(phase) + 0.3 * np.sin(2 * phase) + 0.15 * np.sin(3 * phase))
    eighth = beat / 2
    step = (t // eighth).astype(int)
    since = t - step * eighth
    freq = np.array(melody)[step % len(melody)]
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    out += 0.2 * np.exp(-since * 6) * (np.sin(phase) + 0.4 * np.sin(2 * phase))
    since_beat = t - (t // beat) * beat
    out += 0.3 * np.exp(-since_beat * 25) * np.sin(2 * np.pi * 60 * since_beat)
    hat = np.random.default_rng(7).standard_normal(len(t))
    out += 0.05 * np.exp(-np.abs(since_beat - beat / 2) * 200) * hat
    return phone(out)


HOLD_MUSIC = Path(__file__).resolve().parents[2] / "audio" / "hold-music.wav"


def hold_music_file(seconds: float, start_s: float = 0.0) -> np.ndarray:
    """``seconds`` of the hold music the service plays (audio/hold-music.wav, 8 kHz)."""
    music = read_wav(HOLD_MUSIC.read_bytes()).samples
    start = round(start_s * RATE)
    return to_phone_quality(Audio(music[start : start + round(seconds * RATE)], RATE)).samples


def white_noise(seconds: float, level: float = 0.05, seed: int = 1) -> np.ndarray:
    """Line hiss: Gaussian white noise at ``level`` RMS (full scale 1.0)."""
    return phone(level * np.random.default_rng(seed).standard_normal(round(seconds * RATE)))


def pink_noise(seconds: float, level: float = 0.05, seed: int = 2) -> np.ndarray:
    """1/f noise (white noise shaped in the frequency domain) at ``level`` RMS."""
    n = round(seconds * RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / RATE), 20.0))
    pink = np.fft.irfft(spectrum, n)
    return phone(level * pink / np.sqrt(np.mean(pink**2)))


def noise_burst(ms: float = 150.0, level: float = 0.4, seed: int = 3) -> np.ndarray:
    """A cough-like burst: low-passed noise with a fast attack and exponential decay."""
    t = _t(ms / 1000)
    noise = np.random.default_rng(seed).standard_normal(len(t))
    smooth = np.convolve(noise, np.ones(4) / 4, mode="same")
    envelope = np.minimum(t / 0.01, 1.0) * np.exp(-t / (ms / 1000 / 3))
    return phone(level * envelope * smooth / np.max(np.abs(smooth)) * 2)


def clicks(seconds: float = 2.0, count: int = 6, seed: int = 5) -> np.ndarray:
    """Line clicks and pops: ``count`` 1 ms decaying impulses at random times."""
    rng = np.random.default_rng(seed)
    out = np.zeros(round(seconds * RATE))
    for at in rng.integers(0, len(out) - 8, count):
        out[at : at + 8] = rng.choice([-0.8, 0.8]) * np.exp(-np.arange(8) / 2)
    return phone(out)


def line_hum(seconds: float = 2.0, seed: int = 9) -> np.ndarray:
    """A bad line: 60 Hz mains hum under white hiss."""
    hum = 0.05 * np.sin(2 * np.pi * 60 * _t(seconds))
    return phone(hum + 0.02 * np.random.default_rng(seed).standard_normal(len(hum)))


@dataclass(frozen=True)
class Speech:
    """Phone-quality speech trimmed to its voiced part (so its start and end are known)."""

    samples: np.ndarray
    text: str

    @property
    def ms(self) -> float:
        return 1000 * len(self.samples) / RATE


async def speech(voice: CallerVoice, text: str) -> Speech:
    """``text`` spoken by the deterministic caller voice, with leading and trailing
    silence cut at the first and last 10 ms window above -40 dBFS."""
    return Speech(twilio_trimmed(read_wav(await voice.say(text)).samples), text)


def frames(samples: np.ndarray) -> Iterator[tuple[np.ndarray, float]]:
    """20 ms frames with the stream time (ms) of each frame's end, as a media stream has."""
    whole = len(samples) // FRAME * FRAME
    padded = (
        samples
        if whole == len(samples)
        else np.concatenate([samples, np.zeros(FRAME - (len(samples) - whole), dtype=np.int16)])
    )
    for index in range(len(padded) // FRAME):
        yield padded[index * FRAME : (index + 1) * FRAME], (index + 1) * FRAME_MS
