"""The report's three charts as SVG (pygal): outcome shares (pie), registered items per
category (bar) and units by performance score (horizontal bar). The SVG text is rendered by the
browser, so Chinese needs no font on the server; pygal's external scripts are left out."""

import re
from typing import Any

import pygal
from pygal.style import Style

from evaluation_service.report.document import Report

STYLE = Style(
    background="white",
    plot_background="white",
    font_family="'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', SimSun, sans-serif",
    colors=("#2e7d32", "#1565c0", "#f9a825", "#9e9e9e", "#6a1b9a", "#c62828"),
    title_font_size=18,
    legend_font_size=13,
    label_font_size=12,
    value_font_size=12,
)


def _config(**extra: Any) -> dict[str, Any]:
    return {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 720,
        "height": 360,
        "print_values": True,
        **extra,
    }


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _svg(chart: Any) -> str:
    """The SVG without pygal's inline config script (its interactive script is not loaded)."""
    svg: str = chart.render(is_unicode=True)
    return _SCRIPT.sub("", svg)


def outcome_chart(report: Report) -> str:
    chart = pygal.Pie(**_config(title="办理结果分布", inner_radius=0.35, legend_at_bottom=True))
    for cls, share in report.stats.outcomes.items():
        chart.add(
            f"{cls}类 {report.outcome_label(cls)}",
            [{"value": share.count, "label": share.percent_text}],
            formatter=lambda v, s=share: f"{v}件 {s.percent_text}",
        )
    return _svg(chart)


def category_chart(report: Report) -> str:
    cats = [(name, b.registered) for name, b in report.stats.by_category.items()]
    chart = pygal.Bar(**_config(title="各类别立案件数", show_legend=False))
    chart.x_labels = [name for name, _ in cats]
    chart.add("立案件数", [n for _, n in cats], formatter=lambda v: f"{v}件")
    return _svg(chart)


def unit_chart(report: Report) -> str:
    units = [u for u in report.units.units if u.score is not None][::-1]  # best at the top
    height = max(240, 60 + 34 * len(units))
    chart = pygal.HorizontalBar(**_config(title="承办单位综合得分", show_legend=False, height=height, range=(0, 100)))
    chart.x_labels = [u.unit_name or u.unit_id for u in units]
    chart.add("综合得分", [u.score for u in units], formatter=lambda v: f"{v:.1f}")
    return _svg(chart)


def charts(report: Report) -> list[tuple[str, str]]:
    """(caption, svg) of each chart."""
    return [
        ("图1 办理结果分布", outcome_chart(report)),
        ("图2 各类别立案件数", category_chart(report)),
        ("图3 承办单位综合得分", unit_chart(report)),
    ]
