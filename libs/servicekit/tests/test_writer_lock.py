"""SQLite's writer lock is held for a write session's transaction only, not for its whole life."""

import asyncio
from pathlib import Path

from sqlmodel import select
from tally_domain import Tally

from servicekit.db import Database


async def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: Tally.metadata.create_all(c, tables=[Tally.__table__]))  # type: ignore[attr-defined]
    return db


async def test_the_lock_is_taken_at_the_first_statement_and_given_back_at_commit(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    lock = db._write_lock
    assert lock is not None
    try:
        async with db.session() as session:
            assert not lock.locked()  # opening a session (e.g. before the token is checked) takes nothing
            session.add(Tally(name="a", count=1))
            assert not lock.locked()
            await session.commit()  # the flush inside commit takes it, the end of the transaction frees it
            assert not lock.locked()
            assert (await session.exec(select(Tally))).one().count == 1
            assert lock.locked()  # a new transaction: reads of a write session take turns too
            await session.rollback()
            assert not lock.locked()
        async with db.session() as session:
            await session.exec(select(Tally))
            assert lock.locked()
        assert not lock.locked()  # closing the session ends its transaction
    finally:
        await db.dispose()


async def test_write_transactions_of_one_process_take_turns(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    order: list[str] = []
    try:
        async with db.session() as first:
            row = (await first.exec(select(Tally).where(Tally.name == "x"))).first() or Tally(name="x")

            async def second() -> None:
                async with db.session() as other:
                    order.append("second waits")
                    found = (await other.exec(select(Tally).where(Tally.name == "x"))).one()
                    order.append(f"second sees {found.count}")
                    found.count += 1
                    other.add(found)
                    await other.commit()

            task = asyncio.create_task(second())
            await asyncio.sleep(0.05)
            assert order == ["second waits"]  # blocked behind the open transaction
            row.count = 5
            first.add(row)
            await first.commit()
            await task
        assert order == ["second waits", "second sees 5"]
        async with db.session(read_only=True) as session:
            assert (await session.exec(select(Tally))).one().count == 6
    finally:
        await db.dispose()
