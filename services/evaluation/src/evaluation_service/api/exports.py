"""GET /exports/items: the staff export as CSV or XLSX, streamed."""

import asyncio
import csv
import io
import re
import tempfile
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from evaluation_service.domain import exports
from servicekit.auth import PrincipalDep
from servicekit.csvfile import spreadsheet_cell
from servicekit.runtime import service_runtime

router = APIRouter(tags=["exports"])
CHUNK = 64 * 1024


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _disposition(session_id: str | None, fmt: ExportFormat) -> str:
    stem = session_id or "all"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", stem) or "all"
    name = f"提案办理情况-{stem}.{fmt.value}"
    return f"attachment; filename=\"items-{safe}.{fmt.value}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _csv(request: Request, f: exports.ExportFilter) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM (Excel), CRLF; one chunk per page of rows. The session is the stream's
    own: the request's has ended by the time the body is written."""
    yield "\ufeff".encode()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(exports.HEADER)
    async with service_runtime(request.app).database.session(read_only=True) as session:
        async for row in exports.export_rows(session, f):
            writer.writerow([spreadsheet_cell(v) for v in row])
            if out.tell() >= CHUNK:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
    yield out.getvalue().encode("utf-8")


async def _xlsx(request: Request, f: exports.ExportFilter) -> AsyncIterator[bytes]:
    """openpyxl's write-only workbook keeps its rows in temporary files, not in memory; the
    finished file is spooled to disk and sent in chunks."""
    from openpyxl import Workbook  # imported by the first export, as for the report

    book = Workbook(write_only=True)
    sheet = book.create_sheet("提案办理情况")
    sheet.append(list(exports.HEADER))
    async with service_runtime(request.app).database.session(read_only=True) as session:
        async for row in exports.export_rows(session, f):
            sheet.append([spreadsheet_cell(v) for v in row])
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as spool:
        await asyncio.to_thread(book.save, spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


@router.get(
    "/exports/items",
    operation_id="export_items",
    response_class=StreamingResponse,
    responses={200: {"description": "the items as a file", "content": {m: {} for m in MEDIA_TYPES.values()}}},
)
async def export_items(
    request: Request,
    principal: PrincipalDep,
    body_id: Annotated[str, Query(max_length=36, description="the body whose items are exported")],
    session_id: Annotated[
        str | None, Query(max_length=36, description="one session (届次会议); all when absent")
    ] = None,
    kind: Annotated[
        str | None, Query(max_length=100, description="kinds, comma-separated (individual, joint, group, ...)")
    ] = None,
    status: Annotated[
        str | None,
        Query(
            max_length=100,
            description="statuses, comma-separated: submitted, registered, replied, declined, merged, withdrawn",
        ),
    ] = None,
    category: Annotated[str | None, Query(max_length=50, description="one category; 未分类 for none")] = None,
    format: Annotated[ExportFormat, Query(description="csv (UTF-8 with BOM) or xlsx")] = ExportFormat.csv,
) -> StreamingResponse:
    """提案办理情况导出: a body's items with status, units, replies, outcome and ratings, for its
    committee staff and supervising leaders (members, units and the public: 403/401). Streamed a
    page of items at a time; cells that would start a spreadsheet formula are quoted."""
    exports.may_export(principal, body_id)
    f = exports.ExportFilter.parse(body_id=body_id, session_id=session_id, kind=kind, status=status, category=category)
    body: Any = _csv(request, f) if format is ExportFormat.csv else _xlsx(request, f)
    return StreamingResponse(
        body, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": _disposition(session_id, format)}
    )
