"""The explicit allow-list of public routes and the service each one goes to.

Nothing reaches a service unless it is listed here: a path that is not
listed is a 404 at the gateway, whatever the services themselves expose.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    service: str
    upstream_path: str
    operation_id: str
    summary: str


API = "/api/v1"

ROUTES: tuple[Route, ...] = (
    Route("POST", f"{API}/proposals", "proposal", "/proposals", "submit_proposal", "提交提案"),
    Route("GET", f"{API}/proposals", "proposal", "/proposals", "list_proposals", "提案列表"),
    Route(
        "GET", f"{API}/proposals/{{proposal_id}}", "proposal", "/proposals/{proposal_id}", "get_proposal", "查看提案"
    ),
    Route(
        "GET",
        f"{API}/handling/proposals/{{proposal_id}}",
        "assignment",
        "/proposals/{proposal_id}",
        "get_handling_proposal",
        "查看提案办理状态",
    ),
    Route("GET", f"{API}/statistics/filing", "evaluation", "/statistics/filing", "get_filing_statistics", "提案统计"),
)
