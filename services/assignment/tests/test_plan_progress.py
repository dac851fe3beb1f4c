"""A handling plan's progress and current phase (assignment_service.domain.plan_progress): pure,
no database, no broker."""

from dataclasses import dataclass
from datetime import date

import pytest

from assignment_service.domain.plan_progress import Progress, current_phase, is_overdue, tally

TODAY = date(2027, 5, 10)


@dataclass(frozen=True)
class M:
    due_on: date
    done_on: date | None = None


def phase(name: str, starts_on: str | None, ends_on: str | None) -> dict[str, str | None]:
    return {"name": name, "starts_on": starts_on, "ends_on": ends_on, "description": None}


@pytest.mark.parametrize(
    ("milestone", "overdue"),
    [
        (M(date(2027, 5, 9)), True),  # due yesterday, not reached
        (M(date(2027, 5, 10)), False),  # due today: not overdue yet
        (M(date(2027, 5, 11)), False),
        (M(date(2027, 5, 1), done_on=date(2027, 5, 9)), False),  # reached late is reached
        (M(date(2027, 6, 1), done_on=date(2027, 5, 2)), False),
    ],
)
def test_a_milestone_is_overdue_when_not_reached_past_its_date(milestone: M, overdue: bool) -> None:
    assert is_overdue(milestone, TODAY) is overdue


def test_no_milestones_is_no_progress() -> None:
    assert tally([], TODAY) == Progress(total=0, done=0, overdue=0)
    assert tally([], TODAY).share == 0.0


def test_all_reached_is_complete_even_when_reached_late() -> None:
    reached = [M(date(2027, 1, 1), done_on=date(2027, 3, 1)), M(date(2027, 9, 1), done_on=date(2027, 4, 1))]
    assert tally(reached, TODAY) == Progress(total=2, done=2, overdue=0)
    assert tally(reached, TODAY).share == 1.0


def test_counts_reached_and_overdue_and_rounds_the_share_to_three_places() -> None:
    milestones = [
        M(date(2027, 4, 1), done_on=date(2027, 4, 1)),
        M(date(2027, 4, 30)),  # overdue
        M(date(2027, 5, 10)),  # due today
    ]
    result = tally(milestones, TODAY)
    assert result == Progress(total=3, done=1, overdue=1)
    assert result.share == 0.333
    assert tally([milestones[0], milestones[0], milestones[2]], TODAY).share == 0.667  # 2/3


def test_tally_reads_an_iterator_once() -> None:
    assert tally(iter([M(date(2027, 4, 1)), M(date(2027, 6, 1))]), TODAY) == Progress(total=2, done=0, overdue=1)


PHASES = [
    phase("动员部署", "2027-03-01", "2027-03-31"),
    phase("集中办理", "2027-04-01", "2027-05-10"),
    phase("总结", "2027-06-01", "2027-06-30"),
]


@pytest.mark.parametrize(
    ("today", "name"),
    [
        (date(2027, 2, 28), None),  # before the first phase
        (date(2027, 3, 1), "动员部署"),  # both ends are in the phase
        (date(2027, 3, 31), "动员部署"),
        (date(2027, 4, 1), "集中办理"),
        (date(2027, 5, 10), "集中办理"),
        (date(2027, 5, 20), None),  # between phases
        (date(2027, 6, 15), "总结"),
        (date(2027, 7, 1), None),  # after the last
    ],
)
def test_the_current_phase_holds_today(today: date, name: str | None) -> None:
    assert current_phase(PHASES, today) == name


def test_overlapping_phases_answer_in_the_plans_order_not_by_date() -> None:
    later_listed_first = [phase("第二阶段", "2027-05-01", "2027-05-31"), phase("第一阶段", "2027-04-01", "2027-05-15")]
    assert current_phase(later_listed_first, TODAY) == "第二阶段"


def test_no_phases_or_undated_phases_have_no_current_one() -> None:
    assert current_phase([], TODAY) is None
    undated = [phase("无开始", None, "2027-12-31"), phase("无结束", "2027-01-01", None)]
    assert current_phase(undated, TODAY) is None
    assert current_phase([*undated, phase("全年", "2027-01-01", "2027-12-31")], TODAY) == "全年"
