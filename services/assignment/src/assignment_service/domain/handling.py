"""Handling: contacts with the proposer, co-handlers' opinions, progress notes, replies
(答复) with their outcome class, and rehandling (重新办理) after an unsatisfied evaluation."""

from datetime import date

from cn_workdays import WorkCalendar
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain import coverage
from assignment_service.domain.access import (
    hidden,
    is_body_staff,
    is_proposer,
    is_unit_of,
    require_reviewer,
    require_unit,
)
from assignment_service.domain.deadlines import current_calendar, local_date, reply_due
from assignment_service.domain.items import load_assignment, load_item, unit_names
from assignment_service.domain.rules import rules_for
from assignment_service.events.consumed import EvaluationSubmitted, EvaluationUnsatisfied
from assignment_service.events.schemas import (
    AssignmentReopened,
    AssignmentReplied,
    HandlingCompleted,
    OpinionSent,
    RehandlingOpened,
    ReplySentBack,
)
from assignment_service.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    Commitment,
    CommitmentPublic,
    HandlingRecord,
    HandlingRecordCreate,
    HandlingRecordKind,
    HandlingStatus,
    ProposalProjection,
    Reply,
    ReplyCreate,
    ReplyPublic,
    ReplySendBack,
    ReplyStatus,
    Role,
    SuggestionCoverage,
    UnitCommitment,
)
from servicekit.auth import Principal, forbidden
from servicekit.auth import Role as Role_
from servicekit.db import utcnow
from servicekit.errors import Problem, conflict, invalid
from servicekit.inbox import ReceivedEvent
from servicekit.outbox import Outbox
from servicekit.pagination import paginate

REPLYING_ROLES = (Role.lead, Role.separate)


async def add_record(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, assignment_id: str, data: HandlingRecordCreate
) -> HandlingRecord:
    assignment, _ = await load_assignment(session, principal, assignment_id)
    require_unit(principal, assignment)
    if assignment.status == AssignmentStatus.reassigned:
        raise conflict("assignment_closed", "the assignment was moved to another unit")
    if data.kind == HandlingRecordKind.contact and (data.contact_kind is None or data.occurred_on is None):
        missing = "contact_kind" if data.contact_kind is None else "occurred_on"
        raise invalid("contact_incomplete", missing, "a contact needs its kind and its date")
    if data.kind == HandlingRecordKind.opinion:
        if assignment.role != Role.co:
            raise invalid("not_a_co_handler", "kind", "opinions are sent by co-handlers (协办) to the lead unit")
        lead_replied = select(Assignment.id).where(
            Assignment.proposal_id == assignment.proposal_id,
            Assignment.role == Role.lead,
            Assignment.status == AssignmentStatus.replied,
        )
        if (await session.exec(lead_replied)).first():
            raise conflict("lead_replied", "the lead unit has already replied")
    record = HandlingRecord(
        assignment_id=assignment.id,
        proposal_id=assignment.proposal_id,
        round=assignment.round,
        kind=data.kind,
        text=data.text,
        contact_kind=data.contact_kind,
        occurred_on=data.occurred_on,
        created_by=principal.actor,
    )
    session.add(record)
    if data.kind == HandlingRecordKind.opinion:
        await session.flush()
        leads = select(Assignment.unit_id).where(
            Assignment.proposal_id == assignment.proposal_id,
            Assignment.role == Role.lead,
            col(Assignment.status).in_(list(OPEN_STATUSES)),
        )
        names = await unit_names(session, {assignment.unit_id})
        outbox.add(
            session,
            OpinionSent(
                record_id=record.id,
                assignment_id=assignment.id,
                proposal_id=assignment.proposal_id,
                body_id=assignment.body_id,
                unit_id=assignment.unit_id,
                unit_name=names.get(assignment.unit_id, ""),
                lead_unit_ids=list((await session.exec(leads)).all()),
                round=assignment.round,
                sent_at=record.created_at,
            ),
            subject=assignment.proposal_id,
        )
    await session.commit()
    return record


async def list_records(*, session: AsyncSession, principal: Principal, assignment_id: str) -> list[HandlingRecord]:
    """The assignment's records for its unit and the body's staff; the lead unit also reads
    the co-handlers' opinions (on the lead's own assignment)."""
    assignment, item = await load_assignment(session, principal, assignment_id)
    if not (is_unit_of(principal, assignment) or is_body_staff(principal, item.body_id)):
        raise Problem(
            404, "not_found", "Not Found", f"assignment {assignment_id} does not exist or is not visible to you"
        )
    query = select(HandlingRecord).where(HandlingRecord.assignment_id == assignment.id)
    if assignment.role == Role.lead:
        co_ids = select(Assignment.id).where(
            Assignment.proposal_id == assignment.proposal_id, Assignment.role == Role.co
        )
        opinions = select(HandlingRecord).where(
            col(HandlingRecord.assignment_id).in_(co_ids), HandlingRecord.kind == HandlingRecordKind.opinion
        )
        rows = [*(await session.exec(query)).all(), *(await session.exec(opinions)).all()]
    else:
        rows = list((await session.exec(query)).all())
    return sorted(rows, key=lambda r: (r.created_at, r.id))


async def reply(
    *,
    session: AsyncSession,
    outbox: Outbox,
    calendar: WorkCalendar,
    principal: Principal,
    assignment_id: str,
    data: ReplyCreate,
) -> Reply:
    assignment, item = await load_assignment(session, principal, assignment_id, for_update=True)
    require_unit(principal, assignment)
    if assignment.role == Role.co:
        raise invalid(
            "co_handler_cannot_reply", "assignment", "co-handlers send their opinion to the lead, who replies"
        )
    if assignment.status == AssignmentStatus.replied:
        raise conflict("already_replied", "the unit has already replied in this round")
    if assignment.status not in OPEN_STATUSES:
        raise conflict("assignment_closed", f"the assignment is {assignment.status}")
    rules = await rules_for(session, body_id=assignment.body_id, kind=item.kind)
    if data.outcome not in rules.outcome_classes:
        raise invalid("unknown_outcome", "outcome", f"the outcome must be one of {', '.join(rules.outcome_classes)}")
    if data.outcome == "B" and not data.commitments:
        raise invalid("commitments_required", "commitments", "a B reply (being solved) lists its commitments and dates")
    contacts = select(HandlingRecord.id).where(
        HandlingRecord.assignment_id == assignment.id, HandlingRecord.kind == HandlingRecordKind.contact
    )
    contacted = (await session.exec(contacts)).first() is not None
    if rules.contact_required and not contacted:
        raise conflict("contact_required", "this body requires a recorded contact with the proposer before the reply")
    now = utcnow()
    assert assignment.due_date is not None
    on_time = local_date(now) <= assignment.due_date
    answer = Reply(
        assignment_id=assignment.id,
        proposal_id=assignment.proposal_id,
        unit_id=assignment.unit_id,
        round=assignment.round,
        text=data.text,
        outcome=data.outcome,
        publishable=data.publishable,
        replied_at=now,
        created_by=principal.actor,
    )
    session.add(answer)
    await session.flush()
    session.add_all(Commitment(reply_id=answer.id, text=c.text, target_date=c.target_date) for c in data.commitments)
    assignment.status = AssignmentStatus.replied
    session.add(assignment)
    if assignment.role == Role.lead:
        co_handlers = select(Assignment).where(
            Assignment.proposal_id == assignment.proposal_id,
            Assignment.role == Role.co,
            col(Assignment.status).in_(list(OPEN_STATUSES)),
        )
        for co in (await session.exec(co_handlers)).all():
            co.status = AssignmentStatus.closed
            session.add(co)
    names = await unit_names(session, {assignment.unit_id})
    outbox.add(
        session,
        AssignmentReplied(
            reply_id=answer.id,
            assignment_id=assignment.id,
            proposal_id=assignment.proposal_id,
            body_id=assignment.body_id,
            unit_id=assignment.unit_id,
            unit_name=names.get(assignment.unit_id, ""),
            role=assignment.role,
            round=assignment.round,
            outcome=data.outcome,
            publishable=data.publishable,
            on_time=on_time,
            contacted=contacted,
            replied_at=now,
        ),
        subject=assignment.proposal_id,
    )
    await _complete_if_replied(session, outbox, item)
    await session.commit()
    return answer


async def _latest_replies(session: AsyncSession, proposal_id: str) -> dict[str, Reply]:
    """Each assignment's reply of its latest round: a rehandled reply replaces the first for the
    outcome; a reply sent back counts for nothing (the unit's next reply takes its place)."""
    rows = (await session.exec(select(Reply).where(Reply.proposal_id == proposal_id))).all()
    latest: dict[str, Reply] = {}
    for r in sorted(rows, key=lambda r: (r.round, r.replied_at)):
        if r.sent_back_at is None:
            latest[r.assignment_id] = r
    return latest


async def send_back(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, reply_id: str, data: ReplySendBack
) -> Reply:
    """退回答复 (ADR 28): the body's staff send a unit's current reply back before the proposer has
    rated it; the assignment opens again in the same round (same due date) and the item waits for
    the new reply."""
    answer = await session.get(Reply, reply_id)
    if answer is None:
        raise hidden("reply", reply_id)
    assignment, item = await load_assignment(session, principal, answer.assignment_id, for_update=True)
    require_reviewer(principal, assignment.body_id)
    # Locked after the assignment, as reply() does, so a concurrent send-back or rating is seen.
    await session.refresh(answer, with_for_update=True)
    if answer.sent_back_at is not None:
        raise conflict("already_sent_back", "the reply has already been sent back to the unit")
    if answer.rated_at is not None:
        raise conflict("already_rated", "the proposer has rated this reply; only an unsatisfied rating reopens it")
    if assignment.round != answer.round or assignment.status != AssignmentStatus.replied:
        raise conflict("reply_not_current", "only the unit's current reply can be sent back")
    asks = coverage.suggestions(item.content) if item.content else []
    count = len(asks) if len(asks) >= 2 else 0
    unanswered = sorted(set(data.unanswered))
    if any(not 1 <= n <= count for n in unanswered):
        raise invalid(
            "unknown_suggestion",
            "unanswered",
            f"the proposal has {count} numbered suggestions; name them by their numbers 1–{count}"
            if count
            else "the proposal has no numbered suggestions to name",
        )
    now = utcnow()
    answer.sent_back_at, answer.sent_back_by = now, principal.actor
    answer.sent_back_reason, answer.sent_back_unanswered = data.reason, unanswered
    session.add(answer)
    assignment.status = AssignmentStatus.acknowledged if assignment.acknowledged_at else AssignmentStatus.assigned
    session.add(assignment)
    if item.status == HandlingStatus.replied:
        item.status = HandlingStatus.assigned if item.round <= 1 else HandlingStatus.rehandling
        session.add(item)
    names = await unit_names(session, {assignment.unit_id})
    outbox.add(
        session,
        ReplySentBack(
            reply_id=answer.id,
            assignment_id=assignment.id,
            proposal_id=assignment.proposal_id,
            body_id=assignment.body_id,
            unit_id=assignment.unit_id,
            unit_name=names.get(assignment.unit_id, ""),
            round=answer.round,
            reason=data.reason,
            unanswered=unanswered,
            sent_back_at=now,
        ),
        subject=assignment.proposal_id,
    )
    await session.commit()
    return answer


async def record_rated(*, session: AsyncSession, event: EvaluationSubmitted) -> None:
    """evaluation.submitted: the unit's live reply of that round has been rated and can no longer
    be sent back. Runs in the consumer's transaction; a repeat changes nothing."""
    query = select(Reply).where(
        Reply.proposal_id == event.proposal_id,
        Reply.unit_id == event.unit_id,
        Reply.round == event.round,
        col(Reply.sent_back_at).is_(None),
        col(Reply.rated_at).is_(None),
    )
    now = utcnow()
    for answer in (await session.exec(query.with_for_update())).all():
        answer.rated_at = now
        session.add(answer)


async def _complete_if_replied(session: AsyncSession, outbox: Outbox, item: ProposalProjection) -> None:
    """The item is replied once every replying unit (the lead, or all separate units) has replied."""
    query = select(Assignment).where(
        Assignment.proposal_id == item.proposal_id, col(Assignment.role).in_(list(REPLYING_ROLES))
    )
    replying = list((await session.exec(query)).all())
    if any(a.status != AssignmentStatus.replied for a in replying):
        return
    latest = await _latest_replies(session, item.proposal_id)
    replies = [latest[a.id] for a in replying if a.id in latest]
    lead = next((latest[a.id] for a in replying if a.role == Role.lead and a.id in latest), None)
    # For separate units the item's outcome is the one furthest from solved (A solved … D for reference).
    outcome = lead.outcome if lead else max(r.outcome for r in replies)
    due = {a.id: a.due_date for a in replying}
    now = utcnow()
    item.status, item.outcome = HandlingStatus.replied, outcome
    session.add(item)
    names = await unit_names(session, {r.unit_id for r in replies})
    outbox.add(
        session,
        HandlingCompleted(
            proposal_id=item.proposal_id,
            body_id=item.body_id or "",
            round=item.round,
            outcome=outcome,
            completed_at=now,
            outcomes={r.unit_id: r.outcome for r in replies},
            unit_names=names,
            on_time=all(local_date(r.replied_at) <= (due[r.assignment_id] or local_date(now)) for r in replies),
        ),
        subject=item.proposal_id,
    )


async def open_rehandling(*, session: AsyncSession, event: ReceivedEvent[EvaluationUnsatisfied]) -> None:
    """evaluation.unsatisfied: the result reopens the rated unit's assignment in the next round,
    with the rehandling deadline. Several unsatisfied ratings of one round open that round once; a
    rating of a round already superseded changes nothing. Runs in the consumer's transaction,
    emitting what it causes through the received event (its id is their causation id)."""
    proposal_id, unit_id, rated_round = event.payload.proposal_id, event.payload.unit_id, event.payload.round
    calendar = current_calendar()
    item = await session.get(ProposalProjection, proposal_id, with_for_update=True)
    if item is None or item.status not in (HandlingStatus.replied, HandlingStatus.rehandling):
        return
    next_round = rated_round + 1
    if item.round > next_round or (item.round == rated_round and item.status != HandlingStatus.replied):
        return
    query = select(Assignment).where(
        Assignment.proposal_id == proposal_id,
        Assignment.unit_id == unit_id,
        col(Assignment.role).in_(list(REPLYING_ROLES)),
    )
    assignment = (await session.exec(query)).first()
    if assignment is None or assignment.round != rated_round or assignment.status != AssignmentStatus.replied:
        return
    rules = await rules_for(session, body_id=assignment.body_id, kind=item.kind)
    now = utcnow()
    today = local_date(now)
    due, steps = reply_due(
        calendar, today, months=rules.rehandling_months, reason=f"满意度测评不满意，{today.isoformat()} 重新办理"
    )
    assignment.round, assignment.status, assignment.due_date, assignment.due_rule = (
        next_round,
        AssignmentStatus.assigned,
        due,
        steps,
    )
    session.add(assignment)
    event.emit(
        session,
        AssignmentReopened(
            assignment_id=assignment.id,
            proposal_id=proposal_id,
            body_id=assignment.body_id,
            unit_id=unit_id,
            round=next_round,
            due_date=due,
            reopened_at=now,
        ),
        subject=proposal_id,
    )
    if item.round < next_round:
        item.round, item.status = next_round, HandlingStatus.rehandling
        session.add(item)
        event.emit(
            session,
            RehandlingOpened(
                proposal_id=proposal_id, body_id=item.body_id or "", round=next_round, due_date=due, opened_at=now
            ),
            subject=proposal_id,
        )


async def list_replies(*, session: AsyncSession, principal: Principal, proposal_id: str) -> list[ReplyPublic]:
    """Replies of every round, the current ones marked; a member sees the publishable ones of
    their own items, a unit its own."""
    item, assignments = await load_item(session, principal, proposal_id)
    rows = (await session.exec(select(Reply).where(Reply.proposal_id == proposal_id))).all()
    if not is_body_staff(principal, item.body_id):
        own = {a.id for a in assignments if is_unit_of(principal, a)}
        member = is_proposer(principal, item)
        # A reply sent back was never the unit's answer to the member: the member does not see it.
        rows = [r for r in rows if r.assignment_id in own or (member and r.publishable and r.sent_back_at is None)]
    latest = await _latest_replies(session, proposal_id)
    names = await unit_names(session, {r.unit_id for r in rows})
    # Reply coverage is a hint for those who can act on it: the body's staff and the replying unit;
    # and only for a numbered list (one unnumbered ask against a reply says little, ADR 27).
    asks = coverage.suggestions(item.content) if item.content else []
    asks = asks if len(asks) >= 2 else []
    shows_coverage = is_body_staff(principal, item.body_id) or principal.role == Role_.unit_staff
    commitments = (
        await session.exec(select(Commitment).where(col(Commitment.reply_id).in_([r.id for r in rows])))
    ).all()
    return [
        ReplyPublic.model_validate(
            r,
            update={
                "unit_name": names.get(r.unit_id, ""),
                "current": (current := latest.get(r.assignment_id)) is not None and current.id == r.id,
                "status": ReplyStatus.sent_back if r.sent_back_at else ReplyStatus.submitted,
                "commitments": [CommitmentPublic.model_validate(c) for c in commitments if c.reply_id == r.id],
                "coverage": [SuggestionCoverage(**vars(c)) for c in coverage.coverage(asks, r.text)]
                if shows_coverage and asks
                else [],
            },
        )
        for r in sorted(rows, key=lambda r: (r.round, r.replied_at))
    ]


async def fulfil_commitment(*, session: AsyncSession, principal: Principal, commitment_id: str) -> Commitment:
    commitment = await session.get(Commitment, commitment_id, with_for_update=True)
    if commitment is None:
        raise Problem(404, "not_found", "Not Found", f"commitment {commitment_id} does not exist")
    answer = await session.get_one(Reply, commitment.reply_id)
    assignment, _ = await load_assignment(session, principal, answer.assignment_id)
    require_unit(principal, assignment)
    if commitment.done_on is not None:
        raise conflict("already_done", "the commitment is already marked done")
    commitment.done_on = local_date(utcnow())
    session.add(commitment)
    await session.commit()
    return commitment


async def list_commitments(
    *,
    session: AsyncSession,
    principal: Principal,
    unit_id: str | None,
    done: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[UnitCommitment], str | None]:
    """What the replies promised (B class), by target date: a unit its own, the body's staff and
    leaders the body's (or one unit's)."""
    # A sent-back reply's promises went back with it (the unit's next reply states its own).
    query = (
        select(Commitment)
        .join(Reply, col(Reply.id) == col(Commitment.reply_id))
        .where(col(Reply.sent_back_at).is_(None))
    )
    if principal.role == Role_.unit_staff and principal.unit_id:
        query = query.where(Reply.unit_id == principal.unit_id)
    elif principal.role in (Role_.staff, Role_.leader) and principal.body_id:
        body_assignments = select(Assignment.id).where(Assignment.body_id == principal.body_id)
        query = query.where(col(Reply.assignment_id).in_(body_assignments))
        if unit_id:
            query = query.where(Reply.unit_id == unit_id)
    else:
        raise forbidden("commitment lists are for units and the body's staff and leaders")
    if done is not None:
        query = query.where(col(Commitment.done_on).is_not(None) if done else col(Commitment.done_on).is_(None))
    rows, next_cursor = await paginate(
        session,
        query,
        keys=(col(Commitment.target_date), col(Commitment.id)),
        types=(date, str),
        cursor=cursor,
        limit=limit,
    )
    replies = {
        r.id: r for r in (await session.exec(select(Reply).where(col(Reply.id).in_({c.reply_id for c in rows})))).all()
    }
    items = {
        p.proposal_id: p
        for p in (
            await session.exec(
                select(ProposalProjection).where(
                    col(ProposalProjection.proposal_id).in_({r.proposal_id for r in replies.values()})
                )
            )
        ).all()
    }
    names = await unit_names(session, {r.unit_id for r in replies.values()})
    today = local_date(utcnow())
    views = []
    for c in rows:
        answer = replies[c.reply_id]
        item = items.get(answer.proposal_id)
        views.append(
            UnitCommitment.model_validate(
                c,
                update={
                    "reply_id": answer.id,
                    "assignment_id": answer.assignment_id,
                    "proposal_id": answer.proposal_id,
                    "unit_id": answer.unit_id,
                    "unit_name": names.get(answer.unit_id, ""),
                    "outcome": answer.outcome,
                    "replied_at": answer.replied_at,
                    "title": item.title if item else "",
                    "number_label": item.number_label if item else None,
                    "overdue": c.done_on is None and c.target_date < today,
                },
            )
        )
    return views, next_cursor
