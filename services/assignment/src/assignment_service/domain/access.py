"""Who may see and do what (pure rules).

- The body's staff (提案委) and supervising leaders see every assignment of the body;
  only staff assign and decide requests.
- Unit staff see and act on their own unit's assignments; a co-handler sees only
  what it co-handles, while the lead unit also reads its co-handlers' opinions.
- A member sees the assignments and the publishable replies of their own items
  (as lead proposer or cosigner).
- Anyone else gets 404, as if the item did not exist.
"""

from assignment_service.models import Assignment, AssignmentStatus, ProposalProjection
from servicekit.auth import Principal, Role, forbidden
from servicekit.errors import NotFound


def is_body_staff(principal: Principal, body_id: str | None) -> bool:
    return body_id is not None and principal.is_staff_of(body_id)


def is_reviewer(principal: Principal, body_id: str | None) -> bool:
    return principal.role == Role.staff and body_id is not None and principal.body_id == body_id


def is_proposer(principal: Principal, item: ProposalProjection) -> bool:
    return (
        principal.role == Role.member
        and principal.member_id is not None
        and (principal.member_id == item.lead_member_id or principal.member_id in item.cosigner_member_ids)
    )


def is_unit_of(principal: Principal, assignment: Assignment) -> bool:
    """The caller is staff of the assignment's unit, and the assignment has been sent (not just prepared)."""
    return (
        principal.role == Role.unit_staff
        and principal.unit_id == assignment.unit_id
        and assignment.status != AssignmentStatus.prepared
    )


def require_reviewer(principal: Principal, body_id: str | None) -> None:
    if not is_reviewer(principal, body_id):
        raise forbidden("this decision is for the body's committee staff")


def require_unit(principal: Principal, assignment: Assignment) -> None:
    if not is_unit_of(principal, assignment):
        raise forbidden("only the assigned unit may act on this assignment")


def hidden(what: str, ident: str) -> NotFound:
    return NotFound(what, ident)
