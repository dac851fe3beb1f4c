"""The report's tables as XLSX (openpyxl: 总体情况, 承办单位, 类别与类型) and as CSV.

The CSV is the per-unit table only, UTF-8 with a byte-order mark (BOM) so that Excel opens the
Chinese text correctly, comma separated, CRLF line ends; the weights are not a column but the
score's header names them.

Every text cell of both is neutralised against formula injection (OWASP "CSV injection"): names
come from users (a category or unit called "=HYPERLINK(...)"), and a spreadsheet would run them.
"""

import csv
from collections.abc import Iterable
from io import BytesIO, StringIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from evaluation_service.report.document import UNIT_HEADER, Report, kind_label
from servicekit.csvfile import spreadsheet_cell

# A text that would start a formula gets a leading quote (shared with the exports).
cell = spreadsheet_cell


def cells(values: Iterable[object]) -> list[object]:
    return [cell(v) for v in values]


def _header(sheet: Worksheet, widths: list[int]) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = width
    sheet.freeze_panes = "A2"


def render_xlsx(report: Report) -> bytes:
    book = Workbook()
    overall = book.active
    assert overall is not None
    overall.title = "总体情况"
    overall.append(cells(["项目", "数值"]))
    for label, value in report.overall_rows():
        overall.append(cells([label, value]))
    overall.append([])
    overall.append(cells(["标题", f"{report.title}{report.subtitle}"]))
    _header(overall, [28, 40])

    units = book.create_sheet("承办单位")
    units.append(cells([*UNIT_HEADER]))
    for row in report.unit_rows():
        units.append(cells(row))
    units.append([])
    units.append(cells([report.weights_text]))
    for name, value in report.units.weights.model_dump(exclude={"body_id"}).items():
        units.append(cells([f"权重 {name}", value]))
    _header(units, [6, 24, *[11] * (len(UNIT_HEADER) - 2)])

    breakdown = book.create_sheet("类别与类型")
    breakdown.append(cells(["分组", "名称", "收到件数", "立案件数"]))
    for cat, b in report.stats.by_category.items():
        breakdown.append(cells(["类别", cat, b.filed, b.registered]))
    for kind, b in (report.kinds or report.stats.by_kind).items():
        breakdown.append(cells(["类型", kind_label(kind), b.filed, b.registered]))
    _header(breakdown, [8, 20, 12, 12])

    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render_csv(report: Report) -> bytes:
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    weights = report.units.weights
    header = [*UNIT_HEADER]
    header[-1] = (
        f"综合得分(按时{weights.on_time:g}/满意{weights.satisfaction:g}/沟通{weights.contact:g}/结果{weights.outcome:g})"
    )
    writer.writerow(cells(header))
    for row in report.unit_rows():
        writer.writerow(cells("" if v is None else v for v in row))
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
