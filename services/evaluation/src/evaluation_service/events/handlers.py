"""The explicit table of events the evaluation service consumes."""

from datetime import datetime
from typing import TypedDict

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain import filing, projection, statistics
from servicekit.inbox import ReceivedEvent, Subscriptions

subscriptions = Subscriptions(topics=["proposal.events", "assignment.events"])
# Events that change neither what this service counts nor who may rate.
for _type in (
    "proposal.cosign_invited",
    "proposal.cosign_answered",
    "assignment.acknowledged",
    "assignment.adjustment_requested",
    "assignment.adjustment_refused",
    "assignment.extension_requested",
    "assignment.extension_refused",
    "assignment.opinion_sent",
    "assignment.extended",
    "assignment.due_soon",
    "assignment.rehandling_opened",
    "assignment.reopened",
    "assignment.plan_deliberated",  # not yet in the congress's report (a motion's plan and its hearing)
    "proposal.presidium_decided",  # proposal.registered that follows carries the kind (建议 as_suggestion)
):
    subscriptions.ignore(_type, 1)


class ItemRef(BaseModel):
    """What every proposal event names: the item, its body and session, its kind."""

    proposal_id: str
    body_id: str
    session_id: str
    kind: str


class Names(ItemRef):
    """The names of the body and session, added within v1: None in earlier events."""

    body_name: str | None = None
    session_name: str | None = None
    body_kind: str | None = None
    session_term: int | None = None
    session_meeting: int | None = None


class ProposalSubmitted(Names):
    """The fields of proposal.submitted v1 this service reads."""

    title: str | None = None
    category: str | None = None
    submitted_at: datetime


class ProposalRegistered(Names):
    title: str | None = None
    number: int | None = None
    number_label: str | None = None
    category: str | None = None
    key: bool = False
    lead_member_id: str | None
    cosigner_member_ids: list[str] = []
    registered_at: datetime


class ProposalKeyMarked(ItemRef):
    key: bool


class ProposalCategoryChanged(ItemRef):
    category: str


class ProposalMerged(ItemRef):
    primary_id: str
    lead_member_id: str | None
    cosigner_member_ids: list[str] = []


class AssignmentCreated(BaseModel):
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    role: str


class AssignmentReassigned(AssignmentCreated):
    previous_unit_id: str


class AssignmentOverdue(BaseModel):
    proposal_id: str
    body_id: str
    unit_id: str


class AssignmentReplied(BaseModel):
    reply_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    role: str = "lead"
    round: int
    outcome: str
    on_time: bool
    contacted: bool = False
    replied_at: datetime


class OutcomeClassWording(BaseModel):
    code: str
    label: str
    sentence: str


class HandlingRulesSet(BaseModel):
    body_id: str
    kind: str
    outcome_classes: list[str]
    outcome_labels: list[OutcomeClassWording] = []
    set_at: datetime


class HandlingCompleted(BaseModel):
    proposal_id: str
    body_id: str
    round: int
    outcome: str
    on_time: bool | None = None
    completed_at: datetime


@subscriptions.on("proposal.submitted", 1, ProposalSubmitted)
async def on_proposal_submitted(session: AsyncSession, event: ReceivedEvent[ProposalSubmitted]) -> None:
    p = event.payload
    await filing.record_filed_proposal(
        session=session, proposal_id=p.proposal_id, kind=p.kind, category=p.category, submitted_at=p.submitted_at
    )
    await statistics.record_proposal(
        session=session,
        **_ref(p),
        category=p.category,
        category_rank=statistics.CATEGORY_SUBMITTED,
        title=p.title,
    )
    await statistics.record_session_name(
        session=session,
        body_id=p.body_id,
        session_id=p.session_id,
        body_name=p.body_name,
        session_name=p.session_name,
        body_kind=p.body_kind,
        term=p.session_term,
        meeting=p.session_meeting,
        at=p.submitted_at,
    )


class Ref(TypedDict):
    proposal_id: str
    body_id: str
    session_id: str
    kind: str


def _ref(p: ItemRef) -> Ref:
    return {"proposal_id": p.proposal_id, "body_id": p.body_id, "session_id": p.session_id, "kind": p.kind}


@subscriptions.on("proposal.registered", 1, ProposalRegistered)
async def on_proposal_registered(session: AsyncSession, event: ReceivedEvent[ProposalRegistered]) -> None:
    p = event.payload
    await projection.record_registered(
        session=session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        kind=p.kind,
        lead_member_id=p.lead_member_id,
        cosigner_member_ids=p.cosigner_member_ids,
    )
    await statistics.record_proposal(
        session=session,
        **_ref(p),
        status="registered",
        category=p.category,
        category_rank=statistics.CATEGORY_REGISTERED,
        key=p.key,
        key_rank=statistics.KEY_REGISTERED,
        title=p.title,
        number=p.number,
        number_label=p.number_label,
    )
    await statistics.record_session_name(
        session=session,
        body_id=p.body_id,
        session_id=p.session_id,
        body_name=p.body_name,
        session_name=p.session_name,
        body_kind=p.body_kind,
        term=p.session_term,
        meeting=p.session_meeting,
        at=p.registered_at,
    )


@subscriptions.on("proposal.declined", 1, ItemRef)
async def on_proposal_declined(session: AsyncSession, event: ReceivedEvent[ItemRef]) -> None:
    await statistics.record_proposal(session=session, **_ref(event.payload), status="declined")


@subscriptions.on("proposal.withdrawn", 1, ItemRef)
async def on_proposal_withdrawn(session: AsyncSession, event: ReceivedEvent[ItemRef]) -> None:
    await statistics.record_proposal(session=session, **_ref(event.payload), status="withdrawn")


@subscriptions.on("proposal.key_marked", 1, ProposalKeyMarked)
async def on_proposal_key_marked(session: AsyncSession, event: ReceivedEvent[ProposalKeyMarked]) -> None:
    p = event.payload
    await statistics.record_proposal(session=session, **_ref(p), key=p.key, key_rank=statistics.KEY_MARKED)


@subscriptions.on("proposal.category_changed", 1, ProposalCategoryChanged)
async def on_proposal_category_changed(session: AsyncSession, event: ReceivedEvent[ProposalCategoryChanged]) -> None:
    p = event.payload
    await statistics.record_proposal(
        session=session, **_ref(p), category=p.category, category_rank=statistics.CATEGORY_CHANGED
    )


@subscriptions.on("proposal.merged", 1, ProposalMerged)
async def on_proposal_merged(session: AsyncSession, event: ReceivedEvent[ProposalMerged]) -> None:
    p = event.payload
    members = [m for m in [p.lead_member_id, *p.cosigner_member_ids] if m]
    await projection.record_merged(
        session=session, primary_id=p.primary_id, body_id=p.body_id, kind=p.kind, member_ids=members
    )
    await statistics.record_proposal(session=session, **_ref(p), status="merged")


@subscriptions.on("assignment.created", 1, AssignmentCreated)
async def on_assignment_created(session: AsyncSession, event: ReceivedEvent[AssignmentCreated]) -> None:
    p = event.payload
    await statistics.record_assigned(
        session=session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        unit_id=p.unit_id,
        unit_name=p.unit_name,
        role=p.role,
    )


@subscriptions.on("assignment.reassigned", 1, AssignmentReassigned)
async def on_assignment_reassigned(session: AsyncSession, event: ReceivedEvent[AssignmentReassigned]) -> None:
    p = event.payload
    await statistics.record_reassigned(
        session=session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        previous_unit_id=p.previous_unit_id,
        unit_id=p.unit_id,
        unit_name=p.unit_name,
        role=p.role,
    )


@subscriptions.on("assignment.overdue", 1, AssignmentOverdue)
async def on_assignment_overdue(session: AsyncSession, event: ReceivedEvent[AssignmentOverdue]) -> None:
    p = event.payload
    await statistics.record_overdue(session=session, proposal_id=p.proposal_id, body_id=p.body_id, unit_id=p.unit_id)


@subscriptions.on("assignment.replied", 1, AssignmentReplied)
async def on_assignment_replied(session: AsyncSession, event: ReceivedEvent[AssignmentReplied]) -> None:
    p = event.payload
    await projection.record_reply(
        session=session,
        reply_id=p.reply_id,
        proposal_id=p.proposal_id,
        unit_id=p.unit_id,
        unit_name=p.unit_name,
        round_=p.round,
        outcome=p.outcome,
        on_time=p.on_time,
        replied_at=p.replied_at,
    )
    await statistics.record_unit_reply(
        session=session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        unit_id=p.unit_id,
        unit_name=p.unit_name,
        role=p.role,
        round_=p.round,
        outcome=p.outcome,
        on_time=p.on_time,
        contacted=p.contacted,
    )


@subscriptions.on("handling.completed", 1, HandlingCompleted)
async def on_handling_completed(session: AsyncSession, event: ReceivedEvent[HandlingCompleted]) -> None:
    p = event.payload
    await projection.record_handling_completed(
        session=session, proposal_id=p.proposal_id, body_id=p.body_id, round_=p.round, completed_at=p.completed_at
    )
    await statistics.record_item_replied(
        session=session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        round_=p.round,
        outcome=p.outcome,
        on_time=p.on_time,
    )


@subscriptions.on("assignment.rules_set", 1, HandlingRulesSet)
async def on_rules_set(session: AsyncSession, event: ReceivedEvent[HandlingRulesSet]) -> None:
    p = event.payload
    await projection.record_outcome_wording(
        session=session,
        body_id=p.body_id,
        kind=p.kind,
        classes=p.outcome_classes,
        labels=[label.model_dump() for label in p.outcome_labels],
        set_at=p.set_at,
    )
