"""Deletes outbox and inbox rows that have done their job.

Published outbox rows are kept for a while for diagnosis; inbox ids are
kept longer than Kafka keeps messages (7 days by default), so that any
redelivery is still recognised as a duplicate. Deleting is idempotent, so
every replica may run it.
"""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from servicekit.db import Database, utcnow
from servicekit.inbox import InboxMessage
from servicekit.outbox import OutboxMessage

log = logging.getLogger(__name__)


async def purge_processed_messages(
    *, database: Database, outbox_retention: timedelta, inbox_retention: timedelta
) -> int:
    now = utcnow()
    async with database.session() as session:
        outbox = await session.exec(
            delete(OutboxMessage).where(col(OutboxMessage.published_at) < now - outbox_retention)
        )
        inbox = await session.exec(delete(InboxMessage).where(col(InboxMessage.processed_at) < now - inbox_retention))
        await session.commit()
    return int(outbox.rowcount or 0) + int(inbox.rowcount or 0)


async def run_housekeeping(
    *, database: Database, outbox_retention: timedelta, inbox_retention: timedelta, interval_s: float
) -> None:
    while True:
        try:
            purged = await purge_processed_messages(
                database=database, outbox_retention=outbox_retention, inbox_retention=inbox_retention
            )
            if purged:
                log.info("purged %d processed outbox/inbox rows", purged)
        except Exception as exc:  # noqa: BLE001 - retried next round
            log.warning("housekeeping failed: %s", exc)
        await asyncio.sleep(interval_s)
