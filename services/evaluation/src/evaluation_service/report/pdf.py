"""The report as PDF with reportlab: tables, and the three charts drawn with reportlab.graphics.

Chinese text needs a font. A TrueType CJK font is embedded (subset) when one is found: the file
in ``EVALUATION_REPORT_FONT_FILE``, else Debian's fonts-wqy-microhei (``./dev`` installs it) or
fonts-wqy-zenhei; it must hold Latin letters and digits too (Droid Sans Fallback does not). Without one, the built-in CID font STSong-Light is used: no file
needed, but the text then shows only in readers with an Asian font pack (Acrobat has one; many
others do not), so the service logs a warning at start-up. OpenType/CFF fonts such as Noto CJK
cannot be embedded by reportlab, hence TrueType.
"""

import functools
import logging
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from evaluation_service.models import UnitPerformance
from evaluation_service.report.document import UNIT_HEADER, Report, kind_label

log = logging.getLogger(__name__)

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
CID_FONT = "STSong-Light"


@functools.cache
def register_font(configured: Path | None = None) -> str:
    """Registers the report's Chinese font once and returns its name (see the module docstring)."""
    for path in (configured,) if configured else FONT_CANDIDATES:
        if path.is_file():
            pdfmetrics.registerFont(TTFont("ReportCJK", str(path)))
            return "ReportCJK"
        if configured:
            raise FileNotFoundError(f"EVALUATION_REPORT_FONT_FILE: no such file: {path}")
    log.warning("no TrueType CJK font found; PDF reports use %s, which some readers cannot show", CID_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


@dataclass(frozen=True)
class Styles:
    font: str
    body: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    cell: ParagraphStyle
    small: ParagraphStyle


@functools.cache
def styles(font: str) -> Styles:
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=19, firstLineIndent=22, wordWrap="CJK")
    return Styles(
        font=font,
        body=body,
        title=ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=TA_CENTER, wordWrap="CJK"),
        subtitle=ParagraphStyle("subtitle", parent=body, alignment=TA_CENTER, firstLineIndent=0),
        heading=ParagraphStyle("heading", fontName=font, fontSize=13, leading=22, spaceBefore=8, wordWrap="CJK"),
        cell=ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=10, alignment=TA_CENTER, wordWrap="CJK"),
        small=ParagraphStyle("small", parent=body, fontSize=9, leading=14, firstLineIndent=0),
    )


PALETTE = [colors.HexColor(c) for c in ("#2e7d32", "#1565c0", "#f9a825", "#9e9e9e", "#6a1b9a", "#c62828")]


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: reportlab reads markup, and titles and names may hold < or &."""
    return Paragraph(escape(text), style)


def _text(value: Any) -> str:
    return "—" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


def _table(st: Styles, header: tuple[str, ...], rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    cell = st.cell
    data = [[_para(h, cell) for h in header], *[[_para(_text(v), cell) for v in row] for row in rows]]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _title(drawing: Drawing, text: str, font: str) -> None:
    drawing.add(String(drawing.width / 2, drawing.height - 14, text, fontName=font, fontSize=12, textAnchor="middle"))


def _outcome_chart(report: Report, font: str) -> Drawing:
    drawing = Drawing(440, 210)
    _title(drawing, "图1 办理结果分布", font)
    shares = [(cls, s) for cls, s in report.stats.outcomes.items() if s.count]
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 20, 15, 160, 160
    pie.data = [s.count for _, s in shares] or [1]
    pie.labels = [s.percent_text for _, s in shares] or ["无"]
    pie.simpleLabels = True
    pie.slices.fontName, pie.slices.fontSize = font, 9
    for i in range(len(pie.data)):
        pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
    drawing.add(pie)
    for i, (cls, s) in enumerate(shares):
        y = 160 - i * 20
        drawing.add(String(215, y, f"■ {cls}类 {report.outcome_label(cls)} {s.count}件 {s.percent_text}",
                           fontName=font, fontSize=9, fillColor=PALETTE[i % len(PALETTE)]))  # fmt: skip
    return drawing


def _category_chart(report: Report, font: str) -> Drawing:
    cats = list(report.stats.by_category.items())
    drawing = Drawing(440, 210)
    _title(drawing, "图2 各类别立案件数", font)
    bar = VerticalBarChart()
    bar.x, bar.y, bar.width, bar.height = 40, 30, 380, 150
    bar.data = [[b.registered for _, b in cats] or [0]]
    bar.categoryAxis.categoryNames = [name for name, _ in cats] or ["无"]
    bar.categoryAxis.labels.fontName = font
    bar.categoryAxis.labels.fontSize = 9
    bar.valueAxis.valueMin = 0
    bar.valueAxis.labels.fontSize = 8
    bar.bars[0].fillColor = PALETTE[1]
    bar.barLabelFormat = "%d"
    bar.barLabels.fontSize = 8
    bar.barLabels.nudge = 6
    drawing.add(bar)
    return drawing


UNITS_PER_CHART = 28  # bars of 22 pt: the most one A4 frame (~728 pt) holds; a body's 60 units take three charts


def _unit_charts(report: Report, font: str) -> list[Drawing]:
    """The units' scores in ranking order, in as many charts as it takes (one too tall for a page fails the whole
    PDF)."""
    units = [u for u in report.units.units if u.score is not None]
    chunks = [units[i : i + UNITS_PER_CHART] for i in range(0, len(units), UNITS_PER_CHART)] or [[]]
    return [
        _unit_chart(chunk, font, "图3 承办单位综合得分" + ("（续）" if n else "")) for n, chunk in enumerate(chunks)
    ]


def _unit_chart(ranked: list[UnitPerformance], font: str, title: str) -> Drawing:
    units = ranked[::-1]  # the first is drawn at the top
    height = max(120, 60 + 22 * len(units))
    drawing = Drawing(440, height)
    _title(drawing, title, font)
    bar = HorizontalBarChart()
    bar.x, bar.y, bar.width, bar.height = 110, 20, 300, height - 50
    bar.data = [[u.score or 0.0 for u in units] or [0.0]]
    bar.categoryAxis.categoryNames = [u.unit_name or u.unit_id for u in units] or ["无"]
    bar.categoryAxis.labels.fontName = font
    bar.categoryAxis.labels.fontSize = 9
    bar.valueAxis.valueMin, bar.valueAxis.valueMax = 0, 100
    bar.valueAxis.labels.fontSize = 8
    bar.bars[0].fillColor = PALETTE[0]
    bar.barLabelFormat = "%.1f"
    bar.barLabels.fontSize = 8
    bar.barLabels.nudge = 12
    drawing.add(bar)
    return drawing


def render_pdf(report: Report, *, font: str) -> bytes:
    """``font``: the name ``register_font`` returned."""
    st = styles(font)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{report.title}{report.subtitle}",
        author="提案办理平台",
    )
    s = report.stats
    story: list[Any] = [_para(report.title, st.title)]
    if report.subtitle:
        story.append(_para(report.subtitle, st.subtitle))
    story.append(Spacer(1, 8))
    for section in report.sections:
        story.append(_para(section.heading, st.heading))
        story.extend(_para(p, st.body) for p in section.paragraphs)
        story.append(Spacer(1, 6))
        if section.key == "overview":
            kinds = [[kind_label(k), b.filed, b.registered] for k, b in (report.kinds or s.by_kind).items()]
            cats = [[c, b.filed, b.registered] for c, b in s.by_category.items()]
            story.append(_table(st, ("类型", "收到件数", "立案件数"), kinds, [60 * mm, 40 * mm, 40 * mm]))
            story.append(Spacer(1, 6))
            story.append(_table(st, ("类别", "收到件数", "立案件数"), cats, [60 * mm, 40 * mm, 40 * mm]))
            story.append(KeepTogether([Spacer(1, 6), _category_chart(report, st.font)]))
        elif section.key == "outcomes":
            rows = [
                [f"{cls}类 {report.outcome_label(cls)}", sh.count, sh.percent_text] for cls, sh in s.outcomes.items()
            ]
            story.append(_table(st, ("办理结果", "件数", "占比"), rows, [80 * mm, 30 * mm, 30 * mm]))
            story.append(KeepTogether([Spacer(1, 6), _outcome_chart(report, st.font)]))
        elif section.key == "units":
            story.append(_table(st, UNIT_HEADER, report.unit_rows()))
            story.append(_para(report.weights_text, st.small))
            story.extend(KeepTogether([Spacer(1, 6), chart]) for chart in _unit_charts(report, st.font))
    doc.build(story)
    return buffer.getvalue()
