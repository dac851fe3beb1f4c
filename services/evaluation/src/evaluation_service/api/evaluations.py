from fastapi import APIRouter, Response, status

from evaluation_service.api.deps import CalendarDep
from evaluation_service.domain import ratings
from evaluation_service.models import EvaluationCreate, EvaluationPublic, EvaluationRulesPublic, EvaluationRulesUpdate
from servicekit.auth import PrincipalDep, SignedInDep
from servicekit.pagination import Cursor, Limit, Page, page_after
from servicekit.preconditions import IfMatch
from servicekit.runtime import OutboxDep, SessionDep

router = APIRouter(tags=["evaluations"])


@router.post(
    "/proposals/{proposal_id}/evaluations",
    operation_id="evaluate_reply",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationPublic,
)
async def evaluate_reply(
    proposal_id: str,
    data: EvaluationCreate,
    session: SessionDep,
    outbox: OutboxDep,
    calendar: CalendarDep,
    principal: SignedInDep,
    response: Response,
) -> EvaluationPublic:
    """征询意见表: rate a unit's reply on contact, attitude and result; a second POST changes the
    rating (200) until the window closes. An unsatisfied result asks for rehandling."""
    evaluation, created = await ratings.evaluate(
        session=session, outbox=outbox, calendar=calendar, principal=principal, proposal_id=proposal_id, data=data
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    views = await ratings.list_evaluations(
        session=session, calendar=calendar, principal=principal, proposal_id=proposal_id
    )
    return next(v for v in views if v.id == evaluation.id)


@router.get(
    "/proposals/{proposal_id}/evaluations", operation_id="list_evaluations", response_model=Page[EvaluationPublic]
)
async def list_evaluations(
    proposal_id: str,
    session: SessionDep,
    calendar: CalendarDep,
    principal: PrincipalDep,
    limit: Limit = 200,
    cursor: Cursor = None,
) -> Page[EvaluationPublic]:
    found = await ratings.list_evaluations(
        session=session, calendar=calendar, principal=principal, proposal_id=proposal_id
    )
    rows, next_cursor = page_after(found, id_of=lambda e: e.id, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=next_cursor)


@router.get(
    "/bodies/{body_id}/evaluation-rules", operation_id="get_evaluation_rules", response_model=EvaluationRulesPublic
)
async def get_evaluation_rules(body_id: str, session: SessionDep, response: Response) -> EvaluationRulesPublic:
    row = await ratings.rules_for(session, body_id)
    response.headers["ETag"] = ratings.rules_etag(row)
    return EvaluationRulesPublic.model_validate(row)


@router.put(
    "/bodies/{body_id}/evaluation-rules", operation_id="set_evaluation_rules", response_model=EvaluationRulesPublic
)
async def set_evaluation_rules(
    body_id: str,
    data: EvaluationRulesUpdate,
    session: SessionDep,
    principal: SignedInDep,
    response: Response,
    if_match: IfMatch = None,
) -> EvaluationRulesPublic:
    """Replaces the body's evaluation rules. With If-Match (the ETag of GET) a stale read is refused
    with 412; without it the rules are replaced unchecked, as before."""
    row = await ratings.set_rules(session=session, principal=principal, body_id=body_id, data=data, if_match=if_match)
    response.headers["ETag"] = ratings.rules_etag(row)
    return EvaluationRulesPublic.model_validate(row)
