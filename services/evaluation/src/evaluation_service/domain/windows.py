"""The evaluation window as a rater sees it before rating: the last day a rating of the open round
is taken and the working days left until then, on the operator's working-day calendar (the same
``ratings.window_closes_on`` that refuses a late rating, so the app never shows a day the service
would not keep)."""

from datetime import date

from cn_workdays import WorkCalendar
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain.ratings import BODY_TIMEZONE, entitled, rules_for, window_closes_on
from evaluation_service.models import Evaluation, RatedItem, RatingWindow, RatingWindowReply, ReplyRecord
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow
from servicekit.errors import NotFound


def working_days_left(calendar: WorkCalendar, today: date, closes: date) -> int:
    """Working days in (today, closes]: 0 on the last day, negative once it has passed."""
    if closes >= today:
        return calendar.working_days_between(today, closes)
    return -calendar.working_days_between(closes, today)


async def _sees_item(session: AsyncSession, principal: Principal, item: RatedItem) -> bool:
    """Whether the caller may read the item's ratings at all (as ``ratings.list_evaluations`` lets them)."""
    if principal.is_staff_of(item.body_id):
        return True
    proposers = {item.lead_member_id, *item.cosigner_member_ids, *item.merged_member_ids}
    if principal.member_id is not None and principal.member_id in proposers:
        return True
    if principal.role != Role.unit_staff:
        return False
    query = select(ReplyRecord.reply_id).where(
        ReplyRecord.proposal_id == item.proposal_id, ReplyRecord.unit_id == (principal.unit_id or "")
    )
    return (await session.exec(query)).first() is not None


async def rating_window(
    *, session: AsyncSession, calendar: WorkCalendar, principal: Principal, proposal_id: str
) -> RatingWindow:
    """For the item's entitled raters only (the lead proposer, the accepted cosigners when the body
    says so, the proposers of merged items). Anyone else who may see the item's ratings (its staff,
    its other proposers, a unit that replied) is refused (403); whoever may not is told it does not
    exist (404), as for the ratings themselves."""
    item = await session.get(RatedItem, proposal_id)
    if item is None:
        raise NotFound("proposal", proposal_id)
    rules = await rules_for(session, item.body_id)
    member_id = principal.member_id if principal.role == Role.member else None
    if member_id is None or member_id not in entitled(item, rules):
        if await _sees_item(session, principal, item):
            raise forbidden("only the item's raters see their evaluation window")
        raise NotFound("proposal", proposal_id)
    if item.replied_at is None or item.round < 1:
        return RatingWindow(
            proposal_id=proposal_id,
            round=item.round,
            window_days=rules.window_days,
            opened_on=None,
            window_closes_on=None,
            working_days_left=None,
            open=False,
            replies=[],
        )
    replies = (
        await session.exec(
            select(ReplyRecord)
            .where(ReplyRecord.proposal_id == proposal_id, ReplyRecord.round == item.round)
            .order_by(col(ReplyRecord.replied_at), col(ReplyRecord.unit_id))
        )
    ).all()
    rated = set(
        (
            await session.exec(
                select(Evaluation.unit_id).where(
                    Evaluation.proposal_id == proposal_id,
                    Evaluation.round == item.round,
                    Evaluation.member_id == member_id,
                )
            )
        ).all()
    )
    today = utcnow().astimezone(BODY_TIMEZONE).date()
    closes = window_closes_on(calendar, item, rules)
    return RatingWindow(
        proposal_id=proposal_id,
        round=item.round,
        window_days=rules.window_days,
        opened_on=item.replied_at.astimezone(BODY_TIMEZONE).date(),
        window_closes_on=closes,
        working_days_left=working_days_left(calendar, today, closes),
        open=today <= closes,
        replies=[
            RatingWindowReply(
                reply_id=r.reply_id,
                unit_id=r.unit_id,
                unit_name=r.unit_name,
                replied_at=r.replied_at,
                rated=r.unit_id in rated,
            )
            for r in replies
        ],
    )
