"""Loading the speech engines once, with the worker pools that bound their CPU use."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from voice.config import Settings
from voice.speech.models import resolve_piper_voice, resolve_whisper_model
from voice.speech.stt import WhisperSTT
from voice.speech.tts import PiperTTS

log = logging.getLogger(__name__)


@dataclass
class Engines:
    stt: WhisperSTT
    tts: PiperTTS
    stt_pool: ThreadPoolExecutor
    tts_pool: ThreadPoolExecutor

    def close(self) -> None:
        self.stt_pool.shutdown(wait=False, cancel_futures=True)
        self.tts_pool.shutdown(wait=False, cancel_futures=True)


def load_engines(settings: Settings) -> Engines:
    """Resolve and load the configured models (ConfigError on a bad model setting)."""
    whisper_path = resolve_whisper_model(settings.whisper_model)
    onnx, config = resolve_piper_voice(settings.tts_voice)
    stt_pool = ThreadPoolExecutor(settings.whisper_workers, thread_name_prefix="stt")
    tts_pool = ThreadPoolExecutor(settings.tts_workers, thread_name_prefix="tts")
    stt = WhisperSTT(
        whisper_path,
        executor=stt_pool,
        cpu_threads=settings.whisper_threads,
        num_workers=settings.whisper_workers,
    )
    tts = PiperTTS(onnx, config, executor=tts_pool)
    log.info("loading speech-to-text model %s (%s)", settings.whisper_model, whisper_path)
    stt.load()
    log.info("loading voice %s (%s)", settings.tts_voice, onnx)
    tts.load()
    return Engines(stt=stt, tts=tts, stt_pool=stt_pool, tts_pool=tts_pool)
