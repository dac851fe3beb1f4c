"""Filing: a member drafts, edits, invites cosigners and submits; cosigners answer; the
proposer may withdraw until registration."""

import asyncio
from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain import bodies
from proposal_service.domain.access import is_proposer
from proposal_service.domain.items import (
    COSIGNED_KINDS,
    KINDS_OF_BODY,
    NEEDS_COSIGNERS,
    ORGANISATION_KINDS,
    accepted_cosigners,
    check_version,
    load_visible,
    record,
    ref,
    reindex,
    remember_name,
)
from proposal_service.domain.search import analyse
from proposal_service.domain.status import Action, check_transition
from proposal_service.events.schemas import (
    ProposalCosignAnswered,
    ProposalCosignInvited,
    ProposalSubmitted,
    ProposalWithdrawn,
)
from proposal_service.models import (
    Body,
    Cosignature,
    CosignInvite,
    CosignStatus,
    Member,
    Proposal,
    ProposalCreate,
    ProposalStatus,
    ProposalUpdate,
    Withdrawal,
)
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow
from servicekit.errors import Problem, conflict, invalid
from servicekit.outbox import Outbox


async def _member_of(session: AsyncSession, body_id: str, member_id: str, field: str) -> Member:
    member = await session.get(Member, member_id)
    if member is None or member.body_id != body_id:
        raise invalid("unknown_member", field, f"member {member_id} is not a member of this body")
    return member


async def draft_proposal(*, session: AsyncSession, principal: Principal, data: ProposalCreate) -> Proposal:
    # Tokenising is the costly part of a draft: done before the first statement, so the
    # transaction (and SQLite's writer lock) does not wait on it.
    terms = await asyncio.to_thread(analyse, data.title, data.content)
    sitting = await bodies.get_session(session=session, session_id=data.session_id)
    body = await session.get_one(Body, sitting.body_id)
    if data.kind not in KINDS_OF_BODY[body.kind]:
        raise invalid("kind_not_filed_here", "kind", f"a {body.kind} body does not take {data.kind} items")
    lead_member_id = data.lead_member_id
    if principal.role == Role.member and principal.body_id == body.id and principal.member_id:
        if data.kind == "plenary":
            raise forbidden("plenary recommendations are filed by the body's staff")
        if lead_member_id not in (None, principal.member_id):
            raise invalid("not_your_item", "lead_member_id", "a member files items as their own lead proposer")
        lead_member_id = principal.member_id
    elif principal.role == Role.staff and principal.body_id == body.id:
        if data.kind not in ORGANISATION_KINDS:
            raise forbidden("staff file only group items and plenary recommendations; members file their own")
    else:
        raise forbidden("only the body's members (and its staff, for organisations) may file items")
    if data.kind in ORGANISATION_KINDS and not data.group_name:
        raise invalid("group_name_required", "group_name", "name the party, organisation or committee filing")
    if lead_member_id:
        lead = await _member_of(session, body.id, lead_member_id, "lead_member_id")
        remember_name(session, lead.id, lead.name)  # the answer's view needs no query for it
    if data.category_id:
        category = await bodies.find_category(session=session, body_id=body.id, category_id=data.category_id)
        remember_name(session, category.id, category.name)
    item = Proposal.model_validate(
        data, update={"body_id": body.id, "lead_member_id": lead_member_id, "created_by": principal.subject}
    )
    session.add(item)
    # the audit entry before the first flush: the item is inserted as it ends, with no UPDATE after
    record(session, item, principal=principal, action="drafted", to_status=ProposalStatus.draft)
    await session.flush()
    await reindex(session, item, terms)
    await session.commit()
    return item


async def _own_item(session: AsyncSession, principal: Principal, proposal_id: str) -> Proposal:
    item = await load_visible(session, principal, proposal_id, for_update=True)
    if not is_proposer(principal, item):
        raise forbidden("only the proposer may change the item")
    return item


async def edit_draft(
    *, session: AsyncSession, principal: Principal, proposal_id: str, data: ProposalUpdate, if_match: str | None
) -> Proposal:
    item = await _own_item(session, principal, proposal_id)
    check_transition(Action.edit, item.status)
    check_version(item, if_match)
    changes = data.model_dump(exclude_unset=True)
    for field in ("title", "content"):
        if field in changes and changes[field] is None:
            raise invalid("required", field, f"{field} cannot be removed")
    if changes.get("category_id"):
        await bodies.find_category(session=session, body_id=item.body_id, category_id=changes["category_id"])
    for field, value in changes.items():
        setattr(item, field, value)
    await reindex(session, item)
    record(session, item, principal=principal, action="edited", note=", ".join(sorted(changes)) or None)
    await session.commit()
    return item


async def invite_cosigners(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str, data: CosignInvite
) -> Proposal:
    item = await _own_item(session, principal, proposal_id)
    check_transition(Action.invite_cosigners, item.status)
    if item.kind not in COSIGNED_KINDS:
        raise invalid("not_cosigned", "member_ids", f"{item.kind} items have no cosigners")
    body = await session.get_one(Body, item.body_id)
    now = utcnow()
    deadline = data.deadline or now + timedelta(days=body.cosign_days)
    if deadline <= now:
        raise invalid("deadline_passed", "deadline", "the invitation deadline must be in the future")
    invited: list[str] = []
    for position, member_id in enumerate(dict.fromkeys(data.member_ids)):
        if member_id == item.lead_member_id:
            raise invalid("lead_cannot_cosign", "member_ids", "the lead proposer cannot co-sign their own item")
        await _member_of(session, item.body_id, member_id, "member_ids")
        existing = (
            await session.exec(
                select(Cosignature).where(Cosignature.proposal_id == item.id, Cosignature.member_id == member_id)
            )
        ).first()
        invitation = existing or Cosignature(proposal_id=item.id, member_id=member_id, deadline=deadline)
        if invitation.status != CosignStatus.accepted:
            # One microsecond apart, so the item lists its cosigners in the order the lead named
            # them: one call shares one clock reading, and a tie comes back in any order.
            invited_at = now + timedelta(microseconds=position)
            invitation.status, invitation.deadline, invitation.invited_at = CosignStatus.invited, deadline, invited_at
            invitation.answered_at = None
            invited.append(member_id)
        session.add(invitation)
    record(session, item, principal=principal, action="cosigners_invited", note=f"{len(set(data.member_ids))} 人")
    if invited:  # those who had accepted already are not invited again
        outbox.add(
            session,
            ProposalCosignInvited(
                **ref(item).model_dump(),
                title=item.title,
                lead_member_id=item.lead_member_id,
                member_ids=invited,
                deadline=deadline,
                invited_at=now,
            ),
            subject=item.id,
        )
    await session.commit()
    return item


async def answer_invitation(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str, accept: bool
) -> Cosignature:
    """The invited member accepts or declines, before the deadline and while the item is a draft."""
    item = await load_visible(session, principal, proposal_id, for_update=True)
    query = select(Cosignature).where(
        Cosignature.proposal_id == item.id, Cosignature.member_id == (principal.member_id or "")
    )
    invitation = (await session.exec(query)).first()
    if invitation is None or principal.role != Role.member:
        raise forbidden("you were not invited to co-sign this item")
    check_transition(Action.answer_invitation, item.status)
    now = utcnow()
    if now > invitation.deadline:
        raise conflict("invitation_expired", "the invitation's deadline has passed")
    invitation.status = CosignStatus.accepted if accept else CosignStatus.declined
    invitation.answered_at = now
    session.add(invitation)
    record(session, item, principal=principal, action="cosign_accepted" if accept else "cosign_declined", at=now)
    outbox.add(
        session,
        ProposalCosignAnswered(
            **ref(item).model_dump(),
            title=item.title,
            lead_member_id=item.lead_member_id,
            member_id=invitation.member_id,
            accepted=accept,
            answered_at=now,
        ),
        subject=item.id,
    )
    await session.commit()
    return invitation


async def submit_proposal(*, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str) -> Proposal:
    item = await _own_item(session, principal, proposal_id)
    to_status = check_transition(Action.submit, item.status)
    sitting = await bodies.get_session(session=session, session_id=item.session_id)
    now = utcnow()
    if (sitting.filing_opens_at and now < sitting.filing_opens_at) or (
        sitting.filing_closes_at and now > sitting.filing_closes_at
    ):
        raise conflict("filing_closed", f"{sitting.name} is not taking items now")
    cosigners = await accepted_cosigners(session, item)
    body = await session.get_one(Body, item.body_id)
    if item.kind in NEEDS_COSIGNERS and len(cosigners) < body.min_cosigners:
        raise Problem(
            422,
            "too_few_cosigners",
            "Too Few Cosigners",
            f"a {item.kind} item needs {body.min_cosigners} accepted cosigner(s); it has {len(cosigners)}",
        )
    pending = select(Cosignature).where(Cosignature.proposal_id == item.id, Cosignature.status == CosignStatus.invited)
    for invitation in (await session.exec(pending)).all():
        invitation.status = CosignStatus.expired
        session.add(invitation)
    item.submitted_at = now
    record(session, item, principal=principal, action="submitted", to_status=to_status, at=now)
    lead = await session.get(Member, item.lead_member_id) if item.lead_member_id else None
    category = (
        await bodies.find_category(session=session, body_id=item.body_id, category_id=item.category_id)
        if item.category_id
        else None
    )
    outbox.add(
        session,
        ProposalSubmitted(
            **ref(item).model_dump(),
            title=item.title,
            category=category.name if category else None,
            category_id=item.category_id,
            lead_proposer=lead.name if lead else item.group_name,
            lead_member_id=item.lead_member_id,
            cosigner_member_ids=cosigners,
            group_name=item.group_name,
            submitted_at=now,
            body_name=body.name,
            session_name=sitting.name,
            body_kind=body.kind,
            session_term=sitting.term,
            session_meeting=sitting.meeting,
        ),
        subject=item.id,
    )
    await session.commit()
    return item


async def withdraw_proposal(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, proposal_id: str, data: Withdrawal
) -> Proposal:
    item = await load_visible(session, principal, proposal_id, for_update=True)
    if not is_proposer(principal, item):
        raise forbidden("only the proposer may withdraw the item")
    to_status = check_transition(Action.withdraw, item.status)
    was_submitted = item.status == ProposalStatus.submitted
    record(session, item, principal=principal, action="withdrawn", to_status=to_status, note=data.note)
    if was_submitted:  # drafts were never announced, so their withdrawal is not either
        outbox.add(
            session,
            ProposalWithdrawn(**ref(item).model_dump(), withdrawn_at=item.updated_at, note=data.note),
            subject=item.id,
        )
    await session.commit()
    return item
