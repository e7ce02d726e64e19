"""Real databases for the analytics tests (SQLite in tmp_path, and PostgreSQL from
tests/pg.py) and the whole app served on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, make_settings
from tests.pg import reset_schema
from voice.app import create_app
from voice.config import Settings
from voice.engines import Engines
from voice.simulator.local_server import serve_locally
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


@dataclass
class Served:
    """The app on a loopback port, a client for it, and the store behind it (for seeding)."""

    base: str
    client: httpx.AsyncClient
    store: Store

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@asynccontextmanager
async def serve(settings: Settings, engines: Engines) -> AsyncIterator[Served]:
    fetch = httpx.AsyncClient()
    app = create_app(settings, engines=engines, http_client=fetch)
    store = Store(settings.database)
    try:
        async with serve_locally(app) as base, httpx.AsyncClient(base_url=base) as client:
            yield Served(base, client, store)
    finally:
        store.close()
        await fetch.aclose()


@pytest.fixture
async def served(tmp_path: Path, shared_data: Path, engines: Engines) -> AsyncIterator[Served]:
    """SQLite, no background spike check (tests call the check themselves)."""
    settings = make_settings(
        shared_data,
        database_url=f"sqlite:///{tmp_path / 'voice.db'}",
        alert_check_interval_s=0,
    )
    async with serve(settings, engines) as running:
        yield running
