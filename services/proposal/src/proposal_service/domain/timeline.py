"""An item's timeline (and its cosigners), in full for those on the item and the body's staff, as
public facts for everyone else.

The full trail names accounts ("staff:<id>"), records who declined to cosign and holds staff
notes: the proposers' and the committee's business. A public reader (anonymous, or a member who
is not on the item) sees when its status changed and which office did it (提案委, not an
account), the number it was registered under and the units it was assigned to.
"""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.access import is_proposer
from proposal_service.domain.items import is_invited, load_visible
from proposal_service.models import CosignStatus, Proposal, ProposalPublic, TimelineEntry, TimelineEntryPublic
from servicekit.auth import Principal, Role

# How a public timeline names who acted: the office, never the account.
PUBLIC_ACTORS = {
    Role.member: "提案人",
    Role.staff: "提案委",
    Role.leader: "督办领导",
    Role.unit_staff: "承办单位",
    Role.admin: "系统管理员",
    Role.system: "外部系统",
}
SERVICE_ACTOR = "办理系统"  # events of the other services (assignment, evaluation)

# Actions whose note is itself a public fact: the number given at registration, the unit assigned.
PUBLIC_NOTES = frozenset(
    {"registered", "presidium_decided", "assignment.created", "assignment.reassigned", "assignment.plan_deliberated"}
)


async def sees_full_timeline(session: AsyncSession, principal: Principal, item: Proposal) -> bool:
    """The proposers (lead, drafter, invited cosigners), the body's staff and leaders, administrators."""
    return (
        principal.role == Role.admin
        or principal.is_staff_of(item.body_id)
        or is_proposer(principal, item)
        or await is_invited(session, item, principal)
    )


def public_actor(actor: str) -> str:
    role, sep, _ = actor.partition(":")
    if not sep:
        return SERVICE_ACTOR
    try:
        return PUBLIC_ACTORS[Role(role)]
    except ValueError:
        return SERVICE_ACTOR


def public_entry(entry: TimelineEntry) -> TimelineEntryPublic | None:
    """A status change as the public sees it; anything else (edits, cosigning, invitations, late
    events that changed nothing) is not a public fact."""
    if entry.to_status is None or entry.from_status == entry.to_status:
        return None
    return TimelineEntryPublic(
        id=entry.id,
        at=entry.at,
        actor=public_actor(entry.actor),
        actor_name=None,
        action=entry.action,
        from_status=entry.from_status,
        to_status=entry.to_status,
        note=entry.note if entry.action in PUBLIC_NOTES else None,
    )


async def timeline(*, session: AsyncSession, principal: Principal, proposal_id: str) -> list[TimelineEntryPublic]:
    item = await load_visible(session, principal, proposal_id)
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.proposal_id == proposal_id)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    entries = list((await session.exec(query)).all())
    if await sees_full_timeline(session, principal, item):
        return [TimelineEntryPublic.model_validate(e) for e in entries]
    return [public for e in entries if (public := public_entry(e)) is not None]


def for_reader(item: ProposalPublic, principal: Principal) -> ProposalPublic:
    """The item as ``principal`` may see it: who declined an invitation to cosign, or has not
    answered it, is the proposers' and the committee's business; public readers see the
    cosigners who signed. (Without a query: the drafter who is not the lead is staff.)"""
    insider = (
        principal.role == Role.admin
        or principal.is_staff_of(item.body_id)
        or (principal.member_id is not None and principal.member_id == item.lead_member_id)
        or any(c.member_id == principal.member_id for c in item.cosigners if principal.member_id)
    )
    if insider or all(c.status == CosignStatus.accepted for c in item.cosigners):
        return item
    return item.model_copy(update={"cosigners": [c for c in item.cosigners if c.status == CosignStatus.accepted]})
