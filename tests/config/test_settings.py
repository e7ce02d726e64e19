"""Settings: defaults, clear errors for bad values, development and production secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice.config import load_settings, resolve_secrets
from voice.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "TWILIO_AUTH_TOKEN",
        "ADMIN_TOKEN",
        "PUBLIC_BASE_URL",
        "AGENT_NUMBER",
        "DATABASE_URL",
        "VOICE_ENV",
        "DATA_DIR",
        "TWILIO_ACCOUNT_SID",
        "RECORDING_HOSTS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_run_on_a_fresh_machine(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    assert settings.public_base_url == "http://localhost:8000"
    assert settings.database.startswith("sqlite:///")
    assert settings.database.endswith("voice.db")
    assert settings.whisper_model == "tiny.en"
    assert settings.agent_number is None
    assert settings.allowed_recording_hosts == {"api.twilio.com"}  # no loopback by default


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("PUBLIC_BASE_URL", "ngrok.app", "absolute http(s) URL"),
        ("PUBLIC_BASE_URL", "https://x.example/?a=1", "query string"),
        ("AGENT_NUMBER", "call bob", "E.164"),
        ("TWILIO_ACCOUNT_SID", "12345", "Account SID"),
        ("WHISPER_THREADS", "0", "WHISPER_THREADS"),
        ("TURN_MIN_MS", "700", "TURN_MIN_MS <= STREAM_END_MS <= TURN_MAX_MS"),
        ("TURN_MAX_MS", "500", "TURN_MIN_MS <= STREAM_END_MS <= TURN_MAX_MS"),
    ],
)
def test_bad_values_say_how_to_fix_them(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, hint: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert name in str(err.value)
    assert hint in str(err.value)


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AGENT_NUMBER=+14155550100\nCOMPANY_NAME=Globex\n")
    settings = load_settings()
    assert settings.agent_number == "+14155550100"
    assert settings.company_name == "Globex"


def test_development_tokens_are_created_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    first = resolve_secrets(settings)
    again = resolve_secrets(settings)
    assert first.generated == ("twilio_auth_token", "admin_token")
    assert first.twilio_auth_token == again.twilio_auth_token
    assert first.admin_token == again.admin_token
    stored = tmp_path / "data" / "dev-secrets.json"
    assert stored.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert json.loads(stored.read_text())["admin_token"] == first.admin_token


def test_configured_tokens_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-real-token-from-the-console")
    secrets = resolve_secrets(load_settings(data_dir=tmp_path))
    assert secrets.twilio_auth_token == "a-real-token-from-the-console"
    assert secrets.generated == ("admin_token",)


def test_production_refuses_missing_or_placeholder_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VOICE_ENV", "production")
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set"):
        resolve_secrets(load_settings(data_dir=tmp_path))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "changeme")
    with pytest.raises(ConfigError, match="placeholder"):
        resolve_secrets(load_settings(data_dir=tmp_path))


def test_production_refuses_loopback_recording_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_ENV", "production")
    monkeypatch.setenv("RECORDING_HOSTS", "api.twilio.com,127.0.0.1")
    with pytest.raises(ConfigError, match="RECORDING_HOSTS lists loopback"):
        load_settings()
    monkeypatch.setenv("VOICE_ENV", "development")
    assert "127.0.0.1" in load_settings().allowed_recording_hosts  # listed on purpose
