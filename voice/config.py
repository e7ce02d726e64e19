"""The one settings class: the only reader of the environment (and of ``.env``).

Bad values fail start-up with a message that says how to fix them. Secrets are ``SecretStr``.
When no Twilio auth token or admin token is configured (a fresh machine), development tokens
are created once, kept in the data folder, and reported at start-up; production refuses that.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from voice.errors import ConfigError

log = logging.getLogger(__name__)

DEV_SECRETS_FILE = "dev-secrets.json"
AUDIO_KEY_FILE = "audio-key"  # in the reply audio folder: the key its files are named by
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "token", "xxx", "your_auth_token"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Literal["development", "production"] = Field(
        "development", validation_alias="VOICE_ENV"
    )
    voice_mode: Literal["stream", "turns"] = "stream"
    public_base_url: str = "http://localhost:8000"
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: SecretStr | None = None
    admin_token: SecretStr | None = None
    data_dir: Path = Path("data")
    audio_cache_dir: Path | None = None  # reply audio and its key; default DATA_DIR/audio-cache
    database_url: str | None = None
    agent_number: str | None = None
    agent_numbers: str | None = None  # more agents, comma-separated, tried in order
    queue_name: str | None = "support"  # after the last agent; empty: straight to voicemail
    queue_max_wait_s: int = Field(300, ge=30, le=3600)
    taskrouter_workflow_sid: str | None = None  # enqueue as a TaskRouter task instead
    handoff_webhook_url: str | None = None  # POSTed, signed, on every hand-over
    handoff_webhook_secret: SecretStr | None = None  # default: a development secret
    fulfillment_url: str | None = None  # lookups POSTed to {url}/{lookup}; unset: demo data
    fulfillment_secret: SecretStr | None = None  # signs them; default: a development secret
    fulfillment_timeout_s: float = Field(1.5, ge=0.2, le=5.0)  # a caller waits on the line
    whisper_model: str = "tiny.en"
    whisper_threads: int = Field(2, ge=1, le=64)
    whisper_workers: int = Field(1, ge=1, le=16)
    whisper_beam: int = Field(3, ge=1, le=10)
    whisper_window_s: float = Field(7.0, ge=0.0, le=30.0)  # padding kept after the audio; 0: 30 s
    whisper_alternatives: int = Field(2, ge=0, le=9)  # runner-up readings the dialog may try
    tts_voice: str = "en_US-joe-medium"
    tts_engine: Literal["piper", "coqui"] = "piper"
    coqui_model: str | None = None  # a Coqui model name, e.g. tts_models/en/vctk/vits
    coqui_checkpoint: Path | None = None  # or a local checkpoint .pth ...
    coqui_config: Path | None = None  # ... with the config.json saved with it
    coqui_speaker: str | None = None  # multi-speaker models only, e.g. p225
    coqui_language: str | None = None  # multilingual models only
    tts_workers: int = Field(1, ge=1, le=16)
    company_name: str = "Acme"
    intent_model: str = "all-MiniLM-L6-v2"  # sentence model of the matcher; "off": lexical
    intent_threshold: float | None = Field(None, ge=0.0, le=1.0)  # default: the matcher's
    intent_margin: float | None = Field(None, ge=0.0, le=1.0)
    intents_dir: Path = Path("intents")
    audio_dir: Path = Path("audio")  # hold music and other fixed audio
    policy_file: Path | None = None  # default: intents_dir / "policy.yaml"
    intents_reload_s: float = Field(2.0, ge=0, le=3600)  # poll the files this often; 0: never
    record_timeout_s: int = Field(2, ge=1, le=10)
    record_max_length_s: int = Field(30, ge=5, le=120)
    dial_timeout_s: int = Field(20, ge=5, le=60)
    # Loopback (the simulator's stand-in for Twilio) only when listed here on purpose.
    recording_hosts: str = "api.twilio.com"
    # One-time codes for caller verification, texted through Twilio's Messaging API: a
    # sender number or a Messaging Service; neither: no codes by text (PIN + attestation).
    sms_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_url: str = "https://api.twilio.com"  # http only to loopback, for tests
    stream_end_ms: int = Field(600, ge=200, le=3000)  # a turn's end before it is read
    turn_min_ms: int = Field(450, ge=100, le=3000)  # ... once read as a finished request
    turn_max_ms: int = Field(1100, ge=200, le=5000)  # ... once read as unfinished
    turn_recover_ms: int = Field(450, ge=0, le=3000)  # caller may go on after the reply began
    stream_pause_ms: int = Field(120, ge=50, le=1000)  # silence that starts recognition
    stream_silence_s: float = Field(6.0, ge=2.0, le=30.0)
    # Live calls this instance takes at once; past it, new ones get the policy's busy path
    # (voice/calls/capacity.py). 0: no limit.
    max_live_calls: int = Field(5, ge=0, le=10_000)  # 2 cores: see BENCHMARKS "Capacity"
    # Analytics page and spike alerts (voice/analytics/)
    analytics_timezone: str = "UTC"  # local days of the analytics page
    alert_webhook_url: str | None = None  # spike alerts POSTed here, signed (own secret)
    alert_webhook_secret: SecretStr | None = None  # their own secret; default: a dev secret
    alert_check_interval_s: int = Field(60, ge=0, le=86400)  # 0: no background check
    alert_window_s: int = Field(3600, ge=60, le=86400)  # the recent window compared
    alert_baseline_days: int = Field(7, ge=2, le=90)  # its usual level: windows in these days
    alert_min_count: int = Field(5, ge=1, le=100_000)  # fewer calls in a window never alert
    host: str = "0.0.0.0"
    port: int = Field(8000, ge=1, le=65535)
    forwarded_allow_ips: str = "127.0.0.1"  # proxies whose X-Forwarded-For/-Proto count

    @field_validator("public_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return _base_url(value, " that Twilio can reach, e.g. https://abc123.ngrok.app (no path)")

    @field_validator("agent_number")
    @classmethod
    def _check_agent_number(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        return _agent(value)

    @field_validator("agent_numbers")
    @classmethod
    def _check_agent_numbers(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        return ",".join(_agent(number) for number in value.split(","))

    @field_validator("sms_from")
    @classmethod
    def _check_sms_from(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        return _phone(value.strip())

    @field_validator("twilio_messaging_service_sid")
    @classmethod
    def _check_messaging_sid(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not (value.startswith("MG") and len(value) == 34):
            raise ValueError("must be a Messaging Service SID: 'MG' followed by 32 characters")
        return value

    @field_validator("twilio_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        loopback = (parts.hostname or "") in LOOPBACK_HOSTS
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("must be https (plain http only to a loopback test server)")
        return value.rstrip("/")

    @field_validator("handoff_webhook_url", "alert_webhook_url")
    @classmethod
    def _check_webhook(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("fulfillment_url")
    @classmethod
    def _check_fulfillment(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        return _base_url(
            value.strip(),
            "; the lookup name is appended as the last path segment, "
            "e.g. https://api.example.com/voice -> .../voice/order_status",
        )

    @field_validator("analytics_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone, e.g. UTC or America/New_York") from exc
        return value

    @field_validator("twilio_account_sid")
    @classmethod
    def _check_sid(cls, value: str) -> str:
        if not (value.startswith("AC") and len(value) == 34):
            raise ValueError("must be a Twilio Account SID: 'AC' followed by 32 characters")
        return value

    @model_validator(mode="after")
    def _check_turn_limits(self) -> Settings:
        if not self.turn_min_ms <= self.stream_end_ms <= self.turn_max_ms:
            raise ValueError(
                "the turn limits must be in order: TURN_MIN_MS <= STREAM_END_MS <= TURN_MAX_MS "
                f"(got {self.turn_min_ms}, {self.stream_end_ms} and {self.turn_max_ms})"
            )
        return self

    @model_validator(mode="after")
    def _check_recording_hosts(self) -> Settings:
        loopback = self.allowed_recording_hosts & LOOPBACK_HOSTS
        if loopback and self.environment == "production":
            raise ValueError(
                f"RECORDING_HOSTS lists loopback ({', '.join(sorted(loopback))}), which only "
                "the simulator and tests use; production fetches recordings from Twilio only"
            )
        if self.environment == "production" and not self.twilio_api_url.startswith("https://"):
            raise ValueError("TWILIO_API_URL must be Twilio's https API in production")
        return self

    @property
    def agents(self) -> tuple[str, ...]:
        """Every agent to try, in order: AGENT_NUMBER first, then AGENT_NUMBERS."""
        numbers = [self.agent_number] if self.agent_number else []
        numbers += [n.strip() for n in (self.agent_numbers or "").split(",") if n.strip()]
        return tuple(dict.fromkeys(numbers))

    @property
    def policy_path(self) -> Path:
        return self.policy_file or self.intents_dir / "policy.yaml"

    @property
    def public_ws_url(self) -> str:
        """PUBLIC_BASE_URL with ws(s):// for Media Streams."""
        if self.public_base_url.startswith("https://"):
            return "wss://" + self.public_base_url.removeprefix("https://")
        return "ws://" + self.public_base_url.removeprefix("http://")

    @property
    def audio_cache_path(self) -> Path:
        """Where reply audio is kept: shared by every instance behind one public URL."""
        return self.audio_cache_dir or self.data_dir / "audio-cache"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'voice.db').resolve()}"

    @property
    def allowed_recording_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.recording_hosts.split(",") if h.strip())


def _base_url(value: str, hint: str) -> str:
    """An absolute http(s) URL without query or fragment, trailing slash removed; ``hint``
    ends the error message."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an absolute http(s) URL{hint}")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query string or fragment")
    return value.rstrip("/")


def _phone(value: str) -> str:
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", value):
        raise ValueError(f"{value!r} must be a phone number in E.164 form, e.g. +14155550100")
    return value


def _agent(value: str) -> str:
    """An agent to dial: an E.164 number, ``sip:...`` or ``client:name``."""
    value = value.strip()
    if value.startswith("sip:") or value.startswith("client:"):
        return value
    digits = value[1:] if value.startswith("+") else value
    if not digits.isdigit() or not 3 <= len(digits) <= 15:
        raise ValueError(f"{value!r} must be a phone number in E.164 form, e.g. +14155550100")
    return value


@dataclass(frozen=True)
class Secrets:
    """Resolved secrets; ``generated`` names the ones that came from the dev secrets file."""

    twilio_auth_token: str
    admin_token: str
    audio_key: bytes
    webhook_secret: bytes
    generated: tuple[str, ...]
    fulfillment_secret: bytes = b""  # empty when FULFILLMENT_URL is unset
    alert_secret: bytes = b""  # empty when ALERT_WEBHOOK_URL is unset


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; a bad value raises ConfigError saying how to fix it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper()
            lines.append(f"  {name}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError(
            "invalid settings; fix these environment variables (or .env entries):\n"
            + "\n".join(lines)
        ) from exc


def resolve_secrets(settings: Settings) -> Secrets:
    """Tokens from settings, or development tokens kept in ``data_dir/dev-secrets.json``.

    Instances sharing a data folder agree on them: the file is read and written under a lock,
    so the first to start creates them and the others read them."""
    with _dev_secrets_lock(settings.data_dir):
        return _resolve(settings)


def _resolve(settings: Settings) -> Secrets:
    stored = _read_dev_secrets(settings.data_dir)
    before = dict(stored)
    generated: list[str] = []

    def pick(name: str, configured: SecretStr | None) -> str:
        if configured is not None:
            value = configured.get_secret_value()
            if value.strip().lower() in _PLACEHOLDERS:
                raise ConfigError(f"{name.upper()} is a placeholder; set a real secret")
            return value
        if settings.environment == "production":
            raise ConfigError(
                f"{name.upper()} is not set; production needs it (set VOICE_ENV=development "
                "to let the service create a development token instead)"
            )
        if name not in stored:
            stored[name] = secrets.token_hex(16) if name != "admin_token" else _admin_token()
        generated.append(name)
        return stored[name]

    auth = pick("twilio_auth_token", settings.twilio_auth_token)
    admin = pick("admin_token", settings.admin_token)
    webhook = (
        pick("handoff_webhook_secret", settings.handoff_webhook_secret)
        if settings.handoff_webhook_url
        else ""
    )
    # Alerts have a secret of their own: whoever receives them cannot forge hand-overs.
    alert = (
        pick("alert_webhook_secret", settings.alert_webhook_secret)
        if settings.alert_webhook_url
        else ""
    )
    fulfillment = (
        pick("fulfillment_secret", settings.fulfillment_secret) if settings.fulfillment_url else ""
    )
    if stored != before:
        _write_dev_secrets(settings.data_dir, stored)
    return Secrets(
        twilio_auth_token=auth,
        admin_token=admin,
        audio_key=_audio_key(settings.audio_cache_path, stored.get("audio_key")),
        webhook_secret=webhook.encode(),
        generated=tuple(generated),
        fulfillment_secret=fulfillment.encode(),
        alert_secret=alert.encode(),
    )


def _admin_token() -> str:
    return secrets.token_urlsafe(24)


@contextlib.contextmanager
def _dev_secrets_lock(data_dir: Path) -> Iterator[None]:
    """Holds ``data_dir``'s lock file (an exclusive ``flock``; released when closed)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "dev-secrets.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _audio_key(folder: Path, earlier: str | None) -> bytes:
    """The key the reply audio in ``folder`` is named by, kept beside the files, so every
    instance sharing the folder names (and finds) a reply alike. Made once: a racing instance
    reads the winner's. A key earlier versions kept in dev-secrets.json is carried over."""
    path = folder / AUDIO_KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{AUDIO_KEY_FILE}.")
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(earlier or secrets.token_hex(32))
                with contextlib.suppress(FileExistsError):
                    os.link(temp, path)  # atomic: whole, and never over another's key
            finally:
                os.unlink(temp)
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read or create the reply audio key {path} ({exc}): make AUDIO_CACHE_DIR "
            "writable, or delete a damaged key file (the audio is made again)"
        ) from exc


def _read_dev_secrets(data_dir: Path) -> dict[str, str]:
    path = data_dir / DEV_SECRETS_FILE
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is unreadable ({exc}); delete it to create new tokens") from exc
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path} is not a JSON object; delete it to create new tokens")
    return {str(k): str(v) for k, v in loaded.items()}


def _write_dev_secrets(data_dir: Path, values: dict[str, str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEV_SECRETS_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(values, fh, indent=2)
    os.replace(tmp, path)
