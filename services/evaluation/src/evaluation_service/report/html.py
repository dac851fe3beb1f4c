"""The report as one self-contained HTML page: text, tables and the charts as inline SVG."""

from html import escape

from evaluation_service.report.charts import charts
from evaluation_service.report.document import UNIT_HEADER, Report, kind_label

CSS = """
body{font-family:'Noto Serif CJK SC','Songti SC',SimSun,serif;max-width:960px;margin:2em auto;padding:0 1em;
line-height:1.9;color:#222}
h1{text-align:center;font-size:1.6em;margin-bottom:0}.subtitle{text-align:center;color:#555;margin-top:.3em}
h2{font-size:1.2em;margin-top:1.6em}p{text-indent:2em}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:1em 0}
th,td{border:1px solid #999;padding:.25em .4em;text-align:center}th{background:#f0f0f0}
td.name{text-align:left}figure{margin:1.5em 0;text-align:center}figure svg{max-width:100%;height:auto}
.weights{color:#444;font-size:.9em;text-indent:0}
"""


def _table(header: list[str] | tuple[str, ...], rows: list[list[str | int | float | None]], name_col: int = -1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = "—" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))
            cls = ' class="name"' if i == name_col else ""
            cells.append(f"<td{cls}>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(report: Report) -> str:
    figs = {caption: svg for caption, svg in charts(report)}
    (outcome_fig, category_fig, unit_fig) = (
        f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>" for caption, svg in figs.items()
    )
    s = report.stats
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}{escape(report.subtitle)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
    ]
    if report.subtitle:
        parts.append(f"<p class='subtitle'>{escape(report.subtitle)}</p>")
    for section in report.sections:
        parts.append(f"<h2>{escape(section.heading)}</h2>")
        parts.extend(f"<p>{escape(p)}</p>" for p in section.paragraphs)
        if section.key == "overview":
            kinds: list[list[str | int | float | None]] = [
                [kind_label(k), b.filed, b.registered] for k, b in (report.kinds or s.by_kind).items()
            ]
            cats: list[list[str | int | float | None]] = [[c, b.filed, b.registered] for c, b in s.by_category.items()]
            parts.append(_table(("类型", "收到件数", "立案件数"), kinds, 0))
            parts.append(_table(("类别", "收到件数", "立案件数"), cats, 0))
            parts.append(category_fig)
        elif section.key == "outcomes":
            rows: list[list[str | int | float | None]] = [
                [f"{cls}类", sh.count, sh.percent_text] for cls, sh in s.outcomes.items()
            ]
            parts.append(_table(("办理结果", "件数", "占比"), rows, 0))
            parts.append(outcome_fig)
        elif section.key == "units":
            parts.append(_table(UNIT_HEADER, report.unit_rows(), 1))
            parts.append(f"<p class='weights'>{escape(report.weights_text)}</p>")
            parts.append(unit_fig)
    parts.append("</body></html>")
    return "\n".join(parts)
