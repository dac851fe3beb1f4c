"""A handling plan's progress and current phase, from its milestones' dates and its phases as
stored (plans.get_plan reads them). Pure: plain values and today's date in the body's time zone."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol


class MilestoneDates(Protocol):
    """What the progress reads of a milestone (models.Milestone has it)."""

    @property
    def due_on(self) -> date: ...

    @property
    def done_on(self) -> date | None: ...


def is_overdue(milestone: MilestoneDates, today: date) -> bool:
    """Not reached and its target date is past; due today is not overdue yet."""
    return milestone.done_on is None and milestone.due_on < today


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    overdue: int

    @property
    def share(self) -> float:
        """Milestones reached over all, to three places; 0.0 without milestones (nothing planned
        is not progress)."""
        return round(self.done / self.total, 3) if self.total else 0.0


def tally(milestones: Iterable[MilestoneDates], today: date) -> Progress:
    """Reached and overdue milestones of a task or a whole plan; one reached late counts as reached."""
    total = done = overdue = 0
    for m in milestones:
        total += 1
        done += m.done_on is not None
        overdue += is_overdue(m, today)
    return Progress(total=total, done=done, overdue=overdue)


def current_phase(phases: Sequence[Mapping[str, str | None]], today: date) -> str | None:
    """The name of the first phase, in the plan's order, whose dates (ISO, both ends included)
    hold today; None between phases, outside them, or for phases stored without both dates."""
    for phase in phases:
        starts, ends = phase.get("starts_on"), phase.get("ends_on")
        if starts and ends and date.fromisoformat(starts) <= today <= date.fromisoformat(ends):
            return phase.get("name")
    return None
