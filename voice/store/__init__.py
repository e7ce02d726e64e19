"""Persistence for calls, turns, transfers, voicemails and webhook replies.

``Store`` is synchronous (SQLAlchemy 2.0); async code uses ``AsyncStore``, which runs the same
methods in worker threads. SQLite serves a single instance; PostgreSQL serves several.
"""

from voice.store.aio import AsyncStore
from voice.store.db import make_engine, normalise_database_url
from voice.store.models import TERMINAL_STATUSES, TransferRecord
from voice.store.repo import Store

__all__ = [
    "TERMINAL_STATUSES",
    "AsyncStore",
    "Store",
    "TransferRecord",
    "make_engine",
    "normalise_database_url",
]
