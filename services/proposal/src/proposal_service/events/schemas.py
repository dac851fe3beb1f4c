"""Events the proposal service publishes on its topic (contracts in contracts/events/).

Every payload names the item, its body and session, so consumers can keep
projections per body without asking back. Within a version only additive
changes (DESIGN section 4).
"""

from datetime import date, datetime

from pydantic import BaseModel

from servicekit.events import EventRegistry

registry = EventRegistry(source="/services/proposal")


class ItemRef(BaseModel):
    proposal_id: str
    body_id: str
    session_id: str
    kind: str


@registry.register("proposal.submitted", 1)
class ProposalSubmitted(ItemRef):
    """``body_name`` and ``session_name`` (e.g. 政协武汉市委员会, 十四届三次会议) were added within v1
    so that consumers can name the session without asking back; null in events from before.
    ``body_kind`` (cppcc, npc), ``session_term`` and ``session_meeting`` (届, 次会议) were added
    later within v1, so that the annual report can write the formal name (政协武汉市第十四届委员会第三次会议)."""

    title: str
    category: str | None
    lead_proposer: str | None
    submitted_at: datetime
    category_id: str | None = None
    lead_member_id: str | None = None
    cosigner_member_ids: list[str] = []
    group_name: str | None = None
    body_name: str | None = None
    session_name: str | None = None
    body_kind: str | None = None
    session_term: int | None = None
    session_meeting: int | None = None


@registry.register("proposal.withdrawn", 1)
class ProposalWithdrawn(ItemRef):
    withdrawn_at: datetime
    note: str | None


@registry.register("proposal.registered", 1)
class ProposalRegistered(ItemRef):
    """Carries the text as well: the assignment service learns routing suggestions from it.
    ``body_name``, ``session_name``, ``body_kind``, ``session_term`` and ``session_meeting`` as in
    proposal.submitted (added within v1; null before)."""

    number: int
    number_label: str
    title: str
    content: str
    category_id: str | None
    category: str | None
    lead_member_id: str | None
    lead_proposer: str | None
    cosigner_member_ids: list[str]
    group_name: str | None
    key: bool
    registered_at: datetime
    body_name: str | None = None
    session_name: str | None = None
    body_kind: str | None = None
    session_term: int | None = None
    session_meeting: int | None = None


@registry.register("proposal.declined", 1)
class ProposalDeclined(ItemRef):
    reason: str
    note: str
    referral: str
    declined_at: datetime


@registry.register("proposal.merged", 1)
class ProposalMerged(ItemRef):
    """One per merged item; its proposers are still told the outcome of the primary item."""

    primary_id: str
    lead_member_id: str | None
    cosigner_member_ids: list[str]
    merged_at: datetime


@registry.register("proposal.key_marked", 1)
class ProposalKeyMarked(ItemRef):
    key: bool
    supervising_leader: str | None


@registry.register("proposal.category_changed", 1)
class ProposalCategoryChanged(ItemRef):
    category_id: str
    category: str


@registry.register("proposal.cosign_invited", 1)
class ProposalCosignInvited(ItemRef):
    """Members invited to co-sign a draft. The draft's title is carried so the invitation can name
    it (the invitees see the draft anyway); the content is not (ADR 16)."""

    title: str
    lead_member_id: str | None
    member_ids: list[str]
    deadline: datetime
    invited_at: datetime


@registry.register("proposal.cosign_answered", 1)
class ProposalCosignAnswered(ItemRef):
    """An invited member accepted or declined; the lead proposer is told."""

    title: str
    lead_member_id: str | None
    member_id: str
    accepted: bool
    answered_at: datetime


@registry.register("proposal.presidium_decided", 1)
class ProposalPresidiumDecided(ItemRef):
    """The congress's presidium decided on a motion (议案): ``decision`` on_agenda, to_committee or
    as_suggestion; ``kind`` is the item's kind after it (suggestion when it became one),
    ``previous_kind`` motion. proposal.registered follows in the same transaction."""

    decision: str
    decided_on: date
    previous_kind: str
    note: str | None = None
    decided_at: datetime
