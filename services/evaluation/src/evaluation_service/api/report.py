import asyncio
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from evaluation_service.api.deps import CalendarDep
from evaluation_service.report.document import Report, build_report
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


def render(report: Report, fmt: "ReportFormat", font_file: Path | None) -> bytes:
    """The report in ``fmt``. The renderers' libraries are imported here, on the first report a
    process makes, so the many processes that make none do not hold them (about 60 MiB)."""
    if fmt is ReportFormat.html:
        from evaluation_service.report.html import render_html

        return render_html(report).encode("utf-8")
    if fmt is ReportFormat.pdf:
        from evaluation_service.report.pdf import register_font, render_pdf

        return render_pdf(report, font=register_font(font_file))
    from evaluation_service.report.tables import render_csv, render_xlsx

    return render_xlsx(report) if fmt is ReportFormat.xlsx else render_csv(report)


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
        content = render(report, format, None)
    else:
        # reportlab and openpyxl are CPU-bound (and their first import too): off the event loop
        content = await asyncio.to_thread(render, report, format, request.app.state.report_font_file)
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": content_disposition(session_id, format)},
    )
