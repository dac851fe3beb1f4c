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
