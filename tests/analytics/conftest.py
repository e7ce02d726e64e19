"""Real databases for the analytics tests: SQLite in tmp_path, and PostgreSQL (tests/pg.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import reset_schema
from voice.store import Store
from voice.store.alerts import ensure_alerts_table
from voice.store.analytics import ensure_indexes


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/data/voice.db"
    url: str = request.getfixturevalue("pg_url")
    reset_schema(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    store.create_all()
    ensure_alerts_table(store)
    ensure_indexes(store)
    yield store
    store.close()
