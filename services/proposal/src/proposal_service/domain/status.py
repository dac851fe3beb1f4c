"""The public status of an item: its own filing and review decisions, then the handling stages
learned from the assignment and evaluation services' events.

The decisions follow one table, TRANSITIONS: each action of the proposer or the committee staff,
the statuses it is allowed from, the status it leads to, and the 409 it gets from any other.

Handling events may arrive twice (the inbox drops those) or late and out of
order (two producers, one topic each). Each stage therefore has a position
(round, rank): round 1 is the first handling, each rehandling opens the next
round at rank 0. An event moves the status only when its position is later
than the item's current one, so the result does not depend on arrival order
or on the services' clocks.
"""

from dataclasses import dataclass
from enum import StrEnum

from proposal_service.models import ProposalStatus
from servicekit.errors import conflict

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


class Action(StrEnum):
    """What a proposer, an invited cosigner or the committee staff do to an item."""

    edit = "edit"
    invite_cosigners = "invite_cosigners"
    answer_invitation = "answer_invitation"
    submit = "submit"
    withdraw = "withdraw"
    register = "register"
    decide_motion = "decide_motion"
    decline = "decline"
    merge = "merge"  # the item merged into another
    merge_into = "merge_into"  # the primary item others are merged into
    mark_key = "mark_key"
    change_category = "change_category"


@dataclass(frozen=True)
class Refusal:
    """The 409 of an action from ``statuses`` (None: from any status it is not allowed from).
    ``detail`` is a template: ``{status}``, and the facts the caller passes (check_transition)."""

    code: str
    detail: str
    statuses: frozenset[ProposalStatus] | None = None


@dataclass(frozen=True)
class Transition:
    """A row of TRANSITIONS: an action's allowed statuses, where it leads, its refusals."""

    allowed_from: frozenset[ProposalStatus]
    to: ProposalStatus | None  # None: the action keeps the status
    refusals: tuple[Refusal, ...]  # the first whose statuses match answers


_DRAFT = frozenset({ProposalStatus.draft})
_SUBMITTED = frozenset({ProposalStatus.submitted})
# Submitted or registered: open to the staff's merges and category changes.
_OPEN = _SUBMITTED | PUBLIC_STATUSES

_DRAFT_ONLY = (Refusal("not_a_draft", "the item is {status}; only drafts can be changed"),)
# A review decision on a registered item names its 案号, on any other status the status.
_REVIEWED_ONCE = (
    Refusal("already_registered", "the item is already registered as {label}", PUBLIC_STATUSES),
    Refusal("not_submitted", "the item is {status}; only submitted items are reviewed"),
)

TRANSITIONS: dict[Action, Transition] = {
    Action.edit: Transition(_DRAFT, None, _DRAFT_ONLY),
    Action.invite_cosigners: Transition(_DRAFT, None, _DRAFT_ONLY),
    Action.answer_invitation: Transition(_DRAFT, None, (Refusal("cosigning_closed", "the item is already {status}"),)),
    Action.submit: Transition(_DRAFT, ProposalStatus.submitted, _DRAFT_ONLY),
    Action.withdraw: Transition(
        _DRAFT | _SUBMITTED,
        ProposalStatus.withdrawn,
        (Refusal("not_withdrawable", "the item is {status}; items can be withdrawn until registration"),),
    ),
    Action.register: Transition(_SUBMITTED, ProposalStatus.registered, _REVIEWED_ONCE),
    Action.decide_motion: Transition(_SUBMITTED, ProposalStatus.registered, _REVIEWED_ONCE),
    Action.decline: Transition(_SUBMITTED, ProposalStatus.declined, _REVIEWED_ONCE),
    Action.merge: Transition(
        _SUBMITTED,
        ProposalStatus.merged,
        (Refusal("not_mergeable", "item {item} is {status}; only submitted items can be merged"),),
    ),
    Action.merge_into: Transition(_OPEN, None, (Refusal("primary_not_open", "the primary item is {status}"),)),
    Action.mark_key: Transition(
        PUBLIC_STATUSES, None, (Refusal("not_registered", "only registered items can be key items"),)
    ),
    Action.change_category: Transition(_OPEN, None, (Refusal("not_open", "the item is {status}"),)),
}


def check_transition(action: Action, status: ProposalStatus, **facts: object) -> ProposalStatus:
    """The status ``action`` leads to from ``status`` (the same one for actions that keep it), or
    the action's 409 when it is not allowed from there. ``facts`` fill the refusal's detail beyond
    the status: ``item`` (the item's id) and ``label`` (its 案号) for the staff's decisions."""
    rule = TRANSITIONS[action]
    if status in rule.allowed_from:
        return status if rule.to is None else rule.to
    refusal = next(r for r in rule.refusals if r.statuses is None or status in r.statuses)
    raise conflict(refusal.code, refusal.detail.format(status=status, **facts))
