"""Async database access for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
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


class _LockedWriteSession(AsyncSession):
    """A write session on SQLite that takes the process's writer lock at its first statement
    (or flush) and gives it back when the transaction ends, not for the session's whole life.

    A request resolves its session before it verifies the token, validates, tokenises and
    renders the answer: holding the lock through all of that serialised the process on
    work that needs no database. A session still takes turns with the others for every
    statement of a transaction, which begins with BEGIN IMMEDIATE (see _sqlite_begin).
    """

    writer_lock: asyncio.Lock
    _holds_lock = False

    async def _take_lock(self) -> None:
        if not self._holds_lock:
            await self.writer_lock.acquire()
            self._holds_lock = True

    def _give_lock(self) -> None:
        if self._holds_lock:
            self._holds_lock = False
            self.writer_lock.release()


def _statement_method(name: str) -> Any:
    base = getattr(AsyncSession, name)

    async def method(self: _LockedWriteSession, *args: Any, **kwargs: Any) -> Any:
        await self._take_lock()
        return await base(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = base.__doc__
    return method


def _ending_method(name: str, *, flushes: bool = False) -> Any:
    base = getattr(AsyncSession, name)

    async def method(self: _LockedWriteSession, *args: Any, **kwargs: Any) -> Any:
        if flushes and (self.new or self.dirty or self.deleted):
            await self._take_lock()  # commit flushes what was added without any statement yet
        try:
            return await base(self, *args, **kwargs)
        finally:
            self._give_lock()

    method.__name__ = name
    method.__doc__ = base.__doc__
    return method


# Everything that may send a statement takes the lock; everything that ends the transaction frees it.
for _name in (
    "exec", "execute", "scalar", "scalars", "get", "get_one", "flush", "refresh", "merge", "delete",
    "stream", "stream_scalars", "connection", "run_sync",
):  # fmt: skip
    setattr(_LockedWriteSession, _name, _statement_method(_name))
for _name in ("rollback", "close", "aclose", "reset", "invalidate"):
    setattr(_LockedWriteSession, _name, _ending_method(_name))
_LockedWriteSession.commit = _ending_method("commit", flushes=True)  # type: ignore[method-assign]


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
        self._write_lock = asyncio.Lock() if is_sqlite(url) else None
        session_class: type[AsyncSession] = AsyncSession
        if self._write_lock is not None:
            # one subclass per database, so each session finds its process's lock
            session_class = type("WriteSession", (_LockedWriteSession,), {"writer_lock": self._write_lock})
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, class_=session_class, expire_on_commit=False
        )
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(read_only=True), class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for one unit of work; the caller commits, anything else rolls back.

        ``read_only`` sessions do not take SQLite's write lock, so readers never queue
        behind writers (WAL lets them read beside one). On SQLite, the transactions of one
        process's write sessions take turns: a session holds the process's writer lock from
        its transaction's first statement to its end (commit or rollback), so never run a
        statement in one session while another has a transaction open in the same task.
        """
        # SQLite has one writer at a time; queueing writers on an asyncio lock, in order, beats
        # leaving them to SQLite's busy handler, which polls with sleeps of up to 100 ms.
        async with (self._read_sessions if read_only else self._sessions)() as session:
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


async def add_to_counters(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, keys: list[str], add: list[str]
) -> None:
    """Inserts ``rows``, or adds their ``add`` columns to the row with the same ``keys``: one
    INSERT ... ON CONFLICT DO UPDATE, atomic in the database, so two consumers counting at once
    (replicas on different partitions) never lose an increment as reading then writing the row
    would. Rows go in batches well under either driver's parameter limit."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(rows), _COUNTER_BATCH):
        statement = insert(table).values(rows[start : start + _COUNTER_BATCH])
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={c: table.c[c] + statement.excluded[c] for c in add}
        )
        await session.exec(statement)


_COUNTER_BATCH = 2_000
