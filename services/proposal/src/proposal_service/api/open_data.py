"""GET /open-data/items: a body's published items for anyone, as CSV or JSON, streamed."""

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from proposal_service.domain import open_data
from servicekit.csvfile import spreadsheet_cell
from servicekit.runtime import SessionDep, service_runtime

router = APIRouter(tags=["open data"])
CHUNK = 64 * 1024


class OpenDataFormat(StrEnum):
    csv = "csv"
    json = "json"


MEDIA_TYPES = {OpenDataFormat.csv: "text/csv; charset=utf-8", OpenDataFormat.json: "application/json"}


async def _csv(request: Request, sessions: dict[str, str]) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM (Excel), CRLF; formula-looking cells quoted. The stream reads with a
    session of its own: the request's has ended by the time the body is written."""
    yield "\ufeff".encode()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(open_data.CSV_HEADER)
    async with service_runtime(request.app).database.session(read_only=True) as session:
        async for item in open_data.open_items(session, sessions):
            writer.writerow([spreadsheet_cell(v) for v in open_data.csv_row(item)])
            if out.tell() >= CHUNK:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
    yield out.getvalue().encode("utf-8")


async def _json(request: Request, sessions: dict[str, str]) -> AsyncIterator[bytes]:
    """One JSON array, written an item at a time."""
    yield b"["
    first = True
    async with service_runtime(request.app).database.session(read_only=True) as session:
        async for item in open_data.open_items(session, sessions):
            yield (b"" if first else b",") + json.dumps(item, ensure_ascii=False).encode("utf-8")
            first = False
    yield b"]"


@router.get(
    "/open-data/items",
    operation_id="open_data_items",
    response_class=StreamingResponse,
    responses={
        200: {"description": "the published items", "content": {m: {} for m in MEDIA_TYPES.values()}},
        404: {"description": "the session does not exist or is not published"},
    },
)
async def open_data_items(
    request: Request,
    session: SessionDep,
    body_id: Annotated[str, Query(max_length=36, description="the body whose published items are listed")],
    session_id: Annotated[
        str | None, Query(max_length=36, description="one published session; all the body's published ones when absent")
    ] = None,
    format: Annotated[
        OpenDataFormat, Query(description="csv (UTF-8 with BOM) or json (an array)")
    ] = OpenDataFormat.csv,
) -> StreamingResponse:
    """公开数据: the registered items of the body's published sessions, for anyone, signed in or not,
    with only public facts (session, 案号, 案由, kind, category, key, status, registration date, the
    units handling it): no declined, merged or withdrawn items, no proposers, accounts, notes or
    text. JSON objects: session_id, session, number, title, kind, category, key, status,
    registered_on, units [{unit, role}]."""
    sessions = await open_data.published_sessions(session, body_id, session_id)
    stream = _csv(request, sessions) if format is OpenDataFormat.csv else _json(request, sessions)
    name = f"open-data-{session_id or body_id}.{format.value}"
    # A header is latin-1: every character beyond ASCII letters, digits and ._- becomes _ (a body id
    # with á once made the header unencodable: a 500 found by the fuzz run).
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return StreamingResponse(
        stream, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{safe}"'}
    )
