from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from assignment_service.api.deps import CalendarDep
from assignment_service.domain import assigning, handling, plans, supervision
from assignment_service.domain.items import assignment_views, load_assignment
from assignment_service.models import (
    AdjustmentDecision,
    AdjustmentRequestCreate,
    AdjustmentRequestPublic,
    AssignmentPublic,
    AssignmentStatus,
    CommitmentPublic,
    ExtensionCreate,
    ExtensionDecision,
    ExtensionPublic,
    HandlingRecordCreate,
    HandlingRecordPublic,
    ReplyCreate,
    ReplyPublic,
    ReplySendBack,
    ScanSummary,
    StageReportCreate,
    StageReportPublic,
    SupervisionItem,
    UnitCommitment,
)
from servicekit.auth import PrincipalDep, Role, SignedInDep, forbidden
from servicekit.pagination import Cursor, Limit, Page, page_after
from servicekit.runtime import OutboxDep, SessionDep, runtime_of

router = APIRouter(tags=["handling"])


@router.get("/assignments", operation_id="list_assignments", response_model=Page[AssignmentPublic])
async def list_assignments(
    session: SessionDep,
    principal: SignedInDep,
    unit_id: str | None = None,
    status: Annotated[list[AssignmentStatus] | None, Query(description="any of these statuses")] = None,
    open: Annotated[bool, Query(description="only those still to handle (assigned or acknowledged)")] = False,
    rehandling: Annotated[bool, Query(description="only those reopened for rehandling (round 2 on)")] = False,
    sort: Annotated[
        assigning.AssignmentSort, Query(description="by due date, soonest (default) or latest first; undated last")
    ] = assigning.AssignmentSort.due_soonest,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AssignmentPublic]:
    """A unit's assignments by due date, a page at a time (unit staff: their own unit; the body's
    staff may name any unit)."""
    rows, next_cursor = await assigning.unit_assignments(
        session=session,
        principal=principal,
        unit_id=unit_id,
        status=status,
        open_only=open,
        rehandling=rehandling,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=await assignment_views(session, rows), next_cursor=next_cursor)


@router.get("/assignments/{assignment_id}", operation_id="get_assignment", response_model=AssignmentPublic)
async def get_assignment(assignment_id: str, session: SessionDep, principal: PrincipalDep) -> AssignmentPublic:
    assignment, _ = await load_assignment(session, principal, assignment_id)
    return (await assignment_views(session, [assignment]))[0]


@router.post(
    "/assignments/{assignment_id}/acknowledge", operation_id="acknowledge_assignment", response_model=AssignmentPublic
)
async def acknowledge_assignment(
    assignment_id: str, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> AssignmentPublic:
    assignment = await assigning.acknowledge(
        session=session, outbox=outbox, principal=principal, assignment_id=assignment_id
    )
    return (await assignment_views(session, [assignment]))[0]


@router.post(
    "/assignments/{assignment_id}/adjustment-requests",
    operation_id="request_adjustment",
    status_code=status.HTTP_201_CREATED,
    response_model=AdjustmentRequestPublic,
)
async def request_adjustment(
    assignment_id: str,
    data: AdjustmentRequestCreate,
    session: SessionDep,
    outbox: OutboxDep,
    calendar: CalendarDep,
    principal: SignedInDep,
) -> AdjustmentRequestPublic:
    """申请调整: within the body's window after assignment (5 working days by default)."""
    request = await assigning.request_adjustment(
        session=session, outbox=outbox, calendar=calendar, principal=principal, assignment_id=assignment_id, data=data
    )
    return AdjustmentRequestPublic.model_validate(request)


@router.post(
    "/adjustment-requests/{request_id}/decision",
    operation_id="decide_adjustment",
    response_model=AdjustmentRequestPublic,
)
async def decide_adjustment(
    request_id: str,
    data: AdjustmentDecision,
    session: SessionDep,
    outbox: OutboxDep,
    calendar: CalendarDep,
    principal: SignedInDep,
) -> AdjustmentRequestPublic:
    request = await assigning.decide_adjustment(
        session=session, outbox=outbox, calendar=calendar, principal=principal, request_id=request_id, data=data
    )
    return AdjustmentRequestPublic.model_validate(request)


@router.post(
    "/assignments/{assignment_id}/extensions",
    operation_id="request_extension",
    status_code=status.HTTP_201_CREATED,
    response_model=ExtensionPublic,
)
async def request_extension(
    assignment_id: str,
    data: ExtensionCreate,
    session: SessionDep,
    outbox: OutboxDep,
    calendar: CalendarDep,
    principal: SignedInDep,
) -> ExtensionPublic:
    extension = await assigning.request_extension(
        session=session, outbox=outbox, calendar=calendar, principal=principal, assignment_id=assignment_id, data=data
    )
    return ExtensionPublic.model_validate(extension)


@router.post("/extensions/{extension_id}/decision", operation_id="decide_extension", response_model=ExtensionPublic)
async def decide_extension(
    extension_id: str, data: ExtensionDecision, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> ExtensionPublic:
    extension = await assigning.decide_extension(
        session=session, outbox=outbox, principal=principal, extension_id=extension_id, data=data
    )
    return ExtensionPublic.model_validate(extension)


@router.post(
    "/assignments/{assignment_id}/records",
    operation_id="add_handling_record",
    status_code=status.HTTP_201_CREATED,
    response_model=HandlingRecordPublic,
)
async def add_handling_record(
    assignment_id: str, data: HandlingRecordCreate, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> HandlingRecordPublic:
    """A contact with the proposer, a co-handler's opinion to the lead, or a progress note."""
    record = await handling.add_record(
        session=session, outbox=outbox, principal=principal, assignment_id=assignment_id, data=data
    )
    return HandlingRecordPublic.model_validate(record)


@router.get(
    "/assignments/{assignment_id}/records",
    operation_id="list_handling_records",
    response_model=Page[HandlingRecordPublic],
)
async def list_handling_records(
    assignment_id: str, session: SessionDep, principal: PrincipalDep, limit: Limit = 200, cursor: Cursor = None
) -> Page[HandlingRecordPublic]:
    records = await handling.list_records(session=session, principal=principal, assignment_id=assignment_id)
    rows, next_cursor = page_after(records, id_of=lambda r: r.id, cursor=cursor, limit=limit)
    return Page(items=[HandlingRecordPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/assignments/{assignment_id}/reply",
    operation_id="reply_to_proposal",
    status_code=status.HTTP_201_CREATED,
    response_model=ReplyPublic,
)
async def reply_to_proposal(
    assignment_id: str,
    data: ReplyCreate,
    session: SessionDep,
    outbox: OutboxDep,
    calendar: CalendarDep,
    principal: SignedInDep,
) -> ReplyPublic:
    """答复: by the lead unit or a separate unit, with its outcome class (A–D by default)."""
    answer = await handling.reply(
        session=session, outbox=outbox, calendar=calendar, principal=principal, assignment_id=assignment_id, data=data
    )
    replies = await handling.list_replies(session=session, principal=principal, proposal_id=answer.proposal_id)
    return next(r for r in replies if r.id == answer.id)


@router.post("/replies/{reply_id}/send-back", operation_id="send_back_reply", response_model=ReplyPublic)
async def send_back_reply(
    reply_id: str, data: ReplySendBack, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> ReplyPublic:
    """退回答复: the body's committee staff send a unit's current reply back before the proposer has
    rated it (ADR 28), naming the suggestions it leaves out; the unit replies again."""
    answer = await handling.send_back(session=session, outbox=outbox, principal=principal, reply_id=reply_id, data=data)
    replies = await handling.list_replies(session=session, principal=principal, proposal_id=answer.proposal_id)
    return next(r for r in replies if r.id == answer.id)


@router.get("/commitments", operation_id="list_commitments", response_model=Page[UnitCommitment])
async def list_commitments(
    session: SessionDep,
    principal: SignedInDep,
    unit_id: str | None = None,
    done: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[UnitCommitment]:
    """承诺事项: what B replies promised, by target date (a unit: its own; the body's staff and
    leaders: the body's, or one unit's)."""
    rows, next_cursor = await handling.list_commitments(
        session=session, principal=principal, unit_id=unit_id, done=done, limit=limit, cursor=cursor
    )
    return Page(items=rows, next_cursor=next_cursor)


@router.get(
    "/assignments/{assignment_id}/adjustment-requests",
    operation_id="list_adjustment_requests",
    response_model=Page[AdjustmentRequestPublic],
)
async def list_adjustment_requests(
    assignment_id: str, session: SessionDep, principal: SignedInDep, limit: Limit = 200, cursor: Cursor = None
) -> Page[AdjustmentRequestPublic]:
    """The assignment's adjustment requests, newest first (its unit and the body's staff)."""
    adjustments, _ = await assigning.list_requests(session=session, principal=principal, assignment_id=assignment_id)
    rows, next_cursor = page_after(adjustments, id_of=lambda r: r.id, cursor=cursor, limit=limit)
    return Page(items=[AdjustmentRequestPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/assignments/{assignment_id}/extensions",
    operation_id="list_extensions",
    response_model=Page[ExtensionPublic],
)
async def list_extensions(
    assignment_id: str, session: SessionDep, principal: SignedInDep, limit: Limit = 200, cursor: Cursor = None
) -> Page[ExtensionPublic]:
    """The assignment's extension requests, newest first (its unit and the body's staff)."""
    _, extensions = await assigning.list_requests(session=session, principal=principal, assignment_id=assignment_id)
    rows, next_cursor = page_after(extensions, id_of=lambda e: e.id, cursor=cursor, limit=limit)
    return Page(items=[ExtensionPublic.model_validate(e) for e in rows], next_cursor=next_cursor)


@router.post("/commitments/{commitment_id}/done", operation_id="fulfil_commitment", response_model=CommitmentPublic)
async def fulfil_commitment(commitment_id: str, session: SessionDep, principal: SignedInDep) -> CommitmentPublic:
    commitment = await handling.fulfil_commitment(session=session, principal=principal, commitment_id=commitment_id)
    return CommitmentPublic.model_validate(commitment)


@router.get("/supervision/overdue", operation_id="list_overdue", response_model=Page[SupervisionItem])
async def list_overdue(
    session: SessionDep,
    calendar: CalendarDep,
    principal: SignedInDep,
    unit_id: str | None = None,
    leader: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SupervisionItem]:
    """Open assignments past their due date, most overdue first (per unit, or per supervising leader)."""
    rows, next_cursor = await supervision.supervision_list(
        session=session,
        calendar=calendar,
        principal=principal,
        overdue=True,
        unit_id=unit_id,
        leader=leader,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=rows, next_cursor=next_cursor)


@router.get("/supervision/due-soon", operation_id="list_due_soon", response_model=Page[SupervisionItem])
async def list_due_soon(
    session: SessionDep,
    calendar: CalendarDep,
    principal: SignedInDep,
    unit_id: str | None = None,
    leader: str | None = None,
    within_days: Annotated[int, Query(ge=0, le=366, description="working days from today")] = 10,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SupervisionItem]:
    """Open assignments due within ``within_days`` working days, soonest first."""
    rows, next_cursor = await supervision.supervision_list(
        session=session,
        calendar=calendar,
        principal=principal,
        overdue=False,
        unit_id=unit_id,
        leader=leader,
        within_days=within_days,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=rows, next_cursor=next_cursor)


@router.post(
    "/plan-tasks/{task_id}/reports", operation_id="report_plan_stage", status_code=201, response_model=StageReportPublic
)
async def report_plan_stage(
    task_id: str, data: StageReportCreate, session: SessionDep, principal: SignedInDep
) -> StageReportPublic:
    report = await plans.report_stage(session=session, principal=principal, task_id=task_id, data=data)
    return StageReportPublic.model_validate(report)


@router.post("/supervision/scan", operation_id="scan_deadlines", response_model=ScanSummary)
async def scan_deadlines(request: Request, calendar: CalendarDep, principal: SignedInDep) -> ScanSummary:
    """Runs the deadline scanner now (it also runs on its own every hour): staff only."""
    if principal.role != Role.staff:
        raise forbidden("only committee staff may run the deadline scan")
    runtime = runtime_of(request)
    result = await supervision.scan_deadlines(database=runtime.database, outbox=runtime.outbox, calendar=calendar)
    return ScanSummary(day=result.day, working_day=result.working_day, due_soon=result.due_soon, overdue=result.overdue)
