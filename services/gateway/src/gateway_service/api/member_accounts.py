"""Sign-in accounts for a body's imported members, each with a one-time activation code (ADR 21).

The members are the proposal service's: the gateway reads the body's directory there with the
caller's own token (so the service's rules on who may read it apply) and makes an account for each
member who has none, named by the member's code (编号) in lower case.
"""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from gateway_service.accounts import service
from gateway_service.accounts.api import IdentityDep, IssuerDep, problems
from gateway_service.accounts.models import MemberAccounts
from gateway_service.api.deps import UpstreamsDep
from gateway_service.proxy import Upstreams
from gateway_service.routes import API
from servicekit.errors import Problem
from servicekit.runtime import SessionDep

# A directory larger than this is read in several calls; more pages than this is refused.
_MAX_PAGES = 100


async def _directory(upstreams: Upstreams, request: Request, body_id: str) -> list[dict[str, Any]] | JSONResponse:
    """The body's members (a bare list or cursor pages), or the service's refusal as it is."""
    members: list[dict[str, Any]] = []
    query = ""
    for _ in range(_MAX_PAGES):
        answer = await upstreams.call(
            "proposal", "GET", f"/bodies/{quote(body_id, safe='')}/members", request, query=query
        )
        if answer.status_code != 200:
            return JSONResponse(
                answer.json(), status_code=answer.status_code, media_type=answer.headers.get("content-type")
            )
        data = answer.json()
        if isinstance(data, list):
            return members + data
        members += data["items"]
        if not data.get("next_cursor"):
            return members
        query = f"limit=200&cursor={quote(data['next_cursor'], safe='')}"
    raise Problem(502, "directory_too_large", "Directory Too Large", "the member directory has too many pages")


router = APIRouter(tags=["accounts"])


@router.post(
    f"{API}/bodies/{{body_id}}/member-accounts",
    operation_id="create_member_accounts",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberAccounts,
    responses=problems(401, 403, 404, 409),
)
async def create_member_accounts(
    body_id: str,
    request: Request,
    issuer: IssuerDep,
    session: SessionDep,
    identity: IdentityDep,
    response: Response,
    upstreams: UpstreamsDep,
) -> Any:
    """Sign-in accounts for the body's members who have none yet (after a member import): user
    name the member's code in lower case, no password, and a one-time activation code each,
    shown in this answer only (the member sets a password with it at POST /auth/activate; it
    expires after GATEWAY_ACTIVATION_CODE_TTL_S, 14 days by default). Members without a code, or
    whose code is another account's name, are listed as skipped. Calling it again makes only the
    missing accounts. Administrators, or the body's staff."""
    members = await _directory(upstreams, request, body_id)
    if isinstance(members, JSONResponse):
        return members
    response.headers["Cache-Control"] = "no-store"
    return await service.create_member_accounts(
        session=session, identity=identity, body_id=body_id, members=members, by=issuer
    )
