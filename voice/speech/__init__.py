"""Speech layer: audio values and codecs, Whisper speech-to-text, Piper text-to-speech,
model resolution and the reply audio cache.

Importing this package does not load faster-whisper or Piper; ``load()`` does.
"""

from voice.speech.audio import Audio
from voice.speech.cache import ReplyAudioCache
from voice.speech.codecs import (
    for_whisper,
    mulaw_decode,
    mulaw_encode,
    phone_wav,
    read_wav,
    resample,
    to_phone_quality,
    wav_bytes,
)
from voice.speech.models import (
    BUNDLED_VOICE,
    BUNDLED_WHISPER,
    resolve_piper_voice,
    resolve_whisper_model,
)
from voice.speech.stt import SpeechToText, Transcript, WhisperSTT
from voice.speech.tts import PiperTTS, TextToSpeech

__all__ = [
    "BUNDLED_VOICE",
    "BUNDLED_WHISPER",
    "Audio",
    "PiperTTS",
    "ReplyAudioCache",
    "SpeechToText",
    "TextToSpeech",
    "Transcript",
    "WhisperSTT",
    "for_whisper",
    "mulaw_decode",
    "mulaw_encode",
    "phone_wav",
    "read_wav",
    "resample",
    "resolve_piper_voice",
    "resolve_whisper_model",
    "to_phone_quality",
    "wav_bytes",
]
