"""Instances starting together on one fresh PostgreSQL database each create the schema: one
of them used to die at start-up (``duplicate key value violates unique constraint
"pg_type_typname_nsp_index"``: two CREATE TABLE calls at once)."""

from __future__ import annotations

import threading

from sqlalchemy import inspect

from tests.pg import reset_schema
from voice.store import Store
from voice.store.models import Base

INSTANCES = 4
ROUNDS = 5


def _start(store: Store, barrier: threading.Barrier, failures: list[BaseException]) -> None:
    barrier.wait()
    try:
        store.create_all()
    except Exception as exc:  # what the app's start-up would die of
        failures.append(exc)


def test_instances_creating_the_schema_at_once_all_start(pg_url: str) -> None:
    for _ in range(ROUNDS):
        reset_schema(pg_url)
        stores = [Store(pg_url) for _ in range(INSTANCES)]
        barrier = threading.Barrier(INSTANCES)
        failures: list[BaseException] = []
        threads = [
            threading.Thread(target=_start, args=(store, barrier, failures)) for store in stores
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        try:
            assert not failures, failures[0]
            tables = set(inspect(stores[0].engine).get_table_names())
            assert set(Base.metadata.tables) <= tables
        finally:
            for store in stores:
                store.close()
