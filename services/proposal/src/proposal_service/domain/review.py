"""Review by the body's committee staff: register (with its number), decline, merge, mark key
items, change the category. Each decision locks the item, checks the role, writes the audit
entry and the event in one transaction."""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain import bodies
from proposal_service.domain.access import is_reviewer
from proposal_service.domain.items import (
    accepted_cosigners,
    load_visible,
    number_label,
    record,
    ref,
)
from proposal_service.domain.status import Action, check_transition
from proposal_service.events.schemas import (
    ProposalCategoryChanged,
    ProposalDeclined,
    ProposalKeyMarked,
    ProposalMerged,
    ProposalPresidiumDecided,
    ProposalRegistered,
)
from proposal_service.models import (
    Body,
    CategoryChange,
    Declination,
    KeyMarking,
    Member,
    Merger,
    NumberSequence,
    PresidiumDecision,
    PresidiumDecisionKind,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Registration,
)
from servicekit.auth import Principal, forbidden
from servicekit.db import utcnow
from servicekit.errors import Problem, conflict
from servicekit.outbox import Outbox


async def _reviewed(session: AsyncSession, principal: Principal, proposal_id: str) -> Proposal:
    item = await load_visible(session, principal, proposal_id, for_update=True)
    if not is_reviewer(principal, item.body_id):
        raise forbidden("review decisions are for the body's committee staff")
    return item


def _check(action: Action, item: Proposal) -> ProposalStatus:
    """check_transition with the facts the staff's refusals name: the item's id and 案号."""
    return check_transition(action, item.status, item=item.id, label=number_label(item.kind, item.number))


async def next_number(session: AsyncSession, *, session_id: str, kind: str) -> int:
    """The next 案号 of the session's series for ``kind``.

    The increment is an UPDATE of the series row, which holds the row's lock
    until the registration commits: concurrent registrations queue on it, and a
    rolled-back registration gives its number back, so numbers have no gaps.
    """
    bump = (
        update(NumberSequence)
        .where(col(NumberSequence.session_id) == session_id, col(NumberSequence.kind) == kind)
        .values(last_number=NumberSequence.last_number + 1)
        .returning(col(NumberSequence.last_number))
    )
    number: int | None = (await session.exec(bump)).scalar_one_or_none()
    if number is not None:
        return number
    try:  # the series' first number: create the row; a concurrent creator makes us bump theirs
        async with session.begin_nested():
            session.add(NumberSequence(session_id=session_id, kind=kind, last_number=1))
        return 1
    except IntegrityError:
        bumped: int = (await session.exec(bump)).scalar_one()
        return bumped


async def _name_contact(session: AsyncSession, item: Proposal, member_id: str) -> None:
    """Registration names the contact member of a group item that has none."""
    if item.kind != ProposalKind.group or item.lead_member_id:
        raise Problem(
            422,
            "contact_not_applicable",
            "Unprocessable Content",
            "only a group item without a lead proposer takes a contact member",
            errors=[{"in": "body", "field": "contact_member_id", "message": "the item has its lead proposer"}],
        )
    member = await session.get(Member, member_id)
    if member is None or member.body_id != item.body_id:
        raise Problem(
            422,
            "unknown_member",
            "Unprocessable Content",
            "the contact member is not a member of the item's body",
            errors=[{"in": "body", "field": "contact_member_id", "message": "no such member of the body"}],
        )
    item.lead_member_id = member.id


async def _must_have_a_rater(session: AsyncSession, item: Proposal) -> None:
    """The replies to a registered item are rated by its lead proposer and accepted cosigners
    (满意度测评). A group item filed by staff for a party or sector names the group's contact
    member as ``lead_member_id``; one that names nobody could never be rated, which is refused
    here rather than found at the year's end. A plenary recommendation (建议案) is rated by an
    assembly ballot (民主测评) and needs no contact member."""
    if item.kind == ProposalKind.plenary or item.lead_member_id:
        return
    if await accepted_cosigners(session, item):
        return
    detail = "集体提案须指定联系委员（lead_member_id），由其对答复进行满意度测评；请补充后再立案"
    raise Problem(
        422,
        "no_rater",
        "Nobody Can Rate",
        detail,
        errors=[{"in": "body", "field": "lead_member_id", "message": "the group's contact member is missing"}],
    )


async def register_proposal(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str, data: Registration
) -> Proposal:
    item = await _reviewed(session, principal, proposal_id)
    to_status = _check(Action.register, item)
    if data.contact_member_id is not None:
        await _name_contact(session, item, data.contact_member_id)
    await _must_have_a_rater(session, item)
    if data.category_id:
        await bodies.find_category(session=session, body_id=item.body_id, category_id=data.category_id)
        item.category_id = data.category_id
    await _register(session, outbox, principal, item, to_status=to_status, action="registered")
    await session.commit()
    return item


async def _register(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    item: Proposal,
    *,
    to_status: ProposalStatus,
    action: str,
    prefix: str = "",
) -> None:
    """Numbers the item in its kind's series, moves it to ``to_status`` (the checked transition's),
    writes the audit entry (``prefix`` before the number in its note) and proposal.registered; the
    caller commits."""
    now = utcnow()
    item.number = await next_number(session, session_id=item.session_id, kind=item.kind)
    item.registered_at = now
    label = number_label(item.kind, item.number) or ""
    record(
        session,
        item,
        principal=principal,
        action=action,
        to_status=to_status,
        note=f"{prefix}{label}",
        at=now,
    )
    category = (
        await bodies.find_category(session=session, body_id=item.body_id, category_id=item.category_id)
        if item.category_id
        else None
    )
    lead = await session.get(Member, item.lead_member_id) if item.lead_member_id else None
    body = await session.get_one(Body, item.body_id)
    sitting = await bodies.get_session(session=session, session_id=item.session_id)
    outbox.add(
        session,
        ProposalRegistered(
            **ref(item).model_dump(),
            number=item.number,
            number_label=label,
            title=item.title,
            content=item.content,
            category_id=item.category_id,
            category=category.name if category else None,
            lead_member_id=item.lead_member_id,
            lead_proposer=lead.name if lead else item.group_name,
            cosigner_member_ids=await accepted_cosigners(session, item),
            group_name=item.group_name,
            key=item.key,
            registered_at=now,
            body_name=body.name,
            session_name=sitting.name,
            body_kind=body.kind,
            session_term=sitting.term,
            session_meeting=sitting.meeting,
        ),
        subject=item.id,
    )


PRESIDIUM_DECISIONS = {
    PresidiumDecisionKind.on_agenda: "列入大会议程",
    PresidiumDecisionKind.to_committee: "交专门委员会审议",
    PresidiumDecisionKind.as_suggestion: "作为建议处理",
}


async def decide_motion(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str, data: PresidiumDecision
) -> Proposal:
    """The presidium's decision on a submitted motion (议案), recorded by the body's staff with its
    date: listed on the agenda or sent to a special committee, the motion is registered in the
    议 series; decided to be handled as a suggestion, it becomes a 建议 (kind suggestion, 建 series)
    and is assigned, replied and rated as one. Decided once: a second decision is a 409, and only a
    motion is decided (409 not_a_motion)."""
    item = await _reviewed(session, principal, proposal_id)
    if item.presidium_decision is not None:
        raise conflict(
            "already_decided",
            f"the presidium decided on this motion on {item.presidium_decided_on}: {item.presidium_decision}",
        )
    if item.kind != ProposalKind.motion:
        raise conflict("not_a_motion", f"only a motion (议案) is decided by the presidium, not a {item.kind} item")
    to_status = _check(Action.decide_motion, item)
    previous = item.kind
    if data.decision == PresidiumDecisionKind.as_suggestion:
        item.kind = ProposalKind.suggestion
    item.presidium_decision, item.presidium_decided_on = data.decision.value, data.decided_on
    outbox.add(
        session,
        ProposalPresidiumDecided(
            **ref(item).model_dump(),
            decision=data.decision.value,
            decided_on=data.decided_on,
            previous_kind=previous,
            note=data.note,
            decided_at=utcnow(),
        ),
        subject=item.id,
    )
    words = PRESIDIUM_DECISIONS[data.decision]
    await _register(
        session,
        outbox,
        principal,
        item,
        to_status=to_status,
        action="presidium_decided",
        prefix=f"主席团决定{words}（{data.decided_on}），",
    )
    await session.commit()
    return item


async def decline_proposal(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str, data: Declination
) -> Proposal:
    item = await _reviewed(session, principal, proposal_id)
    to_status = _check(Action.decline, item)
    item.decline_reason, item.decline_note, item.referral = data.reason, data.note, data.referral
    record(
        session,
        item,
        principal=principal,
        action="declined",
        to_status=to_status,
        note=f"{data.reason}: {data.note}",
    )
    outbox.add(
        session,
        ProposalDeclined(
            **ref(item).model_dump(),
            reason=data.reason,
            note=data.note,
            referral=data.referral,
            declined_at=item.updated_at,
        ),
        subject=item.id,
    )
    await session.commit()
    return item


def _merge_problem(code: str, detail: str) -> Problem:
    return Problem(
        422, code, "Invalid Merge", detail, errors=[{"in": "body", "field": "merged_ids", "message": detail}]
    )


async def merge_proposals(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, primary_id: str, data: Merger
) -> Proposal:
    """并案: the merged items point at the primary one and keep their own proposers, who are
    told the primary item's outcome (proposal.merged names them)."""
    primary = await _reviewed(session, principal, primary_id)
    _check(Action.merge_into, primary)
    merged_ids = list(dict.fromkeys(data.merged_ids))
    if primary.id in merged_ids:
        raise _merge_problem("merge_into_itself", "an item cannot be merged into itself")
    items = [await _reviewed(session, principal, merged_id) for merged_id in sorted(merged_ids)]
    to_status: dict[str, ProposalStatus] = {}
    for item in items:  # every item checked before any changes
        if item.session_id != primary.session_id:
            raise _merge_problem("different_sessions", f"item {item.id} belongs to another session")
        to_status[item.id] = _check(Action.merge, item)
    now = utcnow()
    for item in items:
        item.merged_into_id = primary.id
        record(
            session, item, principal=principal, action="merged", to_status=to_status[item.id], note=data.note, at=now
        )
        outbox.add(
            session,
            ProposalMerged(
                **ref(item).model_dump(),
                primary_id=primary.id,
                lead_member_id=item.lead_member_id,
                cosigner_member_ids=await accepted_cosigners(session, item),
                merged_at=now,
            ),
            subject=item.id,
        )
    record(session, primary, principal=principal, action="merged_in", note=f"并入 {len(items)} 件", at=now)
    await session.commit()
    return primary


async def mark_key(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str, data: KeyMarking
) -> Proposal:
    item = await _reviewed(session, principal, proposal_id)
    _check(Action.mark_key, item)
    if data.key and not data.supervising_leader:
        raise Problem(
            422,
            "leader_required",
            "Supervising Leader Required",
            "a key item needs its supervising leader",
            errors=[{"in": "body", "field": "supervising_leader", "message": "required when key is true"}],
        )
    item.key, item.supervising_leader = data.key, data.supervising_leader if data.key else None
    record(
        session,
        item,
        principal=principal,
        action="key_marked" if data.key else "key_unmarked",
        note=data.supervising_leader,
    )
    outbox.add(
        session,
        ProposalKeyMarked(**ref(item).model_dump(), key=item.key, supervising_leader=item.supervising_leader),
        subject=item.id,
    )
    await session.commit()
    return item


async def change_category(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str, data: CategoryChange
) -> Proposal:
    item = await _reviewed(session, principal, proposal_id)
    _check(Action.change_category, item)
    category = await bodies.find_category(session=session, body_id=item.body_id, category_id=data.category_id)
    item.category_id = category.id
    record(session, item, principal=principal, action="category_changed", note=category.name)
    outbox.add(
        session,
        ProposalCategoryChanged(**ref(item).model_dump(), category_id=category.id, category=category.name),
        subject=item.id,
    )
    await session.commit()
    return item
