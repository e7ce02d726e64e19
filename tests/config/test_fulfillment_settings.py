"""Fulfillment settings: demo data by default, a checked endpoint URL and timeout, a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice.config import load_settings, resolve_secrets
from voice.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "FULFILLMENT_URL",
        "FULFILLMENT_SECRET",
        "FULFILLMENT_TIMEOUT_S",
        "TWILIO_AUTH_TOKEN",
        "ADMIN_TOKEN",
        "VOICE_ENV",
        "DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_demo_data_by_default(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.fulfillment_url is None
    assert settings.fulfillment_timeout_s == 1.5
    secrets = resolve_secrets(settings)
    assert secrets.fulfillment_secret == b""
    assert "fulfillment_secret" not in secrets.generated


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/voice/", "https://api.example.com/voice"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("  ", None),
    ],
)
def test_endpoint_url_is_tidied(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str | None
) -> None:
    monkeypatch.setenv("FULFILLMENT_URL", url)
    assert load_settings().fulfillment_url == expected


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("FULFILLMENT_URL", "api.example.com/voice", "absolute http(s) URL"),
        ("FULFILLMENT_URL", "ftp://api.example.com", "absolute http(s) URL"),
        ("FULFILLMENT_URL", "https://api.example.com/v?key=1", "query string"),
        ("FULFILLMENT_TIMEOUT_S", "0.05", "greater than or equal to 0.2"),
        ("FULFILLMENT_TIMEOUT_S", "30", "less than or equal to 5"),
        ("FULFILLMENT_TIMEOUT_S", "soon", "FULFILLMENT_TIMEOUT_S"),
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


def test_secret_is_configured_or_a_kept_development_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FULFILLMENT_URL", "https://api.example.com/voice")
    first = resolve_secrets(load_settings(data_dir=tmp_path))
    assert "fulfillment_secret" in first.generated
    assert len(first.fulfillment_secret) >= 32
    assert first.fulfillment_secret != first.webhook_secret
    assert resolve_secrets(load_settings(data_dir=tmp_path)) == first  # kept, not renewed

    monkeypatch.setenv("FULFILLMENT_SECRET", "a-real-shared-secret")
    configured = resolve_secrets(load_settings(data_dir=tmp_path))
    assert configured.fulfillment_secret == b"a-real-shared-secret"
    assert "fulfillment_secret" not in configured.generated


def test_production_needs_a_real_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOICE_ENV", "production")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok-0123456789")
    monkeypatch.setenv("ADMIN_TOKEN", "adm-0123456789")
    monkeypatch.setenv("FULFILLMENT_URL", "https://api.example.com/voice")
    with pytest.raises(ConfigError, match="FULFILLMENT_SECRET is not set"):
        resolve_secrets(load_settings(data_dir=tmp_path))
    monkeypatch.setenv("FULFILLMENT_SECRET", "changeme")
    with pytest.raises(ConfigError, match="FULFILLMENT_SECRET is a placeholder"):
        resolve_secrets(load_settings(data_dir=tmp_path))
    monkeypatch.setenv("FULFILLMENT_SECRET", "a-real-shared-secret")
    assert resolve_secrets(load_settings(data_dir=tmp_path)).fulfillment_secret
