from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from proposal_service.domain import filing, queries, review, similar, timeline
from proposal_service.domain.items import etag, list_item, view, views
from proposal_service.models import (
    CategoryChange,
    CosignAnswer,
    CosignaturePublic,
    CosignInvite,
    Declination,
    KeyMarking,
    ListFields,
    Member,
    Merger,
    PresidiumDecision,
    ProposalCreate,
    ProposalKind,
    ProposalListItem,
    ProposalPublic,
    ProposalStatus,
    ProposalUpdate,
    Registration,
    SimilarItem,
    SubmissionResult,
    TimelineEntryPublic,
    Withdrawal,
)
from servicekit.auth import PrincipalDep, SignedInDep
from servicekit.pagination import Cursor, Limit, Page, page_after, page_of
from servicekit.runtime import OutboxDep, SessionDep

router = APIRouter(prefix="/proposals", tags=["proposals"])

IfMatch = Annotated[str | None, Header(description='the ETag read before, e.g. W/"3"; a stale one is a 412')]


@router.post("", operation_id="draft_proposal", status_code=status.HTTP_201_CREATED, response_model=ProposalPublic)
async def draft_proposal(
    data: ProposalCreate, session: SessionDep, principal: SignedInDep, response: Response
) -> ProposalPublic:
    item = await filing.draft_proposal(session=session, principal=principal, data=data)
    shown = await view(session, item)
    response.headers["Location"] = f"/proposals/{item.id}"
    response.headers["ETag"] = etag(item, shown)
    return shown


@router.get("", operation_id="list_proposals", response_model=Page[ProposalListItem])
async def list_proposals(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    sort: queries.ProposalSort = queries.ProposalSort.newest,
    q: Annotated[str | None, Query(max_length=200, description="words that must all occur in title or text")] = None,
    body_id: Annotated[str | None, Query(max_length=36)] = None,
    session_id: Annotated[str | None, Query(max_length=36)] = None,
    kind: Annotated[list[ProposalKind] | None, Query()] = None,
    category_id: Annotated[str | None, Query(max_length=36)] = None,
    status: Annotated[list[ProposalStatus] | None, Query()] = None,
    key: bool | None = None,
    proposer: Annotated[str | None, Query(max_length=36, description="member id: lead or accepted cosigner")] = None,
    unit_id: Annotated[str | None, Query(max_length=36, description="handling unit")] = None,
    fields: Annotated[ListFields, Query(description="summary: the text as an excerpt; full: the whole text")] = (
        ListFields.summary
    ),
) -> Page[ProposalListItem]:
    rows, next_cursor = await queries.list_proposals(
        session=session,
        principal=principal,
        limit=limit,
        cursor=cursor,
        sort=sort,
        q=q,
        body_id=body_id,
        session_id=session_id,
        kind=kind,
        category_id=category_id,
        status=status,
        key=key,
        proposer=proposer,
        unit_id=unit_id,
    )
    full = fields == ListFields.full
    items = [list_item(timeline.for_reader(v, principal), full=full) for v in await views(session, rows)]
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{proposal_id}", operation_id="get_proposal", response_model=ProposalPublic)
async def get_proposal(
    proposal_id: str, session: SessionDep, principal: PrincipalDep, response: Response
) -> ProposalPublic:
    item = await queries.get_proposal(session=session, principal=principal, proposal_id=proposal_id)
    shown = timeline.for_reader(await view(session, item), principal)
    response.headers["ETag"] = etag(item, shown)
    return shown


@router.patch("/{proposal_id}", operation_id="edit_proposal", response_model=ProposalPublic)
async def edit_proposal(
    proposal_id: str,
    data: ProposalUpdate,
    session: SessionDep,
    principal: SignedInDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProposalPublic:
    item = await filing.edit_draft(
        session=session, principal=principal, proposal_id=proposal_id, data=data, if_match=if_match
    )
    shown = await view(session, item)
    response.headers["ETag"] = etag(item, shown)
    return shown


@router.post("/{proposal_id}/cosigners", operation_id="invite_cosigners", response_model=ProposalPublic)
async def invite_cosigners(
    proposal_id: str, data: CosignInvite, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> ProposalPublic:
    item = await filing.invite_cosigners(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, data=data
    )
    return await view(session, item)


@router.post("/{proposal_id}/cosign", operation_id="answer_cosign_invitation", response_model=CosignaturePublic)
async def answer_cosign_invitation(
    proposal_id: str, data: CosignAnswer, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> CosignaturePublic:
    invitation = await filing.answer_invitation(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, accept=data.accept
    )
    member = await session.get_one(Member, invitation.member_id)
    return CosignaturePublic.model_validate(invitation, update={"member_name": member.name})


@router.post("/{proposal_id}/submit", operation_id="submit_proposal", response_model=SubmissionResult)
async def submit_proposal(
    proposal_id: str, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> SubmissionResult:
    """Submits the draft; the answer lists similar items already filed, for the proposer to check."""
    item = await filing.submit_proposal(session=session, outbox=outbox, principal=principal, proposal_id=proposal_id)
    found = await similar.similar_items(session=session, principal=principal, item=item)
    return SubmissionResult.model_validate((await view(session, item)).model_dump() | {"similar": found})


@router.post("/{proposal_id}/withdraw", operation_id="withdraw_proposal", response_model=ProposalPublic)
async def withdraw_proposal(
    proposal_id: str, session: SessionDep, outbox: OutboxDep, principal: SignedInDep, data: Withdrawal | None = None
) -> ProposalPublic:
    item = await filing.withdraw_proposal(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, data=data or Withdrawal()
    )
    return await view(session, item)


@router.post("/{proposal_id}/register", operation_id="register_proposal", response_model=ProposalPublic)
async def register_proposal(
    proposal_id: str, session: SessionDep, outbox: OutboxDep, principal: SignedInDep, data: Registration | None = None
) -> ProposalPublic:
    item = await review.register_proposal(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, data=data or Registration()
    )
    return await view(session, item)


@router.post("/{proposal_id}/presidium-decision", operation_id="decide_motion", response_model=ProposalPublic)
async def decide_motion(
    proposal_id: str, data: PresidiumDecision, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> ProposalPublic:
    """主席团决定: a congress motion (议案) listed on the agenda, sent to a special committee or to be
    handled as a suggestion (it becomes a 建议), with the day decided; registers it (议 or 建
    series). The body's staff record it; 409 already_decided, not_a_motion, not_submitted."""
    item = await review.decide_motion(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, data=data
    )
    return await view(session, item)


@router.post("/{proposal_id}/decline", operation_id="decline_proposal", response_model=ProposalPublic)
async def decline_proposal(
    proposal_id: str, data: Declination, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> ProposalPublic:
    item = await review.decline_proposal(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, data=data
    )
    return await view(session, item)


@router.post("/{proposal_id}/merge", operation_id="merge_proposals", response_model=ProposalPublic)
async def merge_proposals(
    proposal_id: str, data: Merger, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> ProposalPublic:
    """Merges the items in ``merged_ids`` into this one (并案)."""
    item = await review.merge_proposals(
        session=session, outbox=outbox, principal=principal, primary_id=proposal_id, data=data
    )
    return await view(session, item)


@router.post("/{proposal_id}/key", operation_id="mark_key_proposal", response_model=ProposalPublic)
async def mark_key_proposal(
    proposal_id: str, data: KeyMarking, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> ProposalPublic:
    item = await review.mark_key(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, data=data
    )
    return await view(session, item)


@router.post("/{proposal_id}/category", operation_id="change_proposal_category", response_model=ProposalPublic)
async def change_proposal_category(
    proposal_id: str, data: CategoryChange, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> ProposalPublic:
    item = await review.change_category(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, data=data
    )
    return await view(session, item)


@router.get("/{proposal_id}/similar", operation_id="list_similar_proposals", response_model=Page[SimilarItem])
async def list_similar_proposals(
    proposal_id: str, session: SessionDep, principal: PrincipalDep, limit: Limit = 200, cursor: Cursor = None
) -> Page[SimilarItem]:
    """Most similar first."""
    item = await queries.get_proposal(session=session, principal=principal, proposal_id=proposal_id)
    found = await similar.similar_items(session=session, principal=principal, item=item)
    rows, next_cursor = page_after(found, id_of=lambda s: s.id, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=next_cursor)


@router.get("/{proposal_id}/timeline", operation_id="get_proposal_timeline", response_model=Page[TimelineEntryPublic])
async def get_proposal_timeline(
    proposal_id: str, session: SessionDep, principal: PrincipalDep, limit: Limit = 200, cursor: Cursor = None
) -> Page[TimelineEntryPublic]:
    """Oldest first. The whole audit trail for the item's proposers and the body's staff; its
    public facts (status changes, by office, not account) for everyone else."""
    entries = await timeline.timeline(session=session, principal=principal, proposal_id=proposal_id)
    rows, next_cursor = page_of(entries, key=lambda e: (e.at, e.id), types=(datetime, str), cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=next_cursor)
