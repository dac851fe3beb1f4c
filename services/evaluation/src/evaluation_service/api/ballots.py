from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from evaluation_service.domain import ballots
from evaluation_service.models import BallotCreate, BallotPublic, BallotStatus, VoteCreate
from evaluation_service.settings import EvaluationSettings
from servicekit.auth import SignedInDep
from servicekit.pagination import Page
from servicekit.runtime import OutboxDep, SessionDep

router = APIRouter(prefix="/ballots", tags=["assembly evaluations"])


def rules_of(request: Request) -> ballots.BallotRules:
    """The operator's secrecy thresholds, from the service's settings."""
    settings: EvaluationSettings = request.app.state.runtime.settings
    return ballots.BallotRules(min_electors=settings.ballot_min_electors, min_votes=settings.ballot_min_votes)


RulesDep = Annotated[ballots.BallotRules, Depends(rules_of)]


@router.post("", operation_id="open_ballot", status_code=status.HTTP_201_CREATED, response_model=BallotPublic)
async def open_ballot(
    data: BallotCreate,
    session: SessionDep,
    outbox: OutboxDep,
    principal: SignedInDep,
    response: Response,
    rules: RulesDep,
) -> BallotPublic:
    """民主测评: the body's committee staff open a ballot on one plenary recommendation (建议案)
    for its electorate, all at once. 422 for an item the service does not know or that is not
    a plenary recommendation; 409 while another ballot of the item is open."""
    ballot = await ballots.open_ballot(session=session, outbox=outbox, principal=principal, data=data, rules=rules)
    response.headers["Location"] = f"/ballots/{ballot.id}"
    return (await ballots.views_of(session=session, principal=principal, ballots=[ballot], rules=rules))[0]


@router.get("", operation_id="list_ballots", response_model=Page[BallotPublic])
async def list_ballots(
    session: SessionDep,
    principal: SignedInDep,
    rules: RulesDep,
    body_id: Annotated[str, Query(max_length=36, description="the body whose ballots are listed")],
    session_id: Annotated[str | None, Query(max_length=36, description="one session (届次会议)")] = None,
    proposal_id: Annotated[str | None, Query(max_length=36, description="the ballots of one item")] = None,
    status: BallotStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[BallotPublic]:
    """Newest first: every ballot of the body for its staff and leaders, the ballots a member
    may vote on for a member."""
    rows, next_cursor = await ballots.list_ballots(
        session=session,
        principal=principal,
        body_id=body_id,
        session_id=session_id,
        proposal_id=proposal_id,
        status=status,
        limit=limit,
        cursor=cursor,
        rules=rules,
    )
    return Page(items=rows, next_cursor=next_cursor)


@router.get("/{ballot_id}", operation_id="get_ballot", response_model=BallotPublic)
async def get_ballot(ballot_id: str, session: SessionDep, principal: SignedInDep, rules: RulesDep) -> BallotPublic:
    """The ballot, whether the caller voted, the turnout (staff, while open) and, once closed,
    the results. 404 for a caller who is neither an elector nor the body's staff or leader."""
    return await ballots.get_ballot(session=session, principal=principal, ballot_id=ballot_id, rules=rules)


@router.post(
    "/{ballot_id}/votes",
    operation_id="cast_ballot_vote",
    status_code=status.HTTP_201_CREATED,
    response_model=BallotPublic,
)
async def cast_ballot_vote(
    ballot_id: str, data: VoteCreate, session: SessionDep, principal: SignedInDep, rules: RulesDep
) -> BallotPublic:
    """An elector votes once, secretly: the vote is kept without the voter. 409
    ``already_voted`` for a second vote, ``ballot_closed`` after the close; 403 for a member
    not on the roll."""
    ballot = await ballots.vote(session=session, principal=principal, ballot_id=ballot_id, data=data)
    return (await ballots.views_of(session=session, principal=principal, ballots=[ballot], rules=rules))[0]


@router.post("/{ballot_id}/close", operation_id="close_ballot", response_model=BallotPublic)
async def close_ballot(
    ballot_id: str, session: SessionDep, outbox: OutboxDep, principal: SignedInDep, rules: RulesDep
) -> BallotPublic:
    """Staff close the ballot: the turnout is published (assembly_evaluation.closed), and the
    results when at least ``min_votes`` votes were cast, otherwise they stay secret
    (``results_withheld``). 409 ``already_closed`` the second time."""
    ballot = await ballots.close_ballot(
        session=session, outbox=outbox, principal=principal, ballot_id=ballot_id, rules=rules
    )
    return (await ballots.views_of(session=session, principal=principal, ballots=[ballot], rules=rules))[0]
