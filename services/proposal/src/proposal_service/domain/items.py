"""Helpers the use cases share: loading an item for a decision, the audit trail, event references,
and the public view. They never commit."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.access import can_read, hidden
from proposal_service.domain.search import SearchText, index_item
from proposal_service.events.schemas import ItemRef
from proposal_service.models import (
    Category,
    Cosignature,
    CosignaturePublic,
    CosignStatus,
    HandlingUnit,
    HandlingUnitPublic,
    Member,
    Proposal,
    ProposalKind,
    ProposalPublic,
    ProposalStatus,
    Session,
    TimelineEntry,
)
from servicekit.auth import Principal
from servicekit.db import utcnow
from servicekit.errors import Problem
from servicekit.preconditions import check_if_match

# The kinds each body kind files (DESIGN glossary): 提案 and 建议案 for CPPCC, 议案 and 建议 for NPC.
KINDS_OF_BODY = {
    "cppcc": (ProposalKind.individual, ProposalKind.joint, ProposalKind.group, ProposalKind.plenary),
    "npc": (ProposalKind.motion, ProposalKind.suggestion),
}
# Kinds that are filed together with cosigners, and those that need the body's minimum of them.
COSIGNED_KINDS = (ProposalKind.joint, ProposalKind.motion, ProposalKind.suggestion)
NEEDS_COSIGNERS = (ProposalKind.joint, ProposalKind.motion)
# Kinds filed in the name of an organisation (集体提案, 建议案).
ORGANISATION_KINDS = (ProposalKind.group, ProposalKind.plenary)

# Numbers are per session and kind (案号); the label says which series, e.g. 联12 is joint item 12.
NUMBER_PREFIX = {
    ProposalKind.individual: "个",
    ProposalKind.joint: "联",
    ProposalKind.group: "集",
    ProposalKind.plenary: "建议案",
    ProposalKind.motion: "议",
    ProposalKind.suggestion: "建",
}


def number_label(kind: str, number: int | None) -> str | None:
    return None if number is None else f"{NUMBER_PREFIX[ProposalKind(kind)]}{number:04d}"


def conflict(code: str, detail: str) -> Problem:
    return Problem(409, code, "Conflict", detail)


async def is_invited(session: AsyncSession, item: Proposal, principal: Principal) -> bool:
    if not principal.member_id:
        return False
    query = select(Cosignature.id).where(
        Cosignature.proposal_id == item.id, Cosignature.member_id == principal.member_id
    )
    return (await session.exec(query)).first() is not None


async def load_visible(
    session: AsyncSession, principal: Principal, proposal_id: str, *, for_update: bool = False
) -> Proposal:
    """The item if the caller may see it; 404 otherwise, whether it exists or not."""
    item = await session.get(Proposal, proposal_id, with_for_update=for_update)
    if item is None:
        raise hidden(proposal_id)
    sitting = await session.get(Session, item.session_id)
    published = bool(sitting and sitting.published)
    if not can_read(principal, item, invited=await is_invited(session, item, principal), published=published):
        raise hidden(proposal_id)
    return item


def check_version(item: Proposal, if_match: str | None) -> None:
    """Optimistic concurrency: a stale If-Match is a 412 (ETags are W/"<version>")."""
    check_if_match(if_match, etag(item))


def etag(item: Proposal) -> str:
    return f'W/"{item.version}"'


def record(
    session: AsyncSession,
    item: Proposal,
    *,
    principal: Principal,
    action: str,
    to_status: ProposalStatus | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    """Applies a change's status and writes its audit entry; every decision goes through here."""
    before = item.status
    if to_status is not None:
        item.status = to_status
    item.version += 1
    item.updated_at = at or utcnow()
    session.add(item)
    session.add(
        TimelineEntry(
            proposal_id=item.id,
            at=item.updated_at,
            actor=principal.actor,
            actor_name=principal.name,
            action=action,
            from_status=before,
            to_status=item.status,
            note=note,
        )
    )


def ref(item: Proposal) -> ItemRef:
    return ItemRef(proposal_id=item.id, body_id=item.body_id, session_id=item.session_id, kind=item.kind)


async def reindex(session: AsyncSession, item: Proposal, terms: SearchText | None = None) -> None:
    """Replaces the item's search document; ``terms`` when the caller analysed the text already
    (before its transaction began, so the writer lock is not held through the tokeniser)."""
    await index_item(session, item, terms)


async def accepted_cosigners(session: AsyncSession, item: Proposal) -> list[str]:
    """Member ids of cosigners who accepted before their invitation's deadline; only these count."""
    query = select(Cosignature).where(Cosignature.proposal_id == item.id, Cosignature.status == CosignStatus.accepted)
    rows = (await session.exec(query)).all()
    return [c.member_id for c in rows if c.answered_at is not None and c.answered_at <= c.deadline]


async def member_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    rows = (await session.exec(select(Member.id, Member.name).where(col(Member.id).in_(ids)))).all()
    return dict(rows)


async def category_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    rows = (await session.exec(select(Category.id, Category.name).where(col(Category.id).in_(ids)))).all()
    return dict(rows)


async def views(session: AsyncSession, items: list[Proposal]) -> list[ProposalPublic]:
    """The public view of several items, with a constant number of queries."""
    ids = [i.id for i in items]
    if not ids:
        return []
    cosigners = (
        await session.exec(
            select(Cosignature).where(col(Cosignature.proposal_id).in_(ids)).order_by(col(Cosignature.invited_at))
        )
    ).all()
    units = (await session.exec(select(HandlingUnit).where(col(HandlingUnit.proposal_id).in_(ids)))).all()
    merged = (
        await session.exec(select(Proposal.id, Proposal.merged_into_id).where(col(Proposal.merged_into_id).in_(ids)))
    ).all()
    members = await member_names(
        session, {c.member_id for c in cosigners} | {i.lead_member_id for i in items if i.lead_member_id}
    )
    categories = await category_names(session, {i.category_id for i in items if i.category_id})
    out = []
    for item in items:
        out.append(
            ProposalPublic.model_validate(
                item,
                update={
                    "category": categories.get(item.category_id or ""),
                    "lead_proposer": members.get(item.lead_member_id or "") or item.group_name,
                    "number_label": number_label(item.kind, item.number),
                    "merged_ids": [m for m, into in merged if into == item.id],
                    "cosigners": [
                        CosignaturePublic.model_validate(c, update={"member_name": members.get(c.member_id, "")})
                        for c in cosigners
                        if c.proposal_id == item.id
                    ],
                    "handling_units": [HandlingUnitPublic.model_validate(u) for u in units if u.proposal_id == item.id],
                },
            )
        )
    return out


async def view(session: AsyncSession, item: Proposal) -> ProposalPublic:
    return (await views(session, [item]))[0]
