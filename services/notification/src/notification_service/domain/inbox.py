"""The in-app inbox: a recipient reads, counts and marks their own notifications."""

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.models import Notification
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow
from servicekit.errors import NotFound
from servicekit.pagination import paginate


def recipient_of(principal: Principal) -> str:
    """The caller's inbox address from their token's claims: a member's, a unit's, or their body's
    staff or leaders'."""
    if principal.role == Role.member and principal.member_id:
        return f"member:{principal.member_id}"
    if principal.role == Role.unit_staff and principal.unit_id:
        return f"unit:{principal.unit_id}"
    # A body's staff share one inbox, its supervising leaders another (their daily digests).
    if principal.role == Role.staff and principal.body_id:
        return f"staff:{principal.body_id}"
    if principal.role == Role.leader and principal.body_id:
        return f"leader:{principal.body_id}"
    raise forbidden("this account has no inbox: notifications go to members, units, staff and leaders")


async def list_notifications(
    *, session: AsyncSession, recipient: str, unread_only: bool, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    query = select(Notification).where(Notification.recipient == recipient)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    return await paginate(
        session, query, keys=(col(Notification.seq),), types=(int,), cursor=cursor, limit=limit, descending=True
    )


async def unread_count(*, session: AsyncSession, recipient: str) -> int:
    query = select(func.count()).where(Notification.recipient == recipient, col(Notification.read_at).is_(None))
    return int((await session.exec(query)).one())


async def mark_read(*, session: AsyncSession, recipient: str, notification_id: str) -> Notification:
    row = (
        await session.exec(
            select(Notification).where(Notification.id == notification_id, Notification.recipient == recipient)
        )
    ).first()
    if row is None:
        # Someone else's notification is as absent as a missing one: ids are not disclosed.
        raise NotFound("notification", notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)
        await session.commit()
    return row


async def mark_all_read(*, session: AsyncSession, recipient: str) -> int:
    result = await session.exec(
        update(Notification)
        .where(col(Notification.recipient) == recipient, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    await session.commit()
    return int(result.rowcount)


async def since(*, session: AsyncSession, recipient: str, after_seq: int, limit: int = 100) -> list[Notification]:
    """Notifications after ``after_seq``, oldest first: what a live stream sends next."""
    query = (
        select(Notification)
        .where(Notification.recipient == recipient, col(Notification.seq) > after_seq)
        .order_by(col(Notification.seq))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def last_seq(*, session: AsyncSession, recipient: str) -> int:
    query = select(func.max(Notification.seq)).where(Notification.recipient == recipient)
    return int((await session.exec(query)).one() or 0)
