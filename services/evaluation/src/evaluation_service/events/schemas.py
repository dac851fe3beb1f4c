"""Events the evaluation service publishes on its topic (contracts in contracts/events/)."""

from datetime import datetime

from pydantic import BaseModel

from servicekit.events import EventRegistry

registry = EventRegistry(source="/services/evaluation")


@registry.register("evaluation.submitted", 1)
class EvaluationSubmitted(BaseModel):
    """A proposer rated a unit's reply (满意度测评) on contact, attitude and result."""

    evaluation_id: str
    proposal_id: str
    body_id: str
    round: int
    unit_id: str
    member_id: str
    contact: str  # satisfied | basically_satisfied | unsatisfied
    attitude: str
    result: str
    submitted_at: datetime


@registry.register("evaluation.unsatisfied", 1)
class EvaluationUnsatisfied(BaseModel):
    """A proposer is unsatisfied with a unit's result: the assignment service reopens the handling."""

    evaluation_id: str
    proposal_id: str
    body_id: str
    round: int
    unit_id: str
    member_id: str
    comment: str | None = None
    submitted_at: datetime


@registry.register("evaluation.completed", 1)
class EvaluationCompleted(BaseModel):
    """The evaluation of a round is over (all rated, or the window closed) and no rehandling follows:
    the item is closed."""

    proposal_id: str
    body_id: str
    round: int
    completed_at: datetime


@registry.register("assembly_evaluation.opened", 1)
class AssemblyEvaluationOpened(BaseModel):
    """Staff opened a 民主测评 ballot: the members of its electorate rate one item (normally a
    plenary recommendation, 建议案) at a session. ``elector_member_ids`` (the electorate, ids only;
    never who voted how) was added within v1 so the notification service can invite them; empty in
    events from before."""

    ballot_id: str
    body_id: str
    session_id: str
    proposal_id: str
    title: str
    options: list[str]  # satisfied | basically_satisfied | unsatisfied, in the ballot's order
    eligible: int
    opens_at: datetime
    closes_at: datetime | None = None
    elector_member_ids: list[str] = []


@registry.register("assembly_evaluation.closed", 1)
class AssemblyEvaluationClosed(BaseModel):
    """Staff closed a 民主测评 ballot; its results and turnout are published. Percentages have one
    decimal, rounded half up; the option shares are 0.0% and the satisfaction null when nobody voted."""

    ballot_id: str
    body_id: str
    session_id: str
    proposal_id: str
    title: str
    options: list[str]
    eligible: int
    voters: int
    turnout_percent: str  # voters / eligible, e.g. "80.0%"
    counts: dict[str, int]  # votes per option
    percents: dict[str, str]  # votes per option / voters
    satisfaction_percent: str | None  # (satisfied + basically_satisfied) / voters
    closed_at: datetime
    # Fewer votes than the service's minimum: counts and percents are empty and the satisfaction
    # null, so that no one's vote can be told from them (voters and turnout are still given).
    results_withheld: bool = False
