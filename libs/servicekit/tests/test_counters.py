"""add_to_counters under concurrency: many units of work bumping one counter at once, each in its
own session and transaction (as two consumer replicas on two partitions do), lose no increment.
Reading the row and writing it back lost one in the replicas' fault test (47 counted of 48)."""

import asyncio

import pytest
from tally_domain import Tally

from servicekit.db import Database, add_to_counters

pytestmark = pytest.mark.integration

BUMPS = 40


async def bump(database: Database, name: str, by: int) -> None:
    async with database.session() as session:
        await add_to_counters(session, Tally.__table__, [{"name": name, "count": by}], keys=["name"], add=["count"])  # type: ignore[attr-defined]
        await asyncio.sleep(0.01)  # hold the transaction open while the others run
        await session.commit()


async def test_concurrent_increments_are_all_counted(database: Database) -> None:
    await asyncio.gather(*(bump(database, "filed", 1) for _ in range(BUMPS)), bump(database, "other", 5))
    async with database.session(read_only=True) as session:
        assert (await session.get(Tally, "filed")).count == BUMPS  # type: ignore[union-attr]
        assert (await session.get(Tally, "other")).count == 5  # type: ignore[union-attr]


async def test_a_batch_inserts_new_counters_and_adds_to_existing_ones(database: Database) -> None:
    await bump(database, "a", 2)
    async with database.session() as session:
        rows = [{"name": "a", "count": 3}, {"name": "b", "count": 1}]
        await add_to_counters(session, Tally.__table__, rows, keys=["name"], add=["count"])  # type: ignore[attr-defined]
        await session.commit()
    async with database.session(read_only=True) as session:
        assert [(await session.get(Tally, n)).count for n in ("a", "b")] == [5, 1]  # type: ignore[union-attr]
