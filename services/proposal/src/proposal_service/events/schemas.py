"""Events the proposal service publishes on its topic (contracts in contracts/events/)."""

from datetime import datetime

from pydantic import BaseModel

from servicekit.events import EventRegistry

registry = EventRegistry(source="/services/proposal")


@registry.register("proposal.submitted", 1)
class ProposalSubmitted(BaseModel):
    proposal_id: str
    title: str
    kind: str
    category: str | None
    lead_proposer: str
    submitted_at: datetime
