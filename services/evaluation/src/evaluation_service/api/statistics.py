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
    kind: Annotated[str | None, Query(max_length=20, description="one kind (older form of kinds)")] = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    kinds: Annotated[
        str | None,
        Query(
            max_length=100, description="kinds counted, comma-separated, e.g. individual,joint,group; all when absent"
        ),
    ] = None,
    exclude_kinds: Annotated[
        str | None, Query(max_length=100, description="kinds left out, comma-separated, e.g. plenary,motion")
    ] = None,
    key: Annotated[bool | None, Query(description="only key items (true) or only the others (false)")] = None,
    collective: Annotated[
        bool | None, Query(description="only collective items (集体提案, true) or only the others (false)")
    ] = None,
) -> Statistics:
    """办理情况统计: counts, rates and outcome shares of a body's session, for its committee staff
    and supervising leaders, or anyone once the body publishes them (evaluation rules,
    ``statistics_published``). 404 for a session the service has no item of. The outcome shares
    the seeds publish are over the 提案: ``kinds=individual,joint,group`` (or
    ``exclude_kinds=plenary,motion``); 建议案 and 议案 are lines of their own."""
    return await statistics.statistics(
        session=session,
        calendar=calendar,
        principal=principal,
        body_id=body_id,
        session_id=session_id,
        kind=kind,
        category=category,
        kinds=_listed(kinds),
        exclude_kinds=_listed(exclude_kinds),
        key=key,
        collective=collective,
    )


def _listed(value: str | None) -> list[str] | None:
    return [part.strip() for part in value.split(",") if part.strip()] if value else None


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
