"""The analytics and alert settings: defaults, clear errors, the webhook's signing secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice.config import load_settings, resolve_secrets
from voice.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ALERT_WEBHOOK_URL", "HANDOFF_WEBHOOK_URL", "ANALYTICS_TIMEZONE", "VOICE_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.analytics_timezone == "UTC"
    assert settings.alert_webhook_url is None
    assert (settings.alert_check_interval_s, settings.alert_window_s) == (60, 3600)
    assert (settings.alert_baseline_days, settings.alert_min_count) == (7, 5)


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("ANALYTICS_TIMEZONE", "Mars/Olympus", "IANA time zone"),
        ("ALERT_WEBHOOK_URL", "hooks.example.com/alerts", "absolute http(s) URL"),
        ("ALERT_CHECK_INTERVAL_S", "-1", "greater than or equal to 0"),
        ("ALERT_WINDOW_S", "30", "greater than or equal to 60"),
        ("ALERT_BASELINE_DAYS", "1", "greater than or equal to 2"),
        ("ALERT_MIN_COUNT", "0", "greater than or equal to 1"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, hint: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(data_dir=tmp_path)
    assert name in str(caught.value) and hint in str(caught.value)


def test_alerts_are_signed_with_a_secret_of_their_own(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, alert_webhook_url="https://ops.example.com/hook")
    secrets = resolve_secrets(settings)
    assert len(secrets.alert_secret) >= 16
    assert "alert_webhook_secret" in secrets.generated
    both = resolve_secrets(
        load_settings(
            data_dir=tmp_path,
            alert_webhook_url="https://ops.example.com/hook",
            handoff_webhook_url="https://crm.example.com/hook",
        )
    )
    # Whoever receives alerts cannot sign a hand-over.
    assert both.alert_secret and both.webhook_secret and both.alert_secret != both.webhook_secret


def test_production_needs_a_real_alert_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VOICE_ENV", "production")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok-0123456789")
    monkeypatch.setenv("ADMIN_TOKEN", "adm-0123456789")
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "https://ops.example.com/hook")
    with pytest.raises(ConfigError, match="ALERT_WEBHOOK_SECRET is not set"):
        resolve_secrets(load_settings(data_dir=tmp_path))
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET", "an-ops-only-secret")
    assert resolve_secrets(load_settings(data_dir=tmp_path)).alert_secret == b"an-ops-only-secret"
