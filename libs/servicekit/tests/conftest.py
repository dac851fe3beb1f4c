from collections.abc import AsyncIterator

import pytest
from sqlmodel import SQLModel
from tally_domain import Tally

from servicekit.db import Database
from servicekit.inbox import InboxMessage
from servicekit.outbox import OutboxLease, OutboxMessage


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A fresh database with the outbox, inbox and the test's Tally table."""
    db = Database(database_url)
    tables = [OutboxMessage.__table__, OutboxLease.__table__, InboxMessage.__table__, Tally.__table__]
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)
    yield db
    await db.dispose()
