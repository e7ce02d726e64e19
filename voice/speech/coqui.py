"""Text-to-speech with Coqui TTS (the optional ``coqui`` extra): a named model or a checkpoint.

Coqui needs PyTorch (several GB), so it is imported only by ``CoquiTTS.load()``: importing
this module, or running with the default Piper voice, never touches torch.
"""

from __future__ import annotations

import importlib
import threading
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from voice.errors import ConfigError, SpeechError
from voice.speech.audio import Audio
from voice.speech.tts import synthesize_in

INSTALL_HINT = "pip install -e '.[coqui]' (see the README, 'Coqui voices')"


class CoquiTTS:
    """A Coqui TTS model on the CPU, synthesizing in a caller-supplied executor.

    Give either ``model_name`` (a Coqui model id such as ``"tts_models/en/ljspeech/vits"``,
    downloaded by the TTS library into its data folder on first use) or ``checkpoint_path``
    with ``config_path`` (a ``.pth`` and the ``config.json`` that Coqui's trainer wrote).
    ``speaker`` and ``language`` select a voice of a multi-speaker or multilingual model.

    Calls are serialized: Coqui's synthesizer is not documented as thread-safe, and torch
    already spreads one synthesis over every core.
    """

    def __init__(
        self,
        *,
        executor: Executor,
        model_name: str | None = None,
        checkpoint_path: str | None = None,
        config_path: str | None = None,
        speaker: str | None = None,
        language: str | None = None,
    ) -> None:
        if model_name and (checkpoint_path or config_path):
            raise ConfigError(
                "set either COQUI_MODEL (a Coqui model name) or COQUI_CHECKPOINT with "
                "COQUI_CONFIG (local files), not both."
            )
        if not model_name and not (checkpoint_path and config_path):
            raise ConfigError(
                "the Coqui engine needs COQUI_MODEL (e.g. tts_models/en/ljspeech/vits) or both "
                "COQUI_CHECKPOINT (the .pth file) and COQUI_CONFIG (its config.json)."
            )
        self._executor = executor
        self._model_name = model_name or None
        self._checkpoint_path = checkpoint_path
        self._config_path = config_path
        self._speaker = speaker or None
        self._language = language or None
        self._lock = threading.Lock()
        self._tts: Any = None
        self._rate = 0
        if self._model_name:
            voice = self._model_name
        else:
            checkpoint = Path(str(checkpoint_path))
            voice = f"{checkpoint.parent.name}/{checkpoint.stem}"
        for part in (self._speaker, self._language):
            if part:
                voice += f":{part}"
        self._name = f"coqui:{voice}"

    @property
    def name(self) -> str:
        return self._name

    @property
    def sample_rate(self) -> int:
        """Hz of the audio ``synthesize`` returns (the model's output rate); 0 before load()."""
        return self._rate

    def load(self) -> None:
        """Import Coqui and load the model (seconds; a named model may download first).

        Call once at start-up. ConfigError, saying how to fix it, when the extra is missing,
        a file is missing or invalid, or the speaker or language does not fit the model.
        """
        if self._model_name:
            source = f"Coqui model {self._model_name!r}"
            fix = (
                "check the name against `tts --list_models`; the first use downloads the model "
                "into the TTS data folder (TTS_HOME), so it needs the network once"
            )
            kwargs: dict[str, Any] = {"model_name": self._model_name}
        else:
            checkpoint, config = Path(str(self._checkpoint_path)), Path(str(self._config_path))
            for setting, path, what in (
                ("COQUI_CHECKPOINT", checkpoint, "the model's .pth checkpoint"),
                ("COQUI_CONFIG", config, "the config.json saved with it"),
            ):
                if not path.is_file():
                    raise ConfigError(f"{setting} {path} is not a file: give the path of {what}.")
            source = f"Coqui checkpoint {checkpoint} with config {config}"
            fix = "give a checkpoint .pth and the config.json written by the same Coqui training"
            kwargs = {"model_path": str(checkpoint), "config_path": str(config)}
        api = _import_api()
        try:
            tts = api.TTS(progress_bar=False, **kwargs).to("cpu")
        except Exception as exc:
            raise ConfigError(
                f"could not load {source} ({type(exc).__name__}: {exc}): {fix}."
            ) from exc
        if tts.synthesizer is None:
            raise ConfigError(f"{source} is not a text-to-speech model: {fix}.")
        self._check_voice(tts, source)
        self._tts = tts
        self._rate = int(tts.synthesizer.output_sample_rate)

    def _check_voice(self, tts: Any, source: str) -> None:
        """Fail at start-up, not on the first call, when speaker or language does not fit."""
        for setting, noun, value, choices in (
            ("COQUI_SPEAKER", "speaker", self._speaker, tts.speakers),
            ("COQUI_LANGUAGE", "language", self._language, tts.languages),
        ):
            if not choices:
                if value:
                    raise ConfigError(f"{source} has a single {noun}: unset {setting}.")
                continue
            listed = ", ".join(sorted(choices)[:20])
            if not value:
                raise ConfigError(f"{source} needs {setting}, one of: {listed}.")
            if value not in choices:
                raise ConfigError(
                    f"{setting}={value!r} is not in {source}; choose one of: {listed}."
                )

    async def synthesize(self, text: str) -> Audio:
        """Speak ``text``: mono int16 at ``sample_rate`` (sentences joined by short pauses)."""
        return await synthesize_in(
            self._executor, self._render, text, engine="Coqui", loaded=self._tts is not None
        )

    def _render(self, text: str) -> Audio:
        with self._lock:
            wav = self._tts.tts(text, speaker=self._speaker, language=self._language)
        samples = np.asarray(wav, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            raise SpeechError(f"Coqui produced no audio for {text[:60]!r}")
        if not np.isfinite(samples).all():
            raise SpeechError(f"Coqui produced invalid samples (NaN or inf) for {text[:60]!r}")
        pcm = np.rint(np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
        return Audio(pcm, self._rate)


def _import_api() -> Any:
    """``TTS.api``, imported here so that only a Coqui deployment needs torch."""
    try:
        return importlib.import_module("TTS.api")
    except ImportError as exc:
        raise ConfigError(
            f"TTS_ENGINE=coqui needs the Coqui TTS extra, which is not installed ({exc}): "
            f"{INSTALL_HINT}."
        ) from exc
    except Exception as exc:  # e.g. OSError: a torchaudio build that does not match torch
        raise ConfigError(
            f"the Coqui TTS extra is installed but does not import ({type(exc).__name__}: "
            f"{exc}): reinstall it with {INSTALL_HINT}, which pins matching torch and "
            "torchaudio builds."
        ) from exc
