"""A proposal's whole dossier in one call, for clients: the item with its cosigners and
timeline (proposal service), its assignments, handling records and replies (assignment
service) and its evaluations (evaluation service), fetched concurrently with the caller's
own token, so each service applies its own visibility rules.

The item itself is required: if the proposal service cannot show it, that answer (404,
503, ...) is the dossier's. Every other part that fails is left empty and named in
``missing`` with the reason, never a 500.
"""

import asyncio
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway_service.api.deps import UpstreamsDep
from gateway_service.proxy import Upstreams
from gateway_service.routes import API
from servicekit.errors import Problem


class MissingPart(BaseModel):
    part: str
    reason: str


class Dossier(BaseModel):
    proposal: dict[str, Any]
    timeline: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    handling_records: dict[str, list[dict[str, Any]]] = {}
    replies: list[dict[str, Any]] = []
    evaluations: list[dict[str, Any]] = []
    missing: list[MissingPart] = []


PARTS = {
    "timeline": ("proposal", "/proposals/{id}/timeline"),
    "assignments": ("assignment", "/proposals/{id}/assignments"),
    "replies": ("assignment", "/proposals/{id}/replies"),
    "evaluations": ("evaluation", "/proposals/{id}/evaluations"),
}


async def _part(upstreams: Upstreams, request: Request, service: str, path: str) -> tuple[Any, str | None]:
    """A part's entries (every page of the list), or None and why it is missing. A 404 is an
    empty part: the service has nothing on the item that the caller may see (not assigned
    yet, for instance)."""
    entries: list[Any] = []
    cursor: str | None = None
    while True:
        query = urlencode({"limit": 200, **({"cursor": cursor} if cursor else {})})
        try:
            response = await upstreams.call(service, "GET", path, request, query=query)
        except Problem as problem:
            return None, problem.detail or problem.title
        if response.status_code == 404:
            return [], None
        if response.status_code != 200:
            return None, f"the {service} service answered {response.status_code}"
        page = response.json()
        entries += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return entries, None


router = APIRouter(tags=["dossier"])


@router.get(f"{API}/proposals/{{proposal_id}}/dossier", operation_id="get_dossier", response_model=Dossier)
async def get_dossier(proposal_id: str, request: Request, upstreams: UpstreamsDep) -> Any:
    pid = quote(proposal_id, safe="")
    item = upstreams.call("proposal", "GET", f"/proposals/{pid}", request)
    others = [_part(upstreams, request, service, path.format(id=pid)) for service, path in PARTS.values()]
    first, *rest = await asyncio.gather(item, *others)
    if first.status_code != 200:
        return JSONResponse(first.json(), status_code=first.status_code, media_type=first.headers.get("content-type"))
    dossier = Dossier(proposal=first.json())
    for name, (data, reason) in zip(PARTS, rest, strict=True):
        if reason is not None:
            dossier.missing.append(MissingPart(part=name, reason=reason))
        else:
            setattr(dossier, name, data)
    records = await asyncio.gather(
        *(
            _part(upstreams, request, "assignment", f"/assignments/{quote(a['id'], safe='')}/records")
            for a in dossier.assignments
        )
    )
    for assignment, (data, reason) in zip(dossier.assignments, records, strict=True):
        if reason is not None:
            dossier.missing.append(MissingPart(part=f"handling_records:{assignment['id']}", reason=reason))
        elif data:
            dossier.handling_records[assignment["id"]] = data
    return dossier
