"""The store's database connection: short transactions whose errors become ``StoreError``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from voice.errors import StoreError
from voice.store.db import make_engine
from voice.store.models import Base


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
        by an earlier version gets the indexes added since); nothing else is altered."""
        try:
            Base.metadata.create_all(self.engine)
            for table in Base.metadata.sorted_tables:
                for index in table.indexes:
                    index.create(self.engine, checkfirst=True)
        except SQLAlchemyError as exc:
            raise StoreError(f"create_all failed: {exc}") from exc

    def close(self) -> None:
        self.engine.dispose()
