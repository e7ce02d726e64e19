"""The store's database connection: short transactions whose errors become ``StoreError``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from voice.errors import StoreError
from voice.store.db import make_engine
from voice.store.models import Base

SCHEMA_LOCK = 0x766F696365  # "voice": the advisory lock held while the schema is created


class StoreBase:
    """The database and its transactions; ``Store`` adds the writes and reads on top."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, operation: str) -> Iterator[Session]:
        """A session in a transaction; database errors become ``StoreError`` naming
        ``operation``. For queries kept in modules of their own (alerts, analytics)."""
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            cause = exc.orig if isinstance(exc, DBAPIError) else exc
            raise StoreError(f"{operation} failed: {type(cause).__name__}: {cause}") from exc

    def create_all(self) -> None:
        """Create missing tables, and missing indexes of existing tables (a database made
        by an earlier version gets the indexes added since); nothing else is altered.

        On PostgreSQL this is one transaction under an advisory lock: instances starting
        together on a fresh database create the schema one after the other (the later ones
        find it made) instead of colliding on the same CREATE TABLE."""
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
                Base.metadata.create_all(conn)
                for table in Base.metadata.sorted_tables:
                    for index in table.indexes:
                        index.create(conn, checkfirst=True)
        except SQLAlchemyError as exc:
            raise StoreError(f"create_all failed: {exc}") from exc

    def close(self) -> None:
        self.engine.dispose()
