"""Reading items: one item, lists with filters and Chinese full-text search (domain/search.py),
the timeline. Lists apply the visibility rules of access.py in SQL."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, tuple_
from sqlalchemy import union as sa_union
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
from servicekit.pagination import decode_cursor, encode_cursor


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


# Up to this many published sessions, the public part of a list reads one ordered index range
# per session; beyond, one range of the global (created_at, id) index filtered to them.
MAX_SESSION_BRANCHES = 8


async def visibility_branches(session: AsyncSession, principal: Principal) -> list[ColumnElement[bool]]:
    """``visible_to`` as separate conditions, each answered by one ordered index range.

    An OR of them made the databases collect and sort every visible row for each page (SQLite:
    MULTI-INDEX OR, then a temporary B-tree); one ordered query per branch reads only a page
    from each (the indexes on Proposal lead with each branch's equality column).
    """
    published = list(
        (await session.exec(select(Session.id).where(col(Session.published).is_(True)).order_by(col(Session.id)))).all()
    )
    public_statuses = col(Proposal.status).in_(sorted(PUBLIC_STATUSES))
    branches: list[ColumnElement[bool]] = []
    if len(published) > MAX_SESSION_BRANCHES:
        branches.append(and_(public_statuses, col(Proposal.session_id).in_(published)))
    else:
        branches += [and_(col(Proposal.session_id) == s, public_statuses) for s in published]
    if not principal.anonymous:
        branches.append(col(Proposal.created_by) == principal.subject)
    if principal.role == Role.member and principal.member_id:
        branches.append(col(Proposal.lead_member_id) == principal.member_id)
        invited = select(Cosignature.proposal_id).where(Cosignature.member_id == principal.member_id)
        branches.append(col(Proposal.id).in_(invited))
    if principal.role in (Role.staff, Role.leader) and principal.body_id:
        branches.append(and_(col(Proposal.body_id) == principal.body_id, col(Proposal.status) != ProposalStatus.draft))
    return branches


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
    key_column = col(Proposal.updated_at) if sort == ProposalSort.recently_updated else col(Proposal.created_at)
    branches = await visibility_branches(session, principal)
    return await _paginate_branches(
        session,
        branches,
        filters,
        key_column=key_column,
        cursor=cursor,
        limit=limit,
        descending=sort != ProposalSort.oldest,
    )


async def _paginate_branches(
    session: AsyncSession,
    branches: list[ColumnElement[bool]],
    filters: list[Any],
    *,
    key_column: Any,
    cursor: str | None,
    limit: int,
    descending: bool,
) -> tuple[list[Proposal], str | None]:
    """Keyset pagination on (key, id) over the union of ``branches``: each branch gives its first
    limit + 1 ids after the cursor in index order, the union the page's ids, then one read of
    the page's rows. A page never repeats or skips a row, as with servicekit.pagination."""
    keys = (key_column, col(Proposal.id))
    conditions = list(filters)
    if cursor:  # checked first: a bad cursor is a 400 whether or not anything is visible
        after = decode_cursor(cursor, (datetime, str))
        conditions.append(tuple_(*keys) < tuple_(*after) if descending else tuple_(*keys) > tuple_(*after))
    if not branches:
        return [], None

    def ordered(*columns: Any) -> list[Any]:
        return [c.desc() if descending else c.asc() for c in columns]

    if len(branches) == 1:
        query = select(Proposal).where(branches[0], *conditions)
    else:
        parts = [
            select(Proposal.id, key_column.label("k"))
            .where(branch, *conditions)
            .order_by(*ordered(*keys))
            .limit(limit + 1)
            .subquery()
            for branch in branches
        ]
        # UNION, not UNION ALL: an item may be in several branches (the drafter is the lead proposer)
        union = sa_union(*(select(p.c.id, p.c.k) for p in parts)).subquery()
        page_ids = select(union.c.id).order_by(*ordered(union.c.k, union.c.id)).limit(limit + 1)
        query = select(Proposal).where(col(Proposal.id).in_(page_ids))
    rows = list((await session.exec(query.order_by(*ordered(*keys)).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([getattr(last, key_column.key), last.id])


async def timeline(*, session: AsyncSession, principal: Principal, proposal_id: str) -> list[TimelineEntry]:
    await load_visible(session, principal, proposal_id)
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.proposal_id == proposal_id)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    return list((await session.exec(query)).all())
