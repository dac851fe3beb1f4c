"""Satisfaction evaluations (满意度测评): the proposers rate each replying unit on contact,
attitude and result. One evaluation per member, reply and round, changeable until the window
closes. An unsatisfied result asks for rehandling (evaluation.unsatisfied); the first and the
final round's ratings are both kept.

Who may rate: the lead proposer, the accepted cosigners when the body says so
(``cosigners_rate``), and the proposers of items merged into this one.
"""

from datetime import date
from zoneinfo import ZoneInfo

from cn_workdays import WorkCalendar
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.events.schemas import EvaluationCompleted, EvaluationSubmitted, EvaluationUnsatisfied
from evaluation_service.models import (
    Evaluation,
    EvaluationCreate,
    EvaluationPublic,
    EvaluationRules,
    EvaluationRulesPublic,
    EvaluationRulesUpdate,
    RatedItem,
    Rating,
    ReplyRecord,
)
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow
from servicekit.errors import NotFound, Problem, conflict
from servicekit.outbox import Outbox
from servicekit.preconditions import check_if_match, weak_etag

BODY_TIMEZONE = ZoneInfo("Asia/Shanghai")


async def rules_for(session: AsyncSession, body_id: str) -> EvaluationRules:
    return await session.get(EvaluationRules, body_id) or EvaluationRules(body_id=body_id)


def rules_etag(rules: EvaluationRules) -> str:
    return weak_etag(EvaluationRulesPublic.model_validate(rules))


async def set_rules(
    *,
    session: AsyncSession,
    principal: Principal,
    body_id: str,
    data: EvaluationRulesUpdate,
    if_match: str | None = None,
) -> EvaluationRules:
    """Replaces the body's rules; a stale ``if_match`` is a 412 and changes nothing, none skips the check."""
    if not (principal.role == Role.staff and principal.body_id == body_id):
        raise forbidden("evaluation rules are set by the body's committee staff")
    if data.unrated_policy not in ("left_unrated", "counted_satisfied"):
        raise Problem(
            422,
            "unknown_policy",
            "Unknown Policy",
            "unrated_policy is left_unrated or counted_satisfied",
            errors=[{"in": "body", "field": "unrated_policy", "message": "unknown policy"}],
        )
    row = await session.get(EvaluationRules, body_id, with_for_update=True) or EvaluationRules(body_id=body_id)
    check_if_match(if_match, rules_etag(row))
    for field, value in data.model_dump().items():
        setattr(row, field, value)
    session.add(row)
    await session.commit()
    return row


def entitled(item: RatedItem, rules: EvaluationRules) -> set[str]:
    members = {item.lead_member_id} if item.lead_member_id else set()
    if rules.cosigners_rate:
        members |= set(item.cosigner_member_ids)
    return members | set(item.merged_member_ids)


def window_closes_on(calendar: WorkCalendar, item: RatedItem, rules: EvaluationRules) -> date:
    assert item.replied_at is not None
    return calendar.add_working_days(item.replied_at.astimezone(BODY_TIMEZONE).date(), rules.window_days)


async def _visible_item(
    session: AsyncSession, principal: Principal, proposal_id: str
) -> tuple[RatedItem, EvaluationRules]:
    item = await session.get(RatedItem, proposal_id, with_for_update=True)
    rules = await rules_for(session, item.body_id) if item else None
    if item is None or rules is None:
        raise NotFound("proposal", proposal_id)
    staff = principal.is_staff_of(item.body_id)
    proposers = {item.lead_member_id, *item.cosigner_member_ids, *item.merged_member_ids}
    member = principal.member_id is not None and principal.member_id in proposers
    unit = principal.role == Role.unit_staff and bool(
        (
            await session.exec(
                select(ReplyRecord.reply_id).where(
                    ReplyRecord.proposal_id == proposal_id, ReplyRecord.unit_id == (principal.unit_id or "")
                )
            )
        ).first()
    )
    if not (staff or member or unit):
        raise NotFound("proposal", proposal_id)
    return item, rules


async def evaluate(
    *,
    session: AsyncSession,
    outbox: Outbox,
    calendar: WorkCalendar,
    principal: Principal,
    proposal_id: str,
    data: EvaluationCreate,
) -> tuple[Evaluation, bool]:
    """Rates one unit's reply in the open round; the evaluation and whether it is new."""
    item, rules = await _visible_item(session, principal, proposal_id)
    member_id = principal.member_id
    if principal.role != Role.member or member_id is None or member_id not in entitled(item, rules):
        raise forbidden("only the item's proposers may rate its replies")
    reply = (
        await session.exec(
            select(ReplyRecord).where(
                ReplyRecord.proposal_id == proposal_id,
                ReplyRecord.unit_id == data.unit_id,
                ReplyRecord.round == item.round,
            )
        )
    ).first()
    if data.reply_id is not None and (reply is None or reply.reply_id != data.reply_id):
        # The member saw a reply this service has not opened for rating yet (a rehandling reply
        # still on its way through Kafka), or an old one: rating the open round would misfile it.
        raise conflict("reply_not_current", "this reply is not open for rating (yet); try again shortly")
    if reply is None or item.replied_at is None:
        raise conflict("not_replied", "there is no reply of this unit to rate yet")
    today = utcnow().astimezone(BODY_TIMEZONE).date()
    closes = window_closes_on(calendar, item, rules)
    if today > closes:
        raise conflict("evaluation_closed", f"the evaluation window closed on {closes.isoformat()}")
    query = select(Evaluation).where(
        Evaluation.proposal_id == proposal_id,
        Evaluation.round == item.round,
        Evaluation.unit_id == data.unit_id,
        Evaluation.member_id == member_id,
    )
    evaluation = (await session.exec(query)).first()
    created = evaluation is None
    now = utcnow()
    evaluation = evaluation or Evaluation(
        proposal_id=proposal_id,
        body_id=item.body_id,
        round=item.round,
        unit_id=data.unit_id,
        member_id=member_id,
        contact=data.contact,
        attitude=data.attitude,
        result=data.result,
        submitted_at=now,
    )
    was_unsatisfied = not created and evaluation.result == Rating.unsatisfied
    evaluation.contact, evaluation.attitude, evaluation.result = data.contact, data.attitude, data.result
    evaluation.comment, evaluation.updated_at = data.comment, now
    session.add(evaluation)
    outbox.add(
        session,
        EvaluationSubmitted(
            evaluation_id=evaluation.id,
            proposal_id=proposal_id,
            body_id=item.body_id,
            round=item.round,
            unit_id=data.unit_id,
            member_id=member_id,
            contact=data.contact,
            attitude=data.attitude,
            result=data.result,
            submitted_at=now,
        ),
        subject=proposal_id,
    )
    if data.result == Rating.unsatisfied and not was_unsatisfied:
        outbox.add(
            session,
            EvaluationUnsatisfied(
                evaluation_id=evaluation.id,
                proposal_id=proposal_id,
                body_id=item.body_id,
                round=item.round,
                unit_id=data.unit_id,
                member_id=member_id,
                comment=data.comment,
                submitted_at=now,
            ),
            subject=proposal_id,
        )
    await session.flush()
    await _complete_if_all_satisfied(session, outbox, item, rules)
    await session.commit()
    return evaluation, created


async def _complete_if_all_satisfied(
    session: AsyncSession, outbox: Outbox, item: RatedItem, rules: EvaluationRules
) -> None:
    """Every entitled member has rated every reply of the round and none asks for rehandling:
    the evaluation is complete and the item closed."""
    replies = (
        await session.exec(
            select(ReplyRecord).where(ReplyRecord.proposal_id == item.proposal_id, ReplyRecord.round == item.round)
        )
    ).all()
    ratings = (
        await session.exec(
            select(Evaluation).where(Evaluation.proposal_id == item.proposal_id, Evaluation.round == item.round)
        )
    ).all()
    rated = {(e.unit_id, e.member_id) for e in ratings}
    wanted = {(r.unit_id, m) for r in replies for m in entitled(item, rules)}
    if item.completed or not wanted or not wanted <= rated or any(e.result == Rating.unsatisfied for e in ratings):
        return
    item.completed = True
    session.add(item)
    outbox.add(
        session,
        EvaluationCompleted(
            proposal_id=item.proposal_id, body_id=item.body_id, round=item.round, completed_at=utcnow()
        ),
        subject=item.proposal_id,
    )


async def list_evaluations(
    *, session: AsyncSession, calendar: WorkCalendar, principal: Principal, proposal_id: str
) -> list[EvaluationPublic]:
    """Staff see all; a unit the ratings of its own replies; a member their own."""
    item, rules = await _visible_item(session, principal, proposal_id)
    query = select(Evaluation).where(Evaluation.proposal_id == proposal_id)
    if not principal.is_staff_of(item.body_id):
        if principal.role == Role.unit_staff:
            query = query.where(Evaluation.unit_id == (principal.unit_id or ""))
        else:
            query = query.where(Evaluation.member_id == (principal.member_id or ""))
    rows = (await session.exec(query.order_by(col(Evaluation.round), col(Evaluation.submitted_at)))).all()
    names = dict(
        (
            await session.exec(
                select(ReplyRecord.unit_id, ReplyRecord.unit_name).where(ReplyRecord.proposal_id == proposal_id)
            )
        ).all()
    )
    closes = window_closes_on(calendar, item, rules) if item.replied_at else None
    return [
        EvaluationPublic.model_validate(e, update={"unit_name": names.get(e.unit_id, ""), "window_closes_on": closes})
        for e in rows
    ]
