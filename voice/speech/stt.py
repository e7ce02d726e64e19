"""Speech-to-text: the SpeechToText interface and its faster-whisper engine.

Whisper runs in a caller-supplied executor: both ``model.transcribe`` and the consumption
of its lazy segment generator (where the decoding actually happens) stay off the event loop.
Non-speech input (silence, tones, noise) never reaches the decoder: an utterance of up to
``GATE_MAX_S`` is first scored by the 8 kHz Silero model the live calls use
(:mod:`voice.speech.vad`), and only audio with some voiced chunks is decoded, whole and padded
with ``PAD_S`` of silence either side. Should anything slip through, segments Whisper itself
marks as non-speech or looping are dropped.

Why not faster-whisper's own ``vad_filter`` (its 16 kHz Silero over upsampled phone audio):
it cut the first syllables of short phone utterances and removed some entirely ("no",
"agent", "refund", a 0.96 s "what are your hours": Twilio trims recordings to start and
end on speech, so there is no context around them). On 24 trimmed phone-band answers by
three voices it let Whisper hear 15; the 8 kHz gate with padding, 22 (the two left are
Whisper mishearing a robotic voice), with every non-speech test clip (tones, DTMF, hold
music, noise, a cough-like burst, silence) still empty in about 10 ms. Longer audio
(voicemails) keeps the filter, which skips their silences.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from voice.errors import ConfigError, SpeechError
from voice.speech import hypotheses
from voice.speech.audio import Audio
from voice.speech.codecs import for_whisper, resample
from voice.speech.models import BUNDLED_WHISPER
from voice.speech.vad import StreamingVAD
from voice.speech.window import fit_window, says_again

log = logging.getLogger(__name__)

MIN_AUDIO_S = 0.15
"""Shorter audio (seconds) is not sent to the model: no word fits in it."""

NO_SPEECH_DROP = 0.6
"""A segment whose no-speech probability exceeds this is dropped whatever its text."""
COMPRESSION_DROP = 2.4
"""A segment whose gzip compression ratio exceeds this is a repetition loop; dropped."""

# Phrases tiny/base models produce from non-speech (learned from subtitle credits). Dropped
# only when the segment also looks doubtful, because a caller may really say "thank you".
_HALLUCINATIONS = frozenset(
    {
        "thank you",
        "thanks for watching",
        "thank you for watching",
        "thank you so much for watching",
        "please subscribe",
        "subtitles by the amaraorg community",
        "you",
        "bye",
        "so",
        "beep",
    }
)
_DOUBTFUL_NO_SPEECH = 0.3
_DOUBTFUL_LOGPROB = -1.0

GATE_MAX_S = 30.0
"""Audio up to this long is gated by the 8 kHz VAD and decoded whole (see above)."""
PAD_S = 0.3
"""Silence added either side of gated audio: context for the first and last syllables."""
GATE_MIN_VOICED = 2
"""Chunks (32 ms) the 8 kHz VAD must score as speech for the audio to be decoded."""

# For audio longer than GATE_MAX_S (voicemails): faster-whisper's 16 kHz Silero on phone
# audio scores words as low as 0.14, so a low threshold and no minimum length; kept the key
# words of 45 of 50 voicemail-length phone clips (24 at 0.5 and 150 ms), while long music,
# noise, DTMF and coughs stayed empty.
_VAD_PARAMETERS = {
    "threshold": 0.1,
    "min_speech_duration_ms": 0,
    "min_silence_duration_ms": 500,  # phone turns are short; split at half-second pauses
    "speech_pad_ms": 200,
}


@dataclass(frozen=True)
class Transcript:
    """What was said in one utterance."""

    text: str
    confidence: float  # 0..1: exp(avg_logprob) weighted by segment length; 0 when empty
    duration_s: float  # length of the audio given, seconds
    no_speech: bool  # True when nothing voiced was found (text is then "")
    # How long it waited for a free speech worker (a busy machine); a timing, not content.
    queued_s: float = field(default=0.0, compare=False)
    # Whisper's runner-up readings of the same audio, best first (``voice.speech.hypotheses``).
    alternatives: tuple[str, ...] = ()


class SpeechToText(Protocol):
    """One utterance of audio in, its transcript out."""

    async def transcribe(self, audio: Audio) -> Transcript: ...


class WhisperSTT:
    """faster-whisper on the CPU (int8), run in a thread pool executor.

    ``model`` is a folder or faster-whisper model name, already resolved by
    ``voice.speech.models.resolve_whisper_model``. ``language`` defaults to English for
    English-only models and to detection otherwise. ``num_workers`` > 1 lets that many
    transcriptions decode in parallel when the executor has as many threads.
    ``window_margin_s`` > 0 fits the encoder's window to the audio plus that much padding
    (:mod:`voice.speech.window`); 0 keeps Whisper's 30 s window. ``alternatives`` > 0 keeps
    up to that many runner-up readings of the beam search (:mod:`voice.speech.hypotheses`).
    """

    def __init__(
        self,
        model: str,
        *,
        executor: Executor,
        cpu_threads: int = 2,
        num_workers: int = 1,
        beam_size: int = 1,
        language: str | None = None,
        window_margin_s: float = 0.0,
        alternatives: int = 0,
    ) -> None:
        self._model_name = model
        self._alternatives = alternatives
        self._window_margin_s = window_margin_s
        self._executor = executor
        self._cpu_threads = cpu_threads
        self._num_workers = num_workers
        self._beam_size = beam_size
        self._language = language
        self._prompt: str | None = None
        self._model: Any = None
        self._end_of_text = 0  # the tokenizer's end-of-text id, known once loaded
        self._backlog = 0  # transcriptions submitted and not finished (event loop only)

    @property
    def backlog(self) -> int:
        """Utterances waiting for a speech worker or being decoded now."""
        return self._backlog

    def load(self) -> None:
        """Load the model (about a second for tiny.en). Call once at start-up."""
        try:
            self._model = _whisper_class(self._window_margin_s)(
                self._model_name,
                device="cpu",
                compute_type="int8",
                cpu_threads=self._cpu_threads,
                num_workers=self._num_workers,
            )
        except Exception as exc:
            raise ConfigError(
                f"could not load Whisper model {self._model_name!r} ({exc}): use "
                f"{BUNDLED_WHISPER!r}, a faster-whisper model name, or a CTranslate2 model folder."
            ) from exc
        if self._language is None and self._english_only():
            self._language = "en"
        if self._alternatives > 0 and self._beam_size > 1:
            self._model.model = hypotheses.NBestModel(self._model.model, self._alternatives + 1)
            self._end_of_text = self._model.hf_tokenizer.token_to_id("<|endoftext|>")

    def use_vocabulary(self, prompt: str | None) -> None:
        """Give Whisper this text as its initial prompt (the words callers of this line use,
        see ``voice.intents.vocabulary``); ``None`` for none. Takes effect at the next call."""
        self._prompt = prompt or None

    def _english_only(self) -> bool:
        name = os.path.basename(os.path.normpath(self._model_name))
        multilingual = getattr(self._model.model, "is_multilingual", True)
        return name.endswith(".en") or not multilingual

    async def transcribe(self, audio: Audio) -> Transcript:
        """Transcribe one utterance; empty text and ``no_speech`` when nothing was said."""
        if audio.duration_s < MIN_AUDIO_S:
            return Transcript("", 0.0, audio.duration_s, no_speech=True)
        if self._model is None:
            raise SpeechError("WhisperSTT.transcribe called before load()")
        loop = asyncio.get_running_loop()
        submitted = time.perf_counter()

        def decode() -> tuple[float, _Decoded]:
            return time.perf_counter() - submitted, self._decode(audio)

        self._backlog += 1
        try:
            queued_s, decoded = await loop.run_in_executor(self._executor, decode)
        except SpeechError:
            raise
        except Exception as exc:
            raise SpeechError(
                f"Whisper failed on {audio.duration_s:.2f} s of audio: {exc}"
            ) from exc
        finally:
            self._backlog -= 1
        text = decoded.text
        return Transcript(
            text,
            decoded.confidence,
            audio.duration_s,
            no_speech=not text,
            queued_s=queued_s,
            alternatives=decoded.alternatives,
        )

    def _decode(self, audio: Audio) -> _Decoded:
        """Runs in the executor: gate, resample, transcribe, consume segments."""
        gated = audio.duration_s <= GATE_MAX_S
        if gated:
            if not _voiced(audio):
                return _Decoded("", 0.0)
            pad = np.zeros(round(PAD_S * audio.rate), dtype=np.int16)
            audio = Audio(np.concatenate([pad, audio.samples, pad]), audio.rate)
        decoded = self._pass(audio, vad_filter=not gated)
        if self._window_margin_s > 0 and (decoded.looped or says_again(decoded.text)):
            # The fitted window's known failure: the utterance said again, or a loop. The
            # full window decides (the caller may really have said "no, no").
            log.debug("Whisper repeated itself on a fitted window; decoding on the full one")
            with _full_window():
                decoded = self._pass(audio, vad_filter=not gated)
        return decoded

    def _pass(self, audio: Audio, *, vad_filter: bool) -> _Decoded:
        """A decoding pass, greedy again if beam search looped."""
        decoded = self._run(audio, self._beam_size, vad_filter=vad_filter)
        if decoded.looped and self._beam_size > 1:
            # Beam search fell into a repetition loop ("4, 5, 4, 4, 4, ..." for two digits
            # read with a pause): the loop is dropped as noise, and with it the caller's
            # words. Greedy decoding of the same audio rarely loops the same way.
            log.debug(
                "Whisper looped on %.2f s of audio; decoding it again greedily", audio.duration_s
            )
            decoded = self._run(audio, 1, vad_filter=vad_filter)
        return decoded

    def _run(self, audio: Audio, beam_size: int, *, vad_filter: bool) -> _Decoded:
        """One decoding pass: the kept text, its confidence, whether a segment looped, and
        the runner-up readings when the pass was one beam search."""
        hypotheses.forget()
        segments, _info = self._model.transcribe(
            for_whisper(audio),
            language=self._language,
            beam_size=beam_size,
            temperature=0.0,  # no fallback: on non-speech it multiplies the decoding time
            condition_on_previous_text=False,
            initial_prompt=self._prompt,
            no_speech_threshold=NO_SPEECH_DROP,
            log_prob_threshold=-1.0,
            compression_ratio_threshold=COMPRESSION_DROP,
            max_new_tokens=128,
            vad_filter=vad_filter,
            vad_parameters=_VAD_PARAMETERS,
        )
        kept = list(segments)  # decoding happens here, as the generator is consumed
        looped = any(segment.compression_ratio > COMPRESSION_DROP for segment in kept)
        text, confidence = _combine(kept)
        return _Decoded(text, confidence, looped, self._runners_up(text))

    def _runners_up(self, text: str) -> tuple[str, ...]:
        """The other readings of the pass's one beam search (none for several searches:
        each covers only part of the audio)."""
        searches = hypotheses.searches()
        if not text or self._alternatives <= 0 or len(searches) != 1:
            return ()
        end, tokenizer = self._end_of_text, self._model.hf_tokenizer
        readings = (
            tokenizer.decode([token for token in ids if token < end]) for ids in searches[0][1:]
        )
        return hypotheses.alternatives(text, readings, self._alternatives)


@dataclass(frozen=True)
class _Decoded:
    text: str
    confidence: float
    looped: bool = False
    alternatives: tuple[str, ...] = ()


_WINDOW = threading.local()  # .full: this decoding thread wants Whisper's whole window


@contextlib.contextmanager
def _full_window() -> Iterator[None]:
    _WINDOW.full = True
    try:
        yield
    finally:
        _WINDOW.full = False


def _whisper_class(margin_s: float) -> Any:
    """faster-whisper's model, its encoder fed a window fitted to the audio when
    ``margin_s`` > 0, unless the decoding thread asked for the full one."""
    from faster_whisper import WhisperModel

    if margin_s <= 0:
        return WhisperModel

    class FittedWindowWhisper(WhisperModel):  # type: ignore[misc]
        def encode(self, features: np.ndarray) -> Any:
            if not getattr(_WINDOW, "full", False):
                features = fit_window(features, margin_s)
            return super().encode(features)

    return FittedWindowWhisper


def _voiced(audio: Audio) -> bool:
    """At least ``GATE_MIN_VOICED`` chunks of speech by the 8 kHz VAD (context padded)."""
    samples = audio.samples if audio.rate == 8000 else resample(audio.samples, audio.rate, 8000)
    vad = StreamingVAD()
    pad = np.zeros(round(PAD_S * 8000), dtype=np.int16)
    probabilities = np.array(vad.push(np.concatenate([pad, samples, pad])))
    return int((probabilities >= vad.threshold).sum()) >= GATE_MIN_VOICED


def _combine(segments: Iterable[Any]) -> tuple[str, float]:
    """Join the kept segments' text; confidence weighted by segment length."""
    texts: list[str] = []
    weighted = 0.0
    total = 0.0
    for segment in segments:
        text = segment.text.strip()
        if not text or _is_noise(segment, text):
            continue
        length = max(float(segment.end - segment.start), 1e-3)
        texts.append(text)
        weighted += math.exp(min(float(segment.avg_logprob), 0.0)) * length
        total += length
    if not texts:
        return "", 0.0
    return " ".join(texts), float(np.clip(weighted / total, 0.0, 1.0))


def _is_noise(segment: Any, text: str) -> bool:
    if segment.no_speech_prob > NO_SPEECH_DROP or segment.compression_ratio > COMPRESSION_DROP:
        return True
    if not any(char.isalnum() for char in text):
        return True  # " ." or "..." from music or noise
    normalized = re.sub(r"[^a-z ]", "", text.lower()).strip()
    doubtful = (
        segment.no_speech_prob > _DOUBTFUL_NO_SPEECH or segment.avg_logprob < _DOUBTFUL_LOGPROB
    )
    return normalized in _HALLUCINATIONS and doubtful
