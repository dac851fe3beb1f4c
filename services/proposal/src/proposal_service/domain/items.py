"""Helpers the use cases share: loading an item for a decision, the audit trail, event references,
and the public view. They never commit."""

import re
from datetime import datetime

from sqlalchemy import union_all
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
    ProposalListItem,
    ProposalPublic,
    ProposalStatus,
    Session,
    TimelineEntry,
)
from servicekit.auth import Principal
from servicekit.db import utcnow
from servicekit.preconditions import check_if_match, weak_etag

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
    """The item if the caller may see it; 404 otherwise, whether it exists or not.

    One statement: the item with its session's publication, its category's and lead
    proposer's names (kept in the session for ``views``); the invitation is only looked up
    when the other rules do not already let the caller read it.
    """
    query = (
        select(Proposal, Session.published, Category.name, Member.name)
        .join(Session, col(Session.id) == col(Proposal.session_id))
        .outerjoin(Category, col(Category.id) == col(Proposal.category_id))
        .outerjoin(Member, col(Member.id) == col(Proposal.lead_member_id))
        .where(col(Proposal.id) == proposal_id)
    )
    if for_update:
        query = query.with_for_update(of=Proposal)
    row = (await session.exec(query)).first()
    if row is None:
        raise hidden(proposal_id)
    item, published, category_name, lead_name = row
    known = _known_names(session)
    if category_name is not None and item.category_id:
        known[item.category_id] = category_name
    if lead_name is not None and item.lead_member_id:
        known[item.lead_member_id] = lead_name
    if not can_read(principal, item, invited=False, published=bool(published)) and not (
        await is_invited(session, item, principal)
    ):
        raise hidden(proposal_id)
    return item


def _known_names(session: AsyncSession) -> dict[str, str]:
    """Names of members and categories this session has read already (ids are UUIDs, so one map)."""
    names: dict[str, str] = session.info.setdefault("proposal_names", {})
    return names


def remember_name(session: AsyncSession, row_id: str, name: str) -> None:
    """A member's or category's name the use case has read, so ``views`` does not read it again."""
    _known_names(session)[row_id] = name


# An item's entity tag: W/"<version>" or, as GETs give it, W/"<version>.<digest>".
_VERSION_TAG = re.compile(r'(?:W/)?"(\d+)(?:\.[0-9a-f]+)?"')


def check_version(item: Proposal, if_match: str | None) -> None:
    """Optimistic concurrency: a stale If-Match is a 412. The tag's version is what counts, so
    W/"<version>" and the GET's W/"<version>.<digest>" both hold (the digest is for GETs only)."""
    if if_match is None or if_match.strip() == "*":
        return
    versions = [f'W/"{m.group(1)}"' for m in _VERSION_TAG.finditer(if_match)]
    check_if_match(", ".join(versions), f'W/"{item.version}"')


def etag(item: Proposal, shown: ProposalPublic) -> str:
    """W/"<version>.<digest of what this reader is shown>": the version for If-Match; the digest so
    that a conditional GET (If-None-Match, ADR 26) never confirms a copy whose names (category,
    proposers) or reader-dependent parts (who declined to cosign) changed without a new version."""
    digest = weak_etag(shown).removeprefix('W/"').removesuffix('"')
    return f'W/"{item.version}.{digest}"'


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


async def _names(session: AsyncSession, member_ids: set[str], category_ids: set[str]) -> dict[str, str]:
    """Names of these members and categories, in at most one statement."""
    known = _known_names(session)
    members, categories = member_ids - known.keys(), category_ids - known.keys()
    parts = []
    if members:
        parts.append(select(Member.id, Member.name).where(col(Member.id).in_(members)))
    if categories:
        parts.append(select(Category.id, Category.name).where(col(Category.id).in_(categories)))
    if parts:
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        known.update({k: v for k, v in (await session.exec(query)).all()})  # type: ignore[arg-type]
    return known


# What cannot exist for an item, so its view does not ask: drafts were never assigned nor merged
# into (only submitted and public items take merges); handling units come with assignments, which
# follow registration; only cosigned kinds invite cosigners (filing.invite_cosigners).
_NEVER_ASSIGNED = frozenset(
    {ProposalStatus.draft, ProposalStatus.submitted, ProposalStatus.declined, ProposalStatus.withdrawn,
     ProposalStatus.merged}
)  # fmt: skip


async def views(session: AsyncSession, items: list[Proposal]) -> list[ProposalPublic]:
    """The public view of several items, with at most four statements, fewer when the items'
    status and kind rule some parts out."""
    if not items:
        return []
    cosigned = [i.id for i in items if i.kind in COSIGNED_KINDS]
    assigned = [i.id for i in items if i.status not in _NEVER_ASSIGNED]
    merge_targets = [i.id for i in items if i.status != ProposalStatus.draft]
    cosigners: dict[str, list[CosignaturePublic]] = {}
    known = _known_names(session)
    if cosigned:
        query = (
            select(Cosignature, Member.name)
            .join(Member, col(Member.id) == col(Cosignature.member_id))
            .where(col(Cosignature.proposal_id).in_(cosigned))
            .order_by(col(Cosignature.invited_at), col(Cosignature.id))
        )
        for c, name in (await session.exec(query)).all():
            cosigners.setdefault(c.proposal_id, []).append(
                CosignaturePublic.model_validate(c, update={"member_name": name})
            )
            known[c.member_id] = name
    units: dict[str, list[HandlingUnitPublic]] = {}
    if assigned:
        query_units = select(HandlingUnit).where(col(HandlingUnit.proposal_id).in_(assigned))
        for u in (await session.exec(query_units)).all():
            units.setdefault(u.proposal_id, []).append(HandlingUnitPublic.model_validate(u))
    merged: dict[str, list[str]] = {}
    if merge_targets:
        query_merged = select(Proposal.id, Proposal.merged_into_id).where(
            col(Proposal.merged_into_id).in_(merge_targets)
        )
        for merged_id, into in (await session.exec(query_merged)).all():
            merged.setdefault(into or "", []).append(merged_id)
    names = await _names(
        session,
        {i.lead_member_id for i in items if i.lead_member_id},
        {i.category_id for i in items if i.category_id},
    )
    return [
        ProposalPublic.model_validate(
            item,
            update={
                "category": names.get(item.category_id or ""),
                "lead_proposer": names.get(item.lead_member_id or "") or item.group_name,
                "number_label": number_label(item.kind, item.number),
                "merged_ids": merged.get(item.id, []),
                "cosigners": cosigners.get(item.id, []),
                "handling_units": units.get(item.id, []),
            },
        )
        for item in items
    ]


async def view(session: AsyncSession, item: Proposal) -> ProposalPublic:
    return (await views(session, [item]))[0]


EXCERPT_CHARS = 100


def excerpt(text: str) -> str:
    """The first ``EXCERPT_CHARS`` characters of a text, its whitespace collapsed; … when cut."""
    plain = " ".join(text.split())
    return plain if len(plain) <= EXCERPT_CHARS else plain[:EXCERPT_CHARS] + "…"


def list_item(item: ProposalPublic, *, full: bool) -> ProposalListItem:
    """How a list shows an item (models.ProposalListItem). Built without validating again: the
    view was validated when it was made, and lists are the hot path."""
    fields = dict(item)
    fields["excerpt"] = excerpt(item.content)
    if not full:
        fields["content"] = None
    return ProposalListItem.model_construct(**fields)
