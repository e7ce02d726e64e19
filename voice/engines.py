"""Loading the speech engines once, with the worker pools that bound their CPU use."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from voice.config import Settings
from voice.intents.embedding import Encoder
from voice.intents.matcher import Matcher
from voice.intents.semantic import SentenceVectors
from voice.pack.live import MatcherFactory
from voice.speech.coqui import CoquiTTS
from voice.speech.models import (
    resolve_piper_voice,
    resolve_sentence_model,
    resolve_whisper_model,
)
from voice.speech.stt import WhisperSTT
from voice.speech.tts import PiperTTS, TextToSpeech
from voice.speech.vad import StreamingVAD

log = logging.getLogger(__name__)


@dataclass
class Engines:
    stt: WhisperSTT
    tts: TextToSpeech
    stt_pool: ThreadPoolExecutor
    tts_pool: ThreadPoolExecutor
    sentences: SentenceVectors | None = None  # the matcher's semantic layer, if switched on

    def close(self) -> None:
        self.stt_pool.shutdown(wait=False, cancel_futures=True)
        self.tts_pool.shutdown(wait=False, cancel_futures=True)


def load_tts(settings: Settings, executor: ThreadPoolExecutor) -> PiperTTS | CoquiTTS:
    """The configured voice, loaded (ConfigError on a bad voice setting or a missing extra)."""
    tts: PiperTTS | CoquiTTS
    if settings.tts_engine == "coqui":
        tts = CoquiTTS(
            model_name=settings.coqui_model,
            checkpoint_path=str(settings.coqui_checkpoint) if settings.coqui_checkpoint else None,
            config_path=str(settings.coqui_config) if settings.coqui_config else None,
            speaker=settings.coqui_speaker,
            language=settings.coqui_language,
            executor=executor,
        )
    else:
        onnx, config = resolve_piper_voice(settings.tts_voice)
        tts = PiperTTS(onnx, config, executor=executor)
    log.info("loading voice %s", tts.name)
    tts.load()
    return tts


def load_sentence_model(settings: Settings) -> SentenceVectors | None:
    """The intent matcher's sentence model, or None when INTENT_MODEL is "off"."""
    folder = resolve_sentence_model(settings.intent_model)
    if folder is None:
        log.info("intent matching is lexical only (INTENT_MODEL=off)")
        return None
    log.info("loading intent sentence model %s (%s)", settings.intent_model, folder)
    return SentenceVectors(Encoder(folder))


def matcher_factory(settings: Settings, sentences: SentenceVectors | None) -> MatcherFactory:
    """Builds matchers as configured (sentence model, INTENT_THRESHOLD, INTENT_MARGIN)."""
    return partial(
        Matcher,
        semantic=sentences,
        threshold=settings.intent_threshold,
        margin=settings.intent_margin,
    )


def load_engines(settings: Settings) -> Engines:
    """Resolve and load the configured models (ConfigError on a bad model setting)."""
    whisper_path = resolve_whisper_model(settings.whisper_model)
    StreamingVAD()  # the live calls' voice detector: a missing model fails here, not mid-call
    sentences = load_sentence_model(settings)
    if settings.tts_engine == "piper":
        resolve_piper_voice(settings.tts_voice)  # fail on a bad voice before loading anything
    stt_pool = ThreadPoolExecutor(settings.whisper_workers, thread_name_prefix="stt")
    tts_pool = ThreadPoolExecutor(settings.tts_workers, thread_name_prefix="tts")
    stt = WhisperSTT(
        whisper_path,
        executor=stt_pool,
        cpu_threads=settings.whisper_threads,
        num_workers=settings.whisper_workers,
        beam_size=settings.whisper_beam,
        window_margin_s=settings.whisper_window_s,
        alternatives=settings.whisper_alternatives,
    )
    log.info("loading speech-to-text model %s (%s)", settings.whisper_model, whisper_path)
    stt.load()
    tts = load_tts(settings, tts_pool)
    return Engines(stt=stt, tts=tts, stt_pool=stt_pool, tts_pool=tts_pool, sentences=sentences)
