from typing import Annotated

from fastapi import APIRouter, Query

from assignment_service.api.deps import CalendarDep, RoutingModelsDep
from assignment_service.domain import assigning, handling, plans, suggestions
from assignment_service.domain.items import assignment_views, list_body_items, load_item, visible_assignments
from assignment_service.models import (
    AssignmentCreate,
    AssignmentPublic,
    HandlingStatus,
    PlanCreate,
    PlanPublic,
    ProposalHandlingView,
    ProposalProjectionPublic,
    ReplyPublic,
    RoutingSuggestion,
)
from servicekit.auth import PrincipalDep, SignedInDep
from servicekit.pagination import Cursor, Limit, Page, page_after
from servicekit.runtime import OutboxDep, SessionDep

router = APIRouter(prefix="/proposals", tags=["handling"])


@router.get("/{proposal_id}", operation_id="get_handling_proposal", response_model=ProposalHandlingView)
async def get_proposal(proposal_id: str, session: SessionDep, principal: PrincipalDep) -> ProposalHandlingView:
    """The item as handling knows it, with its text, for the body's staff, its units and proposers."""
    item, _ = await load_item(session, principal, proposal_id)
    return ProposalHandlingView.model_validate(item)


@router.get("", operation_id="list_handling_proposals", response_model=Page[ProposalProjectionPublic])
async def list_proposals(
    session: SessionDep,
    principal: SignedInDep,
    status: HandlingStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[ProposalProjectionPublic]:
    """The body's items in the order they wait (oldest first), for its staff and leaders."""
    rows, next_cursor = await list_body_items(
        session=session, principal=principal, status=status, limit=limit, cursor=cursor
    )
    return Page(items=[ProposalProjectionPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/{proposal_id}/assignments", operation_id="assign_proposal", response_model=list[AssignmentPublic])
async def assign_proposal(
    proposal_id: str,
    data: AssignmentCreate,
    session: SessionDep,
    outbox: OutboxDep,
    calendar: CalendarDep,
    principal: SignedInDep,
) -> list[AssignmentPublic]:
    """交办: one lead with co-handlers, or separate units; ``confirm: false`` only prepares it."""
    rows = await assigning.assign(
        session=session, outbox=outbox, calendar=calendar, principal=principal, proposal_id=proposal_id, data=data
    )
    return await assignment_views(session, rows)


@router.post(
    "/{proposal_id}/assignments/confirm", operation_id="confirm_assignment", response_model=list[AssignmentPublic]
)
async def confirm_assignment(
    proposal_id: str, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep, principal: SignedInDep
) -> list[AssignmentPublic]:
    rows = await assigning.confirm(
        session=session, outbox=outbox, calendar=calendar, principal=principal, proposal_id=proposal_id
    )
    return await assignment_views(session, rows)


@router.get(
    "/{proposal_id}/assignments", operation_id="list_proposal_assignments", response_model=Page[AssignmentPublic]
)
async def list_proposal_assignments(
    proposal_id: str, session: SessionDep, principal: PrincipalDep, limit: Limit = 200, cursor: Cursor = None
) -> Page[AssignmentPublic]:
    """The body's staff and the proposers see every unit; a unit sees its own assignment."""
    rows = await visible_assignments(session=session, principal=principal, proposal_id=proposal_id)
    page, next_cursor = page_after(rows, id_of=lambda a: a.id, cursor=cursor, limit=limit)
    return Page(items=await assignment_views(session, page), next_cursor=next_cursor)


@router.get("/{proposal_id}/replies", operation_id="list_replies", response_model=Page[ReplyPublic])
async def list_replies(
    proposal_id: str, session: SessionDep, principal: PrincipalDep, limit: Limit = 200, cursor: Cursor = None
) -> Page[ReplyPublic]:
    replies = await handling.list_replies(session=session, principal=principal, proposal_id=proposal_id)
    rows, next_cursor = page_after(replies, id_of=lambda r: r.id, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=next_cursor)


@router.get(
    "/{proposal_id}/routing-suggestions",
    operation_id="suggest_units",
    response_model=Page[RoutingSuggestion],
)
async def suggest_units(
    proposal_id: str, session: SessionDep, models: RoutingModelsDep, principal: SignedInDep
) -> Page[RoutingSuggestion]:
    """The three units most likely to handle the item, learned from past assignments (one page)."""
    found = await suggestions.suggest_units(
        session=session, models=models, principal=principal, proposal_id=proposal_id
    )
    return Page(items=found)


@router.post("/{proposal_id}/plan", operation_id="create_handling_plan", status_code=201, response_model=PlanPublic)
async def create_handling_plan(
    proposal_id: str, data: PlanCreate, session: SessionDep, principal: SignedInDep
) -> PlanPublic:
    await plans.create_plan(session=session, principal=principal, proposal_id=proposal_id, data=data)
    return await plans.get_plan(session=session, principal=principal, proposal_id=proposal_id)


@router.get("/{proposal_id}/plan", operation_id="get_handling_plan", response_model=PlanPublic)
async def get_handling_plan(proposal_id: str, session: SessionDep, principal: PrincipalDep) -> PlanPublic:
    return await plans.get_plan(session=session, principal=principal, proposal_id=proposal_id)
