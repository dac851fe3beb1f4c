from typing import Annotated

from fastapi import APIRouter, Query, Response

from evaluation_service.api.deps import CalendarDep
from evaluation_service.domain import filing as service
from evaluation_service.domain import statistics
from evaluation_service.models import (
    FilingStatistics,
    PerformanceWeightsPublic,
    PerformanceWeightsUpdate,
    Statistics,
    UnitStatistics,
)
from servicekit.auth import PrincipalDep, SignedInDep
from servicekit.preconditions import IfMatch
from servicekit.runtime import SessionDep

router = APIRouter(tags=["statistics"])

BodyQuery = Annotated[str, Query(max_length=36, description="the body whose figures are asked for")]
SessionQuery = Annotated[str | None, Query(max_length=36, description="one session (届次会议); all when absent")]


@router.get("/statistics/filing", operation_id="get_filing_statistics", response_model=FilingStatistics)
async def get_filing_statistics(session: SessionDep, principal: SignedInDep) -> FilingStatistics:
    """Items filed so far across every body, by kind and category (for administrators)."""
    return await service.filing_statistics(session=session, principal=principal)


@router.get("/statistics", operation_id="get_statistics", response_model=Statistics)
async def get_statistics(
    session: SessionDep,
    calendar: CalendarDep,
    principal: PrincipalDep,
    body_id: BodyQuery,
    session_id: SessionQuery = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
) -> Statistics:
    """办理情况统计: counts, rates and outcome shares of a body's session, for its committee staff
    and supervising leaders, or anyone once the body publishes them (evaluation rules,
    ``statistics_published``). 404 for a session the service has no item of."""
    return await statistics.statistics(
        session=session,
        calendar=calendar,
        principal=principal,
        body_id=body_id,
        session_id=session_id,
        kind=kind,
        category=category,
    )


@router.get("/statistics/units", operation_id="get_unit_statistics", response_model=UnitStatistics)
async def get_unit_statistics(
    session: SessionDep,
    calendar: CalendarDep,
    principal: PrincipalDep,
    body_id: BodyQuery,
    session_id: SessionQuery = None,
) -> UnitStatistics:
    """承办单位办理情况: per unit, its assignments, replies, ratings, outcomes and the weighted
    performance score, with the weights it was computed with."""
    return await statistics.unit_statistics(
        session=session, calendar=calendar, principal=principal, body_id=body_id, session_id=session_id
    )


@router.get(
    "/bodies/{body_id}/performance-weights",
    operation_id="get_performance_weights",
    response_model=PerformanceWeightsPublic,
)
async def get_performance_weights(body_id: str, session: SessionDep, response: Response) -> PerformanceWeightsPublic:
    row = await statistics.weights_for(session, body_id)
    response.headers["ETag"] = statistics.weights_etag(row)
    return PerformanceWeightsPublic.model_validate(row)


@router.put(
    "/bodies/{body_id}/performance-weights",
    operation_id="set_performance_weights",
    response_model=PerformanceWeightsPublic,
)
async def set_performance_weights(
    body_id: str,
    data: PerformanceWeightsUpdate,
    session: SessionDep,
    principal: SignedInDep,
    response: Response,
    if_match: IfMatch = None,
) -> PerformanceWeightsPublic:
    """Replaces the body's weights. With If-Match (the ETag of GET) a stale read is refused with 412;
    without it the weights are replaced unchecked, as before."""
    row = await statistics.set_weights(
        session=session, principal=principal, body_id=body_id, data=data, if_match=if_match
    )
    response.headers["ETag"] = statistics.weights_etag(row)
    return PerformanceWeightsPublic.model_validate(row)
