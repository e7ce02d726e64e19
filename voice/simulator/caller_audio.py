"""One spoken request as the phone line carries it: the caller's level and pauses, line noise,
the telephone band, mu-law.

``render(speaker, "4, 5, 7, 1, 2", Delivery(pause_ms=400, snr_db=15))`` speaks each digit on
its own with 0.4 s between them, at a normal phone level, with line hiss 15 dB below the
speech, and returns the 8 kHz audio with where each spoken part lies in it.

Besides words, a text may hold sounds in brackets, alone or among the words:
``[tone]`` (440 Hz, 2 s) or ``[tone:HZ:SECONDS]``, ``[music:SECONDS]`` (hold music from
``AUDIO_DIR``), ``[noise:SECONDS]`` (the line alone), ``[cough]`` and ``[click]``.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from voice.errors import ConfigError
from voice.simulator.voices import CallerSpeaker
from voice.speech.audio import Audio
from voice.speech.codecs import PHONE_RATE, read_wav, resample, to_phone_quality
from voice.telephony.audio_routes import HOLD_MUSIC

NORMAL_LEVEL_DBFS = -20.0
"""Active speech level of a caller at normal loudness (gain 0), dB below full scale."""
BAND_HZ = (300.0, 3400.0)
"""The telephone band: the -3 dB points of the line's response."""
BAND_ORDERS = (4, 10)
"""Butterworth-like slopes either side: 24 dB an octave below the band (-56 dB at the 60 Hz
of mains hum) and -14 dB at 4 kHz, about what ITU-T G.712 asks of a PCM channel. A steeper
low edge (nothing under 200 Hz) made the service's Silero VAD miss 7 of 30 short requests."""
QUIET_NOISE_SNR_DB = 20.0
"""Line noise level for ``[noise:...]`` when the delivery asks for none."""
ONSET_BELOW_ACTIVE_DB = 35.0
"""A spoken part starts at its first 5 ms window louder than this far below the speech's
active level (-55 dBFS at a normal level) and ends after its last one: a low threshold that
keeps soft sounds such as "f" and "h"."""
ACTIVE_FRAME_MS = 10
ACTIVE_RANGE_DB = 35.0
"""Active level: the RMS of the 10 ms frames no more than this far below the loudest."""
TONE_AMPLITUDE = 0.3  # of full scale, a typical in-band signalling tone
HUM_HZ = 60.0
HUM_BELOW_NOISE_DB = 12.0
MAX_SOUND_S = 60.0

_MARKER = re.compile(r"\[([^\]]*)\]")
_PART_BREAK = re.compile(r",(?=\s|$)")  # a comma between words, not inside "1,250"


@dataclass(frozen=True)
class Delivery:
    """How the caller says it and what the line does to it."""

    pause_ms: int = 0
    """> 0: the text is spoken in parts split at its commas, each synthesized on its own and
    joined by this much silence (a caller pausing at each comma, or between digits)."""
    gain_db: float = 0.0
    """Loudness relative to a normal caller (NORMAL_LEVEL_DBFS): -20 is quiet, +8 loud
    enough to clip as a real line would."""
    snr_db: float | None = None
    """Line noise (hiss shaped like a phone line, a little mains hum) this many dB below the
    speech's active level, also in the lead and trail; None: a clean line."""
    lead_ms: int = 500
    """Silence before the first sound (0: speech starts on the first sample)."""
    trail_ms: int = 800
    """Silence after the last sound."""
    seed: int = 0
    """The noise is the same for the same seed."""

    def __post_init__(self) -> None:
        for name in ("pause_ms", "lead_ms", "trail_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"Delivery.{name} must be 0 or more, got {getattr(self, name)}")


@dataclass(frozen=True)
class Clip:
    """A rendered request, as the service would receive it."""

    audio: Audio
    """8 kHz int16, telephone band, through mu-law and back."""
    speech: tuple[tuple[float, float], ...]
    """(start_ms, end_ms) of each spoken part in ``audio``, found on the clean signal before
    noise (energy onset and offset, to about 5 ms); empty for sounds alone."""
    text: str
    """What is said, without the sound markers: the reference for word error rate."""

    def spoken_span(self, margin_ms: float = 300.0) -> Audio:
        """The audio from ``margin_ms`` before the first spoken part to as long after the
        last (as a live call hands an utterance to Whisper); the whole clip if nothing is said."""
        if not self.speech:
            return self.audio
        rate = self.audio.rate / 1000
        start = max(0, round((self.speech[0][0] - margin_ms) * rate))
        end = round((self.speech[-1][1] + margin_ms) * rate)
        return Audio(self.audio.samples[start:end], self.audio.rate)


async def render(
    speaker: CallerSpeaker | None,
    text: str,
    delivery: Delivery = Delivery(),
    *,
    audio_dir: Path = Path("audio"),
) -> Clip:
    """``text`` spoken by ``speaker`` (None for texts of sounds alone) as the phone line
    carries it. ``audio_dir`` is the AUDIO_DIR setting, where ``[music]`` comes from.

    ValueError for an empty text, a bad marker, or words without a speaker. Synthesis runs in
    the speaker's executor, the mixing (10-20 ms for 5 s of audio) in a worker thread.
    """
    pieces = _pieces(text, split_at_commas=delivery.pause_ms > 0)
    if not pieces:
        raise ValueError("nothing to render: the text is empty")
    voiced: list[Audio | Sound] = []
    for piece in pieces:
        if not isinstance(piece, str):
            voiced.append(piece)
        elif speaker is None:
            raise ValueError(f"{piece!r} needs a speaker: only [sound] markers render without")
        else:
            voiced.append(await speaker.speak(piece))
    return await asyncio.to_thread(_line, voiced, delivery, audio_dir, _said(text))


def _line(pieces: list[Audio | Sound], delivery: Delivery, audio_dir: Path, text: str) -> Clip:
    """The blocking part of ``render``: level, layout, noise, clipping, mu-law."""
    gain = 10 ** (delivery.gain_db / 20)
    parts: list[np.ndarray] = []
    spoken: list[int] = []  # indexes into parts of the speech parts
    needs_noise = False
    for piece in pieces:
        if isinstance(piece, Audio):
            spoken.append(len(parts))
            parts.append(_speech_part(piece))
        else:
            kind, seconds, hz = piece
            needs_noise |= kind == "noise"
            sound = _sound(kind, seconds, hz, delivery.seed, audio_dir)
            parts.append(telephone_band(sound) * gain)
    level_db = NORMAL_LEVEL_DBFS + delivery.gain_db
    if spoken:
        scale = 10 ** ((level_db - _active_db(np.concatenate([parts[i] for i in spoken]))) / 20)
        for i in spoken:
            parts[i] = _trim(parts[i] * scale, level_db - ONSET_BELOW_ACTIVE_DB)
    clean, spans = _lay_out(parts, spoken, delivery)
    snr_db = delivery.snr_db
    if snr_db is None and needs_noise:
        snr_db = QUIET_NOISE_SNR_DB
    line = clean
    if snr_db is not None:
        noise_db = level_db - snr_db
        line = clean + line_noise(len(clean), delivery.seed) * 10 ** (noise_db / 20)
    pcm = np.clip(np.rint(line * 32768), -32768, 32767).astype(np.int16)
    return Clip(to_phone_quality(Audio(pcm, PHONE_RATE)), spans, text)


def active_level_db(samples: np.ndarray) -> float:
    """Active level of int16 speech in dBFS: the RMS of its 10 ms frames (at 8 kHz) no more
    than ACTIVE_RANGE_DB below the loudest, so pauses between words do not count."""
    return _active_db(np.asarray(samples, dtype=np.float64) / 32768)


def line_noise(count: int, seed: int) -> np.ndarray:
    """``count`` samples at 8 kHz of phone line noise, RMS 1.0: hiss tilted towards the low
    end of the telephone band plus a faint mains hum (60 Hz and its odd harmonics, only the
    in-band ones survive)."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(count + 2 * _PAD))
    freqs = np.fft.rfftfreq(count + 2 * _PAD, 1 / PHONE_RATE)
    spectrum /= np.sqrt(np.maximum(freqs, 300.0) / 300.0)  # -3 dB an octave above 300 Hz
    hiss = np.fft.irfft(spectrum, count + 2 * _PAD)[_PAD : _PAD + count]
    hiss /= max(_rms(hiss), 1e-12)
    t = np.arange(count) / PHONE_RATE
    phases = rng.uniform(0, 2 * np.pi, 5)
    hum = sum(
        np.sin(2 * np.pi * HUM_HZ * (2 * k + 1) * t + phases[k]) / (2 * k + 1) for k in range(5)
    )
    hum = np.asarray(hum, dtype=np.float64)
    hum *= 10 ** (-HUM_BELOW_NOISE_DB / 20) / max(_rms(hum), 1e-12)
    noise = telephone_band(hiss + hum)
    return noise / max(_rms(noise), 1e-12)


def telephone_band(samples: np.ndarray) -> np.ndarray:
    """Float samples at 8 kHz limited to about 300-3400 Hz (see BAND_ORDERS), filtered with
    zero phase so onsets do not move."""
    n = len(samples) + 2 * _PAD
    spectrum = np.fft.rfft(np.pad(np.asarray(samples, dtype=np.float64), _PAD))
    spectrum *= _band_mask(n)
    out: np.ndarray = np.fft.irfft(spectrum, n)[_PAD : _PAD + len(samples)]
    return out


# ---------------------------------------------------------------------------------------------
# Parsing the text

Sound = tuple[str, float, float]  # kind, seconds, hz (tones only)
_PAD = 512  # samples of zeros around a signal filtered in the frequency domain


def _pieces(text: str, *, split_at_commas: bool) -> list[str | Sound]:
    """Words and sounds in order; with ``split_at_commas`` the words become one piece per
    comma-separated part."""
    pieces: list[str | Sound] = []
    position = 0
    for marker in _MARKER.finditer(text):
        pieces += _words(text[position : marker.start()], split_at_commas)
        pieces.append(_parse_marker(marker.group(1)))
        position = marker.end()
    return pieces + _words(text[position:], split_at_commas)


def _words(chunk: str, split_at_commas: bool) -> list[str | Sound]:
    parts = _PART_BREAK.split(chunk) if split_at_commas else [chunk]
    return [p.strip() for p in parts if any(c.isalnum() for c in p)]


def _parse_marker(body: str) -> Sound:
    kind, *args = [a.strip() for a in body.strip().lower().split(":")]
    defaults = {"tone": [440.0, 2.0], "music": [5.0], "noise": [2.0], "cough": [], "click": []}
    if kind not in defaults:
        raise ValueError(f"unknown sound [{body}]: use {', '.join(f'[{k}]' for k in defaults)}")
    if len(args) > len(defaults[kind]):
        raise ValueError(f"[{body}] takes at most {len(defaults[kind])} values")
    try:
        values = [float(a) for a in args] + defaults[kind][len(args) :]
    except ValueError as exc:
        raise ValueError(f"[{body}]: values must be numbers") from exc
    hz, seconds = values if kind == "tone" else (0.0, values[0] if values else 0.0)
    if kind == "tone" and not 0 < hz < PHONE_RATE / 2:
        raise ValueError(f"[{body}]: a tone's frequency must be between 0 and 4000 Hz")
    if values and not 0 < seconds <= MAX_SOUND_S:
        raise ValueError(f"[{body}]: the length must be above 0 and up to {MAX_SOUND_S:g} s")
    return kind, seconds, hz


def _said(text: str) -> str:
    words = " ".join(_MARKER.sub(" ", text).split())
    return re.sub(r"\s+([,.;:!?])", r"\1", words).strip(" ,;:")


# ---------------------------------------------------------------------------------------------
# Building the signal (float, full scale 1.0, 8 kHz)


def _speech_part(audio: Audio) -> np.ndarray:
    """Clean speech at 8 kHz in the telephone band."""
    narrow = resample(audio.samples, audio.rate, PHONE_RATE).astype(np.float64) / 32768
    return telephone_band(narrow)


def _trim(part: np.ndarray, threshold_db: float) -> np.ndarray:
    """``part`` from its first to its last 5 ms window above ``threshold_db`` (dBFS)."""
    window = PHONE_RATE // 200
    frames = part[: len(part) // window * window].reshape(-1, window)
    loud = np.flatnonzero(10 * np.log10(np.mean(frames**2, axis=1) + 1e-20) >= threshold_db)
    if not len(loud):
        return part
    return part[loud[0] * window : (loud[-1] + 1) * window]


def _lay_out(
    parts: list[np.ndarray], spoken: list[int], delivery: Delivery
) -> tuple[np.ndarray, tuple[tuple[float, float], ...]]:
    """Lead, the parts joined by the pause, trail; and the spans (ms) of the spoken parts."""
    gap = np.zeros(round(delivery.pause_ms * PHONE_RATE / 1000))
    pieces = [np.zeros(round(delivery.lead_ms * PHONE_RATE / 1000))]
    spans: list[tuple[float, float]] = []
    position = len(pieces[0])
    for index, part in enumerate(parts):
        if index:
            pieces.append(gap)
            position += len(gap)
        if index in spoken:
            spans.append((_ms(position), _ms(position + len(part))))
        pieces.append(part)
        position += len(part)
    pieces.append(np.zeros(round(delivery.trail_ms * PHONE_RATE / 1000)))
    return np.concatenate(pieces), tuple(spans)


def _sound(kind: str, seconds: float, hz: float, seed: int, audio_dir: Path) -> np.ndarray:
    count = round(seconds * PHONE_RATE)
    t = np.arange(count) / PHONE_RATE
    if kind == "tone":
        fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.005)  # no click at either end
        return TONE_AMPLITUDE * np.sin(2 * np.pi * hz * t) * fade
    if kind == "music":
        music = _hold_music(audio_dir)
        return np.resize(music, count)  # loops a short file
    if kind == "noise":
        return np.zeros(count)  # the line alone: render adds its noise
    rng = np.random.default_rng(seed + 1)
    if kind == "cough":
        return _cough(rng)
    click = np.zeros(PHONE_RATE // 50)  # 20 ms
    burst = rng.standard_normal(24) * np.exp(-np.arange(24) / 4)
    click[: len(burst)] = 0.5 * burst / np.max(np.abs(burst))
    return click


def _cough(rng: np.random.Generator, seconds: float = 0.3) -> np.ndarray:
    """A cough-like burst: noise through three broad resonances, shaped as a strong burst
    and a weaker one 150 ms later (each a 10 ms attack and a fast decay)."""
    count = round(seconds * PHONE_RATE)
    freqs = np.fft.rfftfreq(count, 1 / PHONE_RATE)
    shape = np.zeros_like(freqs)
    for centre, width in ((500, 250), (1400, 400), (2600, 500)):
        shape += np.exp(-(((freqs - centre) / width) ** 2))
    noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(count)) * shape, count)
    t = np.arange(count) / PHONE_RATE

    def burst(start_s: float, decay_s: float) -> np.ndarray:
        since = np.maximum(t - start_s, 0.0)
        envelope: np.ndarray = np.minimum(since / 0.01, 1.0) * np.exp(-since / decay_s)
        return envelope

    cough = noise * (burst(0.0, 0.06) + 0.5 * burst(0.15, 0.04))
    loudness = 10 ** ((NORMAL_LEVEL_DBFS + 6) / 20)  # a little above the voice
    shaped: np.ndarray = cough * loudness / max(_rms(cough[: count // 3]), 1e-12)
    return shaped


@lru_cache(maxsize=4)
def _hold_music(audio_dir: Path) -> np.ndarray:
    path = audio_dir / HOLD_MUSIC
    try:
        audio = read_wav(path.read_bytes())
    except OSError as exc:
        raise ConfigError(
            f"[music] plays {path}, which cannot be read ({exc}): point audio_dir (the "
            "AUDIO_DIR setting) at the folder with the hold music"
        ) from exc
    music: np.ndarray = resample(audio.samples, audio.rate, PHONE_RATE).astype(np.float64) / 32768
    music.setflags(write=False)
    return music


def _active_db(samples: np.ndarray) -> float:
    frame = PHONE_RATE * ACTIVE_FRAME_MS // 1000
    whole = max(len(samples) // frame, 1) * frame
    frames = np.pad(samples, (0, max(whole - len(samples), 0)))[:whole].reshape(-1, frame)
    energy = np.mean(frames**2, axis=1)
    active = energy[energy >= energy.max() * 10 ** (-ACTIVE_RANGE_DB / 10)]
    return 10 * math.log10(max(float(np.mean(active)), 1e-20))


def _band_mask(n: int) -> np.ndarray:
    low, high = BAND_HZ
    freqs = np.maximum(np.fft.rfftfreq(n, 1 / PHONE_RATE), 1e-3)
    high_pass = 1 / np.sqrt(1 + (low / freqs) ** (2 * BAND_ORDERS[0]))
    low_pass = 1 / np.sqrt(1 + (freqs / high) ** (2 * BAND_ORDERS[1]))
    mask: np.ndarray = high_pass * low_pass
    return mask


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0.0


def _ms(samples: int) -> float:
    return 1000 * samples / PHONE_RATE
