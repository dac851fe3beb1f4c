"""Who sees what of a 民主测评 ballot, as pure functions of the ballot, the caller and the tallies:
no Kafka, no database."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from evaluation_service.domain.ballots import Access, BallotRules, ballot_view
from evaluation_service.models import AssemblyBallot, BallotPublic, BallotStatus
from servicekit.auth import ANONYMOUS, Principal, Role

NOW = datetime(2024, 3, 5, 8, tzinfo=UTC)
HOUR = timedelta(hours=1)
RULES = BallotRules(min_electors=5, min_votes=5)
OPTIONS = ["satisfied", "basically_satisfied", "unsatisfied"]

STAFF = Principal(subject="s", role=Role.staff, body_id="b1")
LEADER = Principal(subject="l", role=Role.leader, body_id="b1")
OTHER_STAFF = Principal(subject="o", role=Role.staff, body_id="b2")
MEMBER = Principal(subject="m", role=Role.member, body_id="b1", member_id="m1")
UNIT = Principal(subject="u", role=Role.unit_staff, body_id="b1", unit_id="u1")
ADMIN = Principal(subject="a", role=Role.admin)


def ballot(
    *, status: str = "open", opens_at: datetime = NOW - HOUR, closes_at: datetime | None = None
) -> AssemblyBallot:
    return AssemblyBallot(
        id="ballot",
        body_id="b1",
        session_id="s1",
        proposal_id="p1",
        title="对建议案办理情况的测评",
        options=OPTIONS,
        eligible=8,
        status=status,
        opens_at=opens_at,
        closes_at=closes_at,
        closed_at=NOW if status == "closed" else None,
        created_by="staff:s",
        created_at=NOW - 2 * HOUR,
    )


OPEN, CLOSED = ballot(), ballot(status="closed")
VOTES = Counter(satisfied=4, basically_satisfied=1, unsatisfied=1)
COMMENTS = ["好", "办理及时", "还需改进"]


def view(
    b: AssemblyBallot, principal: Principal, *, voted: bool | None = None, counts: Counter[str] = VOTES
) -> BallotPublic:
    """The view of ``b`` for ``principal`` given all its votes (six by default) and three comments,
    whatever the caller may see of them: the view leaves out what is not theirs to see."""
    access = Access.of(b, principal, voted, NOW)
    assert access.visible
    return ballot_view(b, access, voters=counts.total(), counts=counts, comments=COMMENTS, rules=RULES)


# --- status --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b", "status"),
    [
        (ballot(), BallotStatus.open),
        (ballot(opens_at=NOW + HOUR), BallotStatus.scheduled),
        (ballot(closes_at=NOW + HOUR), BallotStatus.open),
        (ballot(closes_at=NOW), BallotStatus.closed),  # closes_at passed: nothing can change any more
        (ballot(opens_at=NOW + HOUR, closes_at=NOW), BallotStatus.closed),
        (ballot(status="closed", closes_at=NOW + HOUR), BallotStatus.closed),
    ],
)
def test_the_status_a_caller_sees(b: AssemblyBallot, status: BallotStatus) -> None:
    assert Access.of(b, STAFF, None, NOW).status == status


# --- who sees the ballot -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "voted", "visible"),
    [
        (STAFF, None, True),
        (LEADER, None, True),
        (MEMBER, False, True),  # an elector who has not voted yet
        (MEMBER, True, True),
        (MEMBER, None, False),  # a member not on the roll
        (OTHER_STAFF, None, False),
        (UNIT, None, False),
        (ADMIN, None, False),
        (ANONYMOUS, None, False),
    ],
)
def test_who_sees_a_ballot(principal: Principal, voted: bool | None, visible: bool) -> None:
    assert Access.of(OPEN, principal, voted, NOW).visible is visible


# --- while open ----------------------------------------------------------------------------------


@pytest.mark.parametrize("principal", [STAFF, LEADER])
def test_staff_see_the_turnout_of_an_open_ballot_but_no_result(principal: Principal) -> None:
    v = view(OPEN, principal)
    assert (v.status, v.voters, v.voted, v.results, v.results_withheld) == (BallotStatus.open, 6, None, None, False)
    assert v.turnout is not None and (v.turnout.numerator, v.turnout.denominator, v.turnout.percent) == (6, 8, "75.0%")


@pytest.mark.parametrize("voted", [False, True])
def test_an_elector_sees_whether_they_voted_but_not_the_turnout_while_open(voted: bool) -> None:
    v = view(OPEN, MEMBER, voted=voted)
    assert (v.voted, v.voters, v.turnout, v.results, v.results_withheld) == (voted, None, None, None, False)


def test_a_scheduled_ballot_shows_no_result() -> None:
    v = view(ballot(opens_at=NOW + HOUR), STAFF, counts=Counter())
    assert (v.status, v.voters, v.results) == (BallotStatus.scheduled, 0, None)


# --- once closed ---------------------------------------------------------------------------------


def test_staff_see_the_results_and_the_comments_sorted_by_their_text_once_closed() -> None:
    v = view(CLOSED, STAFF)
    assert (v.status, v.voters, v.results_withheld, v.min_votes) == (BallotStatus.closed, 6, False, 5)
    assert v.results is not None
    assert list(v.results.counts) == OPTIONS  # in the ballot's order
    assert {o: (s.count, s.percent_text) for o, s in v.results.counts.items()} == {
        "satisfied": (4, "66.7%"),
        "basically_satisfied": (1, "16.7%"),
        "unsatisfied": (1, "16.7%"),
    }
    assert (v.results.satisfaction_rate.numerator, v.results.satisfaction_rate.denominator) == (5, 6)
    assert v.results.satisfaction_rate.percent == "83.3%"
    assert v.results.comments == sorted(COMMENTS) != COMMENTS


def test_an_elector_sees_the_results_and_turnout_of_a_closed_ballot_but_no_comment() -> None:
    v = view(CLOSED, MEMBER, voted=True)
    assert (v.voters, v.voted, v.results_withheld) == (6, True, False)
    assert v.turnout is not None and v.turnout.percent == "75.0%"
    assert v.results is not None and v.results.comments is None
    assert v.results.counts["satisfied"].count == 4


def test_a_ballot_whose_closes_at_passed_reads_as_closed_with_its_results() -> None:
    v = view(ballot(closes_at=NOW - HOUR), MEMBER, voted=False)
    assert v.status == BallotStatus.closed and v.closed_at is None  # staff have not closed it yet
    assert v.results is not None and v.voters == 6


@pytest.mark.parametrize("principal", [STAFF, MEMBER])
def test_results_of_a_ballot_closed_with_too_few_votes_are_withheld(principal: Principal) -> None:
    v = view(CLOSED, principal, voted=True if principal is MEMBER else None, counts=Counter(satisfied=4))
    assert (v.results, v.results_withheld, v.voters) == (None, True, 4)
    assert v.turnout is not None and v.turnout.percent == "50.0%"


def test_exactly_the_minimum_of_votes_publishes() -> None:
    v = view(CLOSED, STAFF, counts=Counter(satisfied=5))
    assert v.results is not None and not v.results_withheld
    assert v.results.satisfaction_rate.percent == "100.0%"


def test_a_staff_view_without_comments_has_an_empty_list() -> None:
    access = Access.of(CLOSED, STAFF, None, NOW)
    v = ballot_view(CLOSED, access, voters=5, counts=Counter(unsatisfied=5), comments=[], rules=RULES)
    assert v.results is not None and v.results.comments == []
    assert v.results.counts["satisfied"].count == 0 and v.results.satisfaction_rate.percent == "0.0%"


def test_what_is_read_for_a_caller() -> None:
    """views_of reads the voters only where the turnout is shown, and counts and comments only
    where they are published (comments for staff): the same rules as the view's."""
    member_open = Access.of(OPEN, MEMBER, True, NOW)
    assert not member_open.turnout_shown and not member_open.published(6, RULES)
    staff_open = Access.of(OPEN, STAFF, None, NOW)
    assert staff_open.turnout_shown and not staff_open.published(6, RULES)
    member_closed = Access.of(CLOSED, MEMBER, False, NOW)
    assert member_closed.turnout_shown and member_closed.published(5, RULES)
    assert not member_closed.published(4, RULES) and not member_closed.staff
