"""Real databases for the store tests: SQLite in tmp_path, and PostgreSQL (tests/pg.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import reset_schema
from voice.store import AsyncStore, Store


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/data/voice.db"
    url: str = request.getfixturevalue("pg_url")
    reset_schema(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    store.create_all()
    yield store
    store.close()


@pytest.fixture
def astore(store: Store) -> AsyncStore:
    return AsyncStore(store)
