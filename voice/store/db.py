"""Database URLs and engines for SQLite (one instance) and PostgreSQL (several instances)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from voice.errors import ConfigError

_ACCEPTED = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "postgresql://user:password@host:5432/dbname (also postgres:// and postgresql+psycopg://)"
)
_PG_PREFIXES = ("postgresql+psycopg://", "postgresql://", "postgres://")

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another writer's lock before failing."""


def normalise_database_url(url: str) -> str:
    """Return the SQLAlchemy URL for ``url``, with PostgreSQL mapped to the psycopg 3 driver.

    Raises ConfigError for anything else, naming the accepted forms but never echoing the URL
    (it may hold a password).
    """
    url = url.strip()
    for prefix in _PG_PREFIXES:
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if not rest:
                break
            return "postgresql+psycopg://" + rest
    else:
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///") :]
            if path and path != ":memory:" and not path.startswith("?"):
                return url
            raise ConfigError(
                "DATABASE_URL: SQLite needs a file path (in-memory databases are not shared "
                f"between threads or instances). Accepted forms: {_ACCEPTED}"
            )
    scheme = url.split("://", 1)[0] if "://" in url else "(no scheme)"
    raise ConfigError(
        f"DATABASE_URL: unsupported database URL (scheme {scheme!r}). Accepted forms: {_ACCEPTED}"
    )


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for an accepted URL (see ``normalise_database_url``).

    SQLite: the parent directory is created; every connection gets WAL journaling, foreign keys
    and a busy timeout. PostgreSQL: connections are pinged before use (survives DB restarts).
    """
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def insert_ignoring_conflict(
    session: Session, entity: Any, values: dict[str, Any], conflict: list[str]
) -> Insert:
    """An INSERT that does nothing when ``conflict`` columns clash (both dialects support it)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(entity).values(values).on_conflict_do_nothing(index_elements=conflict)
    return sqlite_insert(entity).values(values).on_conflict_do_nothing(index_elements=conflict)
