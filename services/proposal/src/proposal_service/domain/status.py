"""The public status of an item: its own review decisions, then the handling stages
learned from the assignment and evaluation services' events.

Handling events may arrive twice (the inbox drops those) or late and out of
order (two producers, one topic each). Each stage therefore has a position
(round, rank): round 1 is the first handling, each rehandling opens the next
round at rank 0. An event moves the status only when its position is later
than the item's current one, so the result does not depend on arrival order
or on the services' clocks.
"""

from proposal_service.models import ProposalStatus

# Statuses an item has once registered, that the public may see once its session is published.
PUBLIC_STATUSES = frozenset(
    {
        ProposalStatus.registered,
        ProposalStatus.assigned,
        ProposalStatus.replied,
        ProposalStatus.evaluated,
        ProposalStatus.closed,
        ProposalStatus.rehandling,
    }
)

HANDLING_RANK = {
    ProposalStatus.rehandling: 0,
    ProposalStatus.assigned: 1,
    ProposalStatus.replied: 2,
    ProposalStatus.evaluated: 3,
    ProposalStatus.closed: 4,
}


def moves_forward(*, current: tuple[int, int], status: ProposalStatus, round_: int) -> bool:
    """Whether a handling event at ``round_`` reaching ``status`` is later than ``current`` (round, rank)."""
    return (round_, HANDLING_RANK[status]) > current


def may_withdraw(status: ProposalStatus) -> bool:
    """A proposer may withdraw until the item is registered."""
    return status in (ProposalStatus.draft, ProposalStatus.submitted)
