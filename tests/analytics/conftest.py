"""Real databases for the analytics tests (SQLite in tmp_path, and PostgreSQL from
tests/pg.py) and the whole app served on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, make_settings
from tests.store.conftest import db_url, store  # noqa: F401  (the same real databases)
from voice.app import create_app
from voice.config import Settings
from voice.engines import Engines
from voice.simulator.local_server import serve_locally
from voice.store import Store


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
    seeding = Store(settings.database)
    try:
        async with serve_locally(app) as base, httpx.AsyncClient(base_url=base) as client:
            yield Served(base, client, seeding)
    finally:
        seeding.close()
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
