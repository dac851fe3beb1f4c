"""Async database access for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned timezone-aware.

    SQLite has no time zone type, so values are normalised to naive UTC on
    the way in and tagged UTC on the way out; PostgreSQL gets timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    """One engine and session factory per service process."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        if not is_sqlite(url):
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        else:
            kwargs.update(connect_args={"timeout": 30})
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if is_sqlite(url):
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if is_sqlite(url) else None
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(read_only=True), class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for one unit of work; the caller commits, anything else rolls back.

        ``read_only`` sessions do not take SQLite's write lock up front, so readers
        never queue behind writers (WAL lets them read beside one). On SQLite, write
        sessions of one process take turns; never open one inside another.
        """
        if read_only:
            async with self._read_sessions() as session:
                yield session
        elif self._write_lock is not None:
            # SQLite has one writer at a time; queueing writers here, in order, beats
            # leaving them to SQLite's busy handler, which polls with sleeps of up to 100 ms.
            async with self._write_lock, self._sessions() as session:
                yield session
        else:
            async with self._sessions() as session:
                yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take over transaction control from the driver so _sqlite_begin decides
    # how each transaction starts (SQLAlchemy's documented aiosqlite recipe).
    dbapi_connection.isolation_level = None
    # WAL lets readers run beside the single writer; busy_timeout makes a second
    # writer (another replica or the relay) wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that later
    # upgrades to writing fails with "database is locked" instead of waiting.
    # Read-only sessions need no write lock at all.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")
