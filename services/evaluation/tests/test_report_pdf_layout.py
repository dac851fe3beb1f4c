"""The PDF report's layout with as many units as a city's year has: no chart may be taller than a page, or
reportlab fails the whole document (a body with 60 handling units got a 500). Pure: no Kafka, no database."""

import io

from pypdf import PdfReader

from evaluation_service.domain.statistics import (
    OUTCOME_VALUES,
    Asked,
    Ratings,
    Wording,
    groups_of,
    part_groups_of,
    tally,
    unit_tallies,
)
from evaluation_service.models import PerformanceWeights, PerformanceWeightsPublic, StatItem, StatUnit, UnitStatistics
from evaluation_service.report.document import Report, Section
from evaluation_service.report.pdf import UNITS_PER_CHART, register_font, render_pdf


def _report(n_units: int) -> Report:
    items = [
        StatItem(proposal_id=f"p{i}", body_id="b1", session_id="s1", kind="individual", filed=True, registered=True)
        for i in range(n_units)
    ]
    parts = [
        StatUnit(proposal_id=f"p{i}", unit_id=f"u{i:02d}", body_id="b1", unit_name=f"承办单位{i:02d}", role="lead",
                 replied=True, on_time=i % 3 > 0, outcome="A" if i % 2 else "B")
        for i in range(n_units)
    ]  # fmt: skip
    weights = PerformanceWeightsPublic.model_validate(PerformanceWeights(body_id="b1"), from_attributes=True)
    units = UnitStatistics(
        body_id="b1",
        session_id="s1",
        weights=weights,
        outcome_values=OUTCOME_VALUES,
        units=unit_tallies(part_groups_of(parts), [], PerformanceWeights(body_id="b1")),
    )
    stats = tally(Asked(body_id="b1", session_id="s1"), groups_of(items), Ratings([], []), Wording(), "left_unrated")
    return Report(
        body_id="b1",
        session_id="s1",
        title="提案办理情况通报",
        subtitle="",
        stats=stats,
        units=units,
        key_items=[],
        sections=[Section(heading="承办单位办理情况", key="units")],
    )


def test_sixty_units_are_charted_over_several_charts_that_each_fit_a_page() -> None:
    pdf = render_pdf(_report(60), font=register_font(None))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "承办单位59" in text  # every unit is in the table
    charts = -(-60 // UNITS_PER_CHART)
    assert text.count("图3 承办单位综合得分（续）") == charts - 1


def test_a_few_units_take_one_chart() -> None:
    pdf = render_pdf(_report(5), font=register_font(None))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "图3 承办单位综合得分" in text and "（续）" not in text
