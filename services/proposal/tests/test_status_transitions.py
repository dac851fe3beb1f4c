"""The status transitions of filing and review (proposal_service.domain.status): every action from
every status, allowed or refused with the problem the API answers. Pure: no database, no broker.

The expectations are written out here rather than read from TRANSITIONS, so a change to the table
shows up as a failing case."""

from collections.abc import Callable

import pytest

from proposal_service.domain.status import PUBLIC_STATUSES, TRANSITIONS, Action, check_transition
from proposal_service.models import ProposalStatus as S
from servicekit.errors import Problem

REGISTERED = (S.registered, S.assigned, S.replied, S.evaluated, S.closed, S.rehandling)
OPEN = (S.submitted, *REGISTERED)

# action -> {allowed from-status: status after}; from any other status the action is refused.
ALLOWED: dict[Action, dict[S, S]] = {
    Action.edit: {S.draft: S.draft},
    Action.invite_cosigners: {S.draft: S.draft},
    Action.answer_invitation: {S.draft: S.draft},
    Action.submit: {S.draft: S.submitted},
    Action.withdraw: {S.draft: S.withdrawn, S.submitted: S.withdrawn},
    Action.register: {S.submitted: S.registered},
    Action.decide_motion: {S.submitted: S.registered},
    Action.decline: {S.submitted: S.declined},
    Action.merge: {S.submitted: S.merged},
    Action.merge_into: {s: s for s in OPEN},
    Action.mark_key: {s: s for s in REGISTERED},
    Action.change_category: {s: s for s in OPEN},
}

# The facts review.py gives a refusal (the item's id and 案号); filing.py gives none.
STAFF_FACTS = {"item": "p-1", "label": "联0012"}
STAFF_ACTIONS = {
    Action.register,
    Action.decide_motion,
    Action.decline,
    Action.merge,
    Action.merge_into,
    Action.mark_key,
    Action.change_category,
}


def _reviewed_once(status: S) -> tuple[str, str]:
    if status in REGISTERED:
        return "already_registered", "the item is already registered as 联0012"
    return "not_submitted", f"the item is {status}; only submitted items are reviewed"


# action -> the refusal's (code, detail) from a status it is not allowed from.
REFUSED: dict[Action, Callable[[S], tuple[str, str]]] = {
    Action.edit: lambda s: ("not_a_draft", f"the item is {s}; only drafts can be changed"),
    Action.invite_cosigners: lambda s: ("not_a_draft", f"the item is {s}; only drafts can be changed"),
    Action.answer_invitation: lambda s: ("cosigning_closed", f"the item is already {s}"),
    Action.submit: lambda s: ("not_a_draft", f"the item is {s}; only drafts can be changed"),
    Action.withdraw: lambda s: ("not_withdrawable", f"the item is {s}; items can be withdrawn until registration"),
    Action.register: _reviewed_once,
    Action.decide_motion: _reviewed_once,
    Action.decline: _reviewed_once,
    Action.merge: lambda s: ("not_mergeable", f"item p-1 is {s}; only submitted items can be merged"),
    Action.merge_into: lambda s: ("primary_not_open", f"the primary item is {s}"),
    Action.mark_key: lambda s: ("not_registered", "only registered items can be key items"),
    Action.change_category: lambda s: ("not_open", f"the item is {s}"),
}

CASES = [(action, status) for action in Action for status in S]


def test_the_expectations_cover_every_action() -> None:
    assert set(ALLOWED) == set(REFUSED) == set(TRANSITIONS) == set(Action)
    assert set(REGISTERED) == PUBLIC_STATUSES


@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_every_action_from_every_status(action: Action, status: S) -> None:
    facts = STAFF_FACTS if action in STAFF_ACTIONS else {}
    if status in ALLOWED[action]:
        assert check_transition(action, status, **facts) == ALLOWED[action][status]
        return
    with pytest.raises(Problem) as refused:
        check_transition(action, status, **facts)
    code, detail = REFUSED[action](status)
    assert (refused.value.status, refused.value.title) == (409, "Conflict")
    assert (refused.value.code, refused.value.detail) == (code, detail)
