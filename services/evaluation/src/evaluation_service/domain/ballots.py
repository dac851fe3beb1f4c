"""Assembly evaluations (民主测评): at a session, many members rate one item, normally a plenary
recommendation (建议案), on one ballot. Staff open it with its electorate (the member ids,
up to ``MAX_ELECTORATE``), each elector votes once, staff close it and the results and
turnout are published (assembly_evaluation.closed).

Decisions:

- The item must be known to this service (from the proposal events, ``stat_item``), belong
  to the ballot's body and be of kind ``plenary`` when its kind is known; a declined,
  withdrawn or merged item is refused. The ballot's session is where the vote is held; it
  may be a later session than the item's, so it is not checked against the item's. One
  ballot of an item may be open at a time.
- The electorate is taken as staff give it: this service keeps no member directory (the
  proposal service does). Duplicate ids are counted once.
- Secret ballot (无记名): ``ballot_elector`` records who may vote and whether they have,
  ``ballot_vote`` the option and comment, with neither member nor time, so no result, log or
  row says who voted what. A vote flips the elector's ``voted`` flag with a conditional UPDATE
  in the same transaction as the paper: two concurrent votes of one member give one paper
  and one 409 ``already_voted``.
- Closing: staff close explicitly (the close publishes assembly_evaluation.closed; closing
  twice is a 409). There is no scheduler: once ``closes_at`` has passed, the ballot refuses
  votes (409 ``ballot_closed``) and reads as closed, results included, as nothing can change
  them any more; the event follows when staff close it. Votes before ``opens_at`` are
  refused (409 ``ballot_not_open``).
- Who sees what: the body's staff and leaders see every ballot, the turnout while it is open
  and the comments once closed; an elector sees their ballots and whether they voted; the
  counts, shares and turnout are shown to both once the ballot is closed. Anyone else gets
  404. Only the body's committee staff open and close ballots, and only electors vote: a
  caller of the ballot's body is told so with a 403 (a member learns they are not on the
  roll), anyone else gets 404.
- Secrecy of small ballots (``BallotRules``, settings ``ballot_min_electors`` and
  ``ballot_min_votes``, both 5 by default): a ballot needs that many electors to be opened
  (422 ``too_few_electors``), and its results (counts, shares, satisfaction, comments) are
  published only when at least that many votes were cast. Closed with fewer, the ballot reads
  ``results_withheld`` and its closed event carries the turnout only: otherwise a close after
  one vote would show that voter's choice and comment. Before the close nobody, staff included,
  sees a count or a comment; the turnout is no secret. Comments are published sorted by their
  text, never in the order cast and never with a member id.
- Locking: a vote reads the ballot FOR SHARE and a close FOR UPDATE (PostgreSQL; SQLite has
  one writer), so a close waits for the votes in flight and no vote slips in after the count.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain.statistics import SATISFIED, percent_text, rate
from evaluation_service.events.schemas import AssemblyEvaluationClosed, AssemblyEvaluationOpened
from evaluation_service.models import (
    AssemblyBallot,
    BallotCreate,
    BallotElector,
    BallotPublic,
    BallotResults,
    BallotStatus,
    BallotVote,
    Rate,
    Rating,
    Share,
    StatItem,
    VoteCreate,
)
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow
from servicekit.errors import NotFound, conflict, invalid
from servicekit.outbox import Outbox
from servicekit.pagination import paginate

PLENARY = "plenary"  # 建议案, the proposal service's ProposalKind.plenary
MOTION = "motion"  # 议案: its year-end evaluation by the standing committee's members (seed 004)


@dataclass(frozen=True)
class BallotRules:
    """The operator's secrecy thresholds (EvaluationSettings.ballot_min_electors, ballot_min_votes)."""

    min_electors: int = 5
    min_votes: int = 5

    def publishable(self, voters: int) -> bool:
        return voters >= self.min_votes


def status_of(ballot: AssemblyBallot, now: datetime) -> BallotStatus:
    if ballot.status == BallotStatus.closed or (ballot.closes_at is not None and ballot.closes_at <= now):
        return BallotStatus.closed
    if ballot.opens_at > now:
        return BallotStatus.scheduled
    return BallotStatus.open


def _is_committee_staff(principal: Principal, body_id: str) -> bool:
    return principal.role == Role.staff and principal.is_staff_of(body_id)


# --- use cases -----------------------------------------------------------------------------------


async def open_ballot(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, data: BallotCreate, rules: BallotRules
) -> AssemblyBallot:
    """Staff open a ballot for its electorate at once; assembly_evaluation.opened is announced."""
    if not _is_committee_staff(principal, data.body_id):
        raise forbidden("assembly evaluations are opened by the body's committee staff")
    electorate = list(dict.fromkeys(data.member_ids))
    if len(electorate) < rules.min_electors:
        raise invalid(
            "too_few_electors",
            "member_ids",
            f"a secret ballot needs at least {rules.min_electors} different electors, not {len(electorate)}",
        )
    now = utcnow()
    opens_at = data.opens_at or now
    if data.closes_at is not None and data.closes_at <= max(opens_at, now):
        raise invalid("invalid_period", "closes_at", "closes_at must be later than opens_at and than now")
    # Locking the item's row makes two concurrent opens for one item take turns.
    item = await session.get(StatItem, data.proposal_id, with_for_update=True)
    if item is None or item.body_id != data.body_id:
        raise invalid(
            "unknown_item",
            "proposal_id",
            f"item {data.proposal_id} is not known to the evaluation service for this body (yet)",
        )
    if item.kind is not None and item.kind not in (PLENARY, MOTION):
        raise invalid(
            "not_plenary", "proposal_id", f"assembly evaluations rate plenary recommendations, not {item.kind} items"
        )
    if item.declined or item.withdrawn or item.merged:
        raise conflict("item_not_handled", "the item was declined, withdrawn or merged into another")
    others = await session.exec(
        select(AssemblyBallot).where(
            AssemblyBallot.proposal_id == data.proposal_id, AssemblyBallot.status == BallotStatus.open
        )
    )
    if any(status_of(b, now) != BallotStatus.closed for b in others.all()):
        raise conflict("ballot_exists", "a ballot of this item is already open or scheduled; close it first")
    ballot = AssemblyBallot(
        body_id=data.body_id,
        session_id=data.session_id,
        proposal_id=data.proposal_id,
        title=data.title,
        options=[str(o) for o in data.options],
        eligible=len(electorate),
        opens_at=opens_at,
        closes_at=data.closes_at,
        created_by=principal.actor,
        created_at=now,
    )
    session.add(ballot)
    await session.flush()  # the ballot row before its electors' (foreign key)
    session.add_all(BallotElector(ballot_id=ballot.id, member_id=m) for m in electorate)
    outbox.add(
        session,
        AssemblyEvaluationOpened(
            ballot_id=ballot.id,
            body_id=ballot.body_id,
            session_id=ballot.session_id,
            proposal_id=ballot.proposal_id,
            title=ballot.title,
            options=ballot.options,
            eligible=ballot.eligible,
            opens_at=ballot.opens_at,
            closes_at=ballot.closes_at,
            elector_member_ids=electorate,
        ),
        subject=ballot.proposal_id,
    )
    await session.commit()
    return ballot


async def vote(*, session: AsyncSession, principal: Principal, ballot_id: str, data: VoteCreate) -> AssemblyBallot:
    """An elector casts their one vote; the paper keeps the option and comment, not the voter."""
    ballot = await session.get(AssemblyBallot, ballot_id, with_for_update={"read": True})
    if ballot is None:
        raise NotFound("ballot", ballot_id)
    elector = (
        await session.get(BallotElector, (ballot_id, principal.member_id))
        if principal.role == Role.member and principal.member_id
        else None
    )
    if elector is None:
        if principal.body_id == ballot.body_id and principal.role in (Role.member, Role.staff, Role.leader):
            raise forbidden("only the members on the ballot's roll vote")
        raise NotFound("ballot", ballot_id)
    now = utcnow()
    current = status_of(ballot, now)
    if current == BallotStatus.closed:
        raise conflict("ballot_closed", "the ballot is closed")
    if current == BallotStatus.scheduled:
        raise conflict("ballot_not_open", f"voting opens at {ballot.opens_at.isoformat()}")
    if data.option not in ballot.options:
        raise invalid("unknown_option", "option", f"the ballot's options are {', '.join(ballot.options)}")
    flipped = await session.exec(
        update(BallotElector)
        .where(
            col(BallotElector.ballot_id) == ballot_id,
            col(BallotElector.member_id) == elector.member_id,
            col(BallotElector.voted).is_(False),
        )
        .values(voted=True)
    )
    if flipped.rowcount != 1:
        raise conflict("already_voted", "you have already voted on this ballot")
    comment = data.comment.strip() if data.comment else None
    session.add(BallotVote(ballot_id=ballot_id, option=data.option, comment=comment or None))
    await session.commit()
    return ballot


async def close_ballot(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, ballot_id: str, rules: BallotRules
) -> AssemblyBallot:
    """Staff close the ballot: voting ends, the turnout is published, and the results when
    enough votes were cast (``rules.min_votes``)."""
    ballot = await session.get(AssemblyBallot, ballot_id, with_for_update=True)
    if ballot is None:
        raise NotFound("ballot", ballot_id)
    if not _is_committee_staff(principal, ballot.body_id):
        if principal.body_id == ballot.body_id:
            raise forbidden("assembly evaluations are closed by the body's committee staff")
        raise NotFound("ballot", ballot_id)
    if ballot.status == BallotStatus.closed:
        raise conflict("already_closed", "the ballot is already closed")
    now = utcnow()
    ballot.status, ballot.closed_at, ballot.closed_by = BallotStatus.closed, now, principal.actor
    session.add(ballot)
    voters = (await _voters(session, [ballot.id])).get(ballot.id, 0)
    published = rules.publishable(voters)
    counts = (await _counts(session, [ballot.id])).get(ballot.id, Counter()) if published else Counter()
    shares = _shares(ballot, counts, voters) if published else {}
    outbox.add(
        session,
        AssemblyEvaluationClosed(
            ballot_id=ballot.id,
            body_id=ballot.body_id,
            session_id=ballot.session_id,
            proposal_id=ballot.proposal_id,
            title=ballot.title,
            options=ballot.options,
            eligible=ballot.eligible,
            voters=voters,
            turnout_percent=percent_text(voters, ballot.eligible)[1],
            counts={o: s.count for o, s in shares.items()},
            percents={o: s.percent_text for o, s in shares.items()},
            satisfaction_percent=_satisfaction(counts, voters).percent if published else None,
            closed_at=now,
            results_withheld=not published,
        ),
        subject=ballot.proposal_id,
    )
    await session.commit()
    return ballot


# --- reading -------------------------------------------------------------------------------------


async def get_ballot(
    *, session: AsyncSession, principal: Principal, ballot_id: str, rules: BallotRules
) -> BallotPublic:
    ballot = await session.get(AssemblyBallot, ballot_id)
    if ballot is None:
        raise NotFound("ballot", ballot_id)
    views = await views_of(session=session, principal=principal, ballots=[ballot], rules=rules)
    if not views:
        raise NotFound("ballot", ballot_id)
    return views[0]


async def list_ballots(
    *,
    session: AsyncSession,
    principal: Principal,
    body_id: str,
    session_id: str | None,
    proposal_id: str | None,
    status: BallotStatus | None,
    limit: int,
    cursor: str | None,
    rules: BallotRules,
) -> tuple[list[BallotPublic], str | None]:
    """The body's ballots, newest first: all of them for its staff and leaders, the ballots a
    member is an elector of for a member, none for anyone else."""
    query = select(AssemblyBallot).where(AssemblyBallot.body_id == body_id)
    if not principal.is_staff_of(body_id):
        if principal.role != Role.member or not principal.member_id:
            return [], None
        electors = select(BallotElector.ballot_id).where(BallotElector.member_id == principal.member_id)
        query = query.where(col(AssemblyBallot.id).in_(electors))
    if session_id is not None:
        query = query.where(AssemblyBallot.session_id == session_id)
    if proposal_id is not None:
        query = query.where(AssemblyBallot.proposal_id == proposal_id)
    if status is not None:
        query = query.where(_status_clause(status, utcnow()))
    rows, next_cursor = await paginate(
        session,
        query,
        keys=(col(AssemblyBallot.created_at), col(AssemblyBallot.id)),
        types=(datetime, str),
        cursor=cursor,
        limit=limit,
        descending=True,
    )
    return await views_of(session=session, principal=principal, ballots=rows, rules=rules), next_cursor


def _status_clause(status: BallotStatus, now: datetime) -> ColumnElement[bool]:
    lapsed = and_(col(AssemblyBallot.closes_at).is_not(None), col(AssemblyBallot.closes_at) <= now)
    closed = or_(col(AssemblyBallot.status) == BallotStatus.closed, lapsed)
    if status == BallotStatus.closed:
        return closed
    if status == BallotStatus.scheduled:
        return and_(~closed, col(AssemblyBallot.opens_at) > now)
    return and_(~closed, col(AssemblyBallot.opens_at) <= now)


async def views_of(
    *, session: AsyncSession, principal: Principal, ballots: Sequence[AssemblyBallot], rules: BallotRules
) -> list[BallotPublic]:
    """The ballots as ``principal`` may see them, in order; the ones they may not see are left out.
    Only what some view shows is read (:class:`Access`), in a constant number of queries,
    whatever the number of ballots."""
    if not ballots:
        return []
    mine = await _my_votes(session, principal, [b.id for b in ballots])
    now = utcnow()
    seen = {b.id: a for b in ballots if (a := Access.of(b, principal, mine.get(b.id), now)).visible}
    voters = await _voters(session, [i for i, a in seen.items() if a.turnout_shown])
    published = [i for i, a in seen.items() if a.published(voters.get(i, 0), rules)]
    counts = await _counts(session, published)
    comments = await _comments(session, [i for i in published if seen[i].staff])
    return [
        ballot_view(
            b,
            seen[b.id],
            voters=voters.get(b.id, 0),
            counts=counts.get(b.id, Counter()),
            comments=comments.get(b.id, []),
            rules=rules,
        )
        for b in ballots
        if b.id in seen
    ]


@dataclass(frozen=True)
class Access:
    """What one caller may see of one ballot (the module's "who sees what")."""

    status: BallotStatus  # at the time of reading
    staff: bool  # the body's staff or leaders: every ballot, its turnout while open, its comments
    voted: bool | None  # an elector's: whether they voted; None for anyone else

    @classmethod
    def of(cls, ballot: AssemblyBallot, principal: Principal, voted: bool | None, now: datetime) -> "Access":
        return cls(status=status_of(ballot, now), staff=principal.is_staff_of(ballot.body_id), voted=voted)

    @property
    def visible(self) -> bool:
        return self.staff or self.voted is not None

    @property
    def closed(self) -> bool:
        return self.status == BallotStatus.closed

    @property
    def turnout_shown(self) -> bool:
        """The turnout is no secret, but an elector sees it only once the ballot is closed."""
        return self.closed or self.staff

    def published(self, voters: int, rules: BallotRules) -> bool:
        """Counts, shares and comments exist only for a closed ballot with enough votes."""
        return self.closed and rules.publishable(voters)


def ballot_view(
    ballot: AssemblyBallot,
    access: Access,
    *,
    voters: int,
    counts: Counter[str],
    comments: Sequence[str],
    rules: BallotRules,
) -> BallotPublic:
    """``ballot`` as a caller with ``access`` sees it, given its number of voters, its votes per
    option and its comments; whatever the caller may not see is left out here, not by the caller
    of this function. Comments are sorted by their text, so their order says nothing about who
    wrote them."""
    shown = access.turnout_shown
    published = access.published(voters, rules)
    results = (
        BallotResults(
            counts=_shares(ballot, counts, voters),
            satisfaction_rate=_satisfaction(counts, voters),
            comments=sorted(comments) if access.staff else None,
        )
        if published
        else None
    )
    return BallotPublic(
        id=ballot.id,
        body_id=ballot.body_id,
        session_id=ballot.session_id,
        proposal_id=ballot.proposal_id,
        title=ballot.title,
        options=[Rating(o) for o in ballot.options],
        status=access.status,
        opens_at=ballot.opens_at,
        closes_at=ballot.closes_at,
        closed_at=ballot.closed_at,
        created_at=ballot.created_at,
        eligible=ballot.eligible,
        voters=voters if shown else None,
        turnout=rate(voters, ballot.eligible) if shown else None,
        voted=access.voted,
        results=results,
        min_votes=rules.min_votes,
        results_withheld=access.closed and not published,
    )


async def _my_votes(session: AsyncSession, principal: Principal, ids: list[str]) -> dict[str, bool]:
    """Whether the caller voted, for each of the ballots they are an elector of."""
    if principal.role != Role.member or not principal.member_id:
        return {}
    rows = await session.exec(
        select(BallotElector.ballot_id, BallotElector.voted).where(
            col(BallotElector.ballot_id).in_(ids), BallotElector.member_id == principal.member_id
        )
    )
    return dict(rows.all())


async def _voters(session: AsyncSession, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    rows = await session.exec(
        select(BallotElector.ballot_id, func.count())
        .where(col(BallotElector.ballot_id).in_(ids), col(BallotElector.voted).is_(True))
        .group_by(col(BallotElector.ballot_id))
    )
    return dict(rows.all())


async def _counts(session: AsyncSession, ids: list[str]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    if not ids:
        return out
    rows = await session.exec(
        select(BallotVote.ballot_id, BallotVote.option, func.count())
        .where(col(BallotVote.ballot_id).in_(ids))
        .group_by(col(BallotVote.ballot_id), col(BallotVote.option))
    )
    for ballot_id, option, n in rows.all():
        out.setdefault(ballot_id, Counter())[str(option)] = n
    return out


async def _comments(session: AsyncSession, ids: list[str]) -> dict[str, list[str]]:
    """The comments of each ballot, in no useful order (:func:`ballot_view` sorts them)."""
    out: dict[str, list[str]] = {}
    if not ids:
        return out
    rows = await session.exec(
        select(BallotVote.ballot_id, BallotVote.comment).where(
            col(BallotVote.ballot_id).in_(ids), col(BallotVote.comment).is_not(None)
        )
    )
    for ballot_id, comment in rows.all():
        out.setdefault(ballot_id, []).append(comment or "")
    return out


def _shares(ballot: AssemblyBallot, counts: Counter[str], voters: int) -> dict[str, Share]:
    out: dict[str, Share] = {}
    for option in ballot.options:
        value, text = percent_text(counts[option], voters) if voters else (0.0, "0.0%")
        out[option] = Share(count=counts[option], percent=value, percent_text=text)
    return out


def _satisfaction(counts: Counter[str], voters: int) -> Rate:
    return rate(sum(counts[str(o)] for o in SATISFIED), voters)
