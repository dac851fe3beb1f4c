"""Reading items: one item, lists with filters and Chinese full-text search (domain/search.py),
the timeline. Lists apply the visibility rules of access.py in SQL."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.items import load_visible
from proposal_service.domain.search import matching_items
from proposal_service.domain.status import PUBLIC_STATUSES
from proposal_service.models import (
    Cosignature,
    HandlingUnit,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Session,
    TimelineEntry,
)
from proposal_service.text import query_terms
from servicekit.auth import Principal, Role
from servicekit.pagination import paginate


class ProposalSort(StrEnum):
    newest = "-created_at"
    oldest = "created_at"
    recently_updated = "-updated_at"


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The SQL form of access.can_read."""
    published_sessions = select(Session.id).where(col(Session.published).is_(True))
    public = and_(col(Proposal.status).in_(list(PUBLIC_STATUSES)), col(Proposal.session_id).in_(published_sessions))
    clauses: list[ColumnElement[bool]] = [public]
    if not principal.anonymous:
        clauses.append(col(Proposal.created_by) == principal.subject)
    if principal.role == Role.member and principal.member_id:
        clauses.append(col(Proposal.lead_member_id) == principal.member_id)
        invited = select(Cosignature.proposal_id).where(Cosignature.member_id == principal.member_id)
        clauses.append(col(Proposal.id).in_(invited))
    if principal.role in (Role.staff, Role.leader) and principal.body_id:
        clauses.append(and_(col(Proposal.body_id) == principal.body_id, col(Proposal.status) != ProposalStatus.draft))
    return or_(*clauses)


async def get_proposal(*, session: AsyncSession, principal: Principal, proposal_id: str) -> Proposal:
    return await load_visible(session, principal, proposal_id)


async def list_proposals(
    *,
    session: AsyncSession,
    principal: Principal,
    limit: int,
    cursor: str | None,
    sort: ProposalSort = ProposalSort.newest,
    q: str | None = None,
    body_id: str | None = None,
    session_id: str | None = None,
    kind: list[ProposalKind] | None = None,
    category_id: str | None = None,
    status: list[ProposalStatus] | None = None,
    key: bool | None = None,
    proposer: str | None = None,
    unit_id: str | None = None,
) -> tuple[list[Proposal], str | None]:
    """Visible items matching every given filter; ``q`` matches items containing all its words."""
    query = select(Proposal).where(visible_to(principal))
    filters: list[Any] = []
    if body_id:
        filters.append(col(Proposal.body_id) == body_id)
    if session_id:
        filters.append(col(Proposal.session_id) == session_id)
    if kind:
        filters.append(col(Proposal.kind).in_(kind))
    if category_id:
        filters.append(col(Proposal.category_id) == category_id)
    if status:
        filters.append(col(Proposal.status).in_(status))
    if key is not None:
        filters.append(col(Proposal.key).is_(key))
    if proposer:
        cosigned = select(Cosignature.proposal_id).where(
            Cosignature.member_id == proposer, Cosignature.status == "accepted"
        )
        filters.append(or_(col(Proposal.lead_member_id) == proposer, col(Proposal.id).in_(cosigned)))
    if unit_id:
        filters.append(col(Proposal.id).in_(select(HandlingUnit.proposal_id).where(HandlingUnit.unit_id == unit_id)))
    if q is not None:
        terms = query_terms(q)
        if not terms:
            filters.append(false())
        else:
            filters.append(col(Proposal.id).in_(matching_items(session, terms)))
    query = query.where(*filters)
    key_column = col(Proposal.updated_at) if sort == ProposalSort.recently_updated else col(Proposal.created_at)
    return await paginate(
        session,
        query,
        keys=(key_column, col(Proposal.id)),
        types=(datetime, str),
        cursor=cursor,
        limit=limit,
        descending=sort != ProposalSort.oldest,
    )


async def timeline(*, session: AsyncSession, principal: Principal, proposal_id: str) -> list[TimelineEntry]:
    await load_visible(session, principal, proposal_id)
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.proposal_id == proposal_id)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    return list((await session.exec(query)).all())
