import asyncio
import re
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from evaluation_service.api.deps import CalendarDep
from evaluation_service.report.document import build_report
from evaluation_service.report.html import render_html
from evaluation_service.report.pdf import render_pdf
from evaluation_service.report.tables import render_csv, render_xlsx
from servicekit.auth import PrincipalDep
from servicekit.runtime import SessionDep

router = APIRouter(tags=["report"])


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    xlsx = "xlsx"
    csv = "csv"


MEDIA_TYPES = {
    ReportFormat.html: "text/html; charset=utf-8",
    ReportFormat.pdf: "application/pdf",
    ReportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.csv: "text/csv; charset=utf-8",
}


def content_disposition(session_id: str, fmt: ReportFormat) -> str:
    """An ASCII ``filename`` for old clients and the Chinese name as RFC 5987 ``filename*``;
    HTML is shown inline, the other formats are downloads."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", session_id) or "session"
    name = f"提案办理情况通报-{session_id}.{fmt.value}"
    disposition = "inline" if fmt is ReportFormat.html else "attachment"
    return f"{disposition}; filename=\"annual-report-{safe}.{fmt.value}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(
    "/reports/annual",
    operation_id="get_annual_report",
    response_class=Response,
    responses={
        200: {
            "description": "the report in the asked format",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        }
    },
)
async def get_annual_report(
    request: Request,
    session: SessionDep,
    calendar: CalendarDep,
    principal: PrincipalDep,
    body_id: Annotated[str, Query(max_length=36, description="the body whose report is asked for")],
    session_id: Annotated[str, Query(max_length=36, description="the session (届次会议) reported on")],
    format: Annotated[
        ReportFormat, Query(description="html (inline SVG charts), pdf, xlsx or csv")
    ] = ReportFormat.html,
) -> Response:
    """提案办理情况通报: the annual report of one body's session, generated from the statistics,
    for the body's committee staff and supervising leaders, or anyone once the body publishes its
    statistics (evaluation rules, ``statistics_published``; 401/403 otherwise; 404 for a session the
    service has no item of). HTML and PDF hold the text, tables and charts; XLSX the overall,
    per-unit and per-category/kind tables; CSV the per-unit table, UTF-8 with a BOM so that Excel
    opens it correctly."""
    report = await build_report(
        session=session, calendar=calendar, principal=principal, body_id=body_id, session_id=session_id
    )
    content: bytes
    if format is ReportFormat.html:
        content = render_html(report).encode("utf-8")
    elif format is ReportFormat.pdf:
        # reportlab and openpyxl are CPU-bound: off the event loop
        content = await asyncio.to_thread(render_pdf, report, font=request.app.state.report_font)
    elif format is ReportFormat.xlsx:
        content = await asyncio.to_thread(render_xlsx, report)
    else:
        content = render_csv(report)
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": content_disposition(session_id, format)},
    )
