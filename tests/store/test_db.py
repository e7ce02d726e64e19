from pathlib import Path

import pytest
from sqlalchemy import text

from voice.errors import ConfigError
from voice.store import make_engine, normalise_database_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/voice.db", "sqlite:///data/voice.db"),
        ("sqlite:////var/lib/voice/voice.db", "sqlite:////var/lib/voice/voice.db"),
        ("postgresql://u:p@db:5432/voice", "postgresql+psycopg://u:p@db:5432/voice"),
        ("postgres://u:p@db/voice", "postgresql+psycopg://u:p@db/voice"),
        ("postgresql+psycopg://u@db/voice", "postgresql+psycopg://u@db/voice"),
        ("  postgres://db/voice\n", "postgresql+psycopg://db/voice"),
    ],
)
def test_accepted_urls_are_normalised(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:hunter2@db/voice",
        "postgresql+psycopg2://u:hunter2@db/voice",
        "sqlite://",
        "sqlite:///:memory:",
        "voice.db",
        "",
        "postgres://",
    ],
)
def test_other_urls_are_refused_with_the_accepted_forms(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        normalise_database_url(url)
    message = str(info.value)
    assert "DATABASE_URL" in message
    assert "sqlite:///" in message
    assert "postgresql://" in message
    assert "hunter2" not in message


def test_sqlite_engine_creates_directory_and_sets_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/nested/dir/voice.db")
    try:
        assert (tmp_path / "nested" / "dir").is_dir()
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    finally:
        engine.dispose()


def test_postgres_engine_pings_and_uses_psycopg() -> None:
    engine = make_engine("postgres://u:p@localhost/voice")
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.pool._pre_ping
    finally:
        engine.dispose()
