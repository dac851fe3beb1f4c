"""Who may see and do what with an item (pure rules; the queries apply the same rules in SQL).

- The drafter and the lead proposer see their items in every status.
- An invited cosigner sees the item they were invited to, drafts included.
- Staff and supervising leaders of a body see the body's items once submitted.
- Everyone else, anonymous included, sees registered items of published sessions.
- A draft is nobody else's business: others get 404, as if it did not exist.
"""

from proposal_service.domain.status import PUBLIC_STATUSES
from proposal_service.models import Proposal, ProposalStatus
from servicekit.auth import Principal, Role
from servicekit.errors import NotFound


def is_proposer(principal: Principal, item: Proposal) -> bool:
    if principal.anonymous:
        return False
    if principal.subject == item.created_by:
        return True
    return (
        principal.role == Role.member and item.lead_member_id is not None and principal.member_id == item.lead_member_id
    )


def can_read(principal: Principal, item: Proposal, *, invited: bool, published: bool) -> bool:
    if is_proposer(principal, item) or invited:
        return True
    if item.status == ProposalStatus.draft:
        return False
    if principal.is_staff_of(item.body_id):
        return True
    return item.status in PUBLIC_STATUSES and published


def is_reviewer(principal: Principal, body_id: str) -> bool:
    """Review decisions are for the body's committee staff (提案委), not its leaders."""
    return principal.role == Role.staff and principal.body_id == body_id


def hidden(item_id: str) -> NotFound:
    return NotFound("proposal", item_id)


def may_configure(principal: Principal, body_id: str) -> bool:
    """Sessions, categories and members are set up by the body's staff or an administrator."""
    return principal.role == Role.admin or (principal.role == Role.staff and principal.body_id == body_id)
