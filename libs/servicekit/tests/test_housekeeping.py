from datetime import timedelta

from sqlmodel import select
from tally_domain import TallyBumped, registry

from servicekit.db import Database, utcnow
from servicekit.housekeeping import purge_processed_messages
from servicekit.inbox import InboxMessage
from servicekit.outbox import Outbox, OutboxMessage


async def test_only_old_published_outbox_rows_and_old_inbox_ids_are_purged(database: Database) -> None:
    outbox = Outbox(registry, "t")
    now = utcnow()
    async with database.session() as session:
        old_published = outbox.add(session, TallyBumped(name="a", seq=1), subject="a")
        recent_published = outbox.add(session, TallyBumped(name="a", seq=2), subject="a")
        old_unpublished = outbox.add(session, TallyBumped(name="a", seq=3), subject="a")
        session.add(InboxMessage(event_id="old", event_type="x", source="s", processed_at=now - timedelta(days=20)))
        session.add(InboxMessage(event_id="new", event_type="x", source="s", processed_at=now - timedelta(days=1)))
        await session.commit()
        for row in (await session.exec(select(OutboxMessage))).all():
            row.created_at = now - timedelta(days=30)
            if row.event_id == old_published.id:
                row.published_at = now - timedelta(days=8)
            elif row.event_id == recent_published.id:
                row.published_at = now - timedelta(days=6)
            session.add(row)
        await session.commit()

    purged = await purge_processed_messages(
        database=database, outbox_retention=timedelta(days=7), inbox_retention=timedelta(days=14)
    )

    assert purged == 2
    async with database.session() as session:
        left = {row.event_id for row in (await session.exec(select(OutboxMessage))).all()}
        inbox = {row.event_id for row in (await session.exec(select(InboxMessage))).all()}
    assert left == {recent_published.id, old_unpublished.id}
    assert inbox == {"new"}
