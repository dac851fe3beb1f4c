"""Tables and API schemas of the evaluation service."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

import sqlalchemy as sa
from pydantic import AwareDatetime, ConfigDict, StringConstraints, field_validator
from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime, utcnow
from servicekit.inputs import StrictInput
from servicekit.text import checked_line


class FiledProposalBase(SQLModel):
    """An item counted as filed, learned from proposal.submitted."""

    proposal_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20)
    category: str | None = Field(default=None, max_length=50)
    submitted_at: datetime = Field(sa_type=UTCDateTime)


class FiledProposal(FiledProposalBase, table=True):
    __tablename__ = "filed_proposal"


class FiledProposalPublic(FiledProposalBase):
    pass


class FilingCount(SQLModel, table=True):
    """Running count of filed items per kind and category.

    Kept as a counter, not a COUNT(*), so statistics stay cheap; the inbox is
    what makes its increments exactly-once.
    """

    __tablename__ = "filing_count"

    kind: str = Field(primary_key=True, max_length=20)
    category: str = Field(primary_key=True, max_length=50, description="'' when the item has none")
    filed: int = 0


class FilingStatistics(SQLModel):
    total: int
    by_kind: dict[str, int]
    by_category: dict[str, int]


# --- satisfaction evaluations (满意度测评 / 征询意见表) ----------------------------------------------


class Rating(StrEnum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意


class RatedItem(SQLModel, table=True):
    """An item whose replies can be rated: who may rate, which round is open and since when."""

    __tablename__ = "rated_item"

    proposal_id: str = Field(primary_key=True, max_length=36)
    body_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=20)
    lead_member_id: str | None = Field(default=None, max_length=36)
    cosigner_member_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Proposers of items merged into this one: they are told its outcome and may rate it.
    merged_member_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    round: int = 0
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime, description="the round's handling.completed")
    completed: bool = False


class ReplyRecord(SQLModel, table=True):
    """A unit's reply, from assignment.replied."""

    __tablename__ = "reply_record"
    __table_args__ = (UniqueConstraint("proposal_id", "round", "unit_id"),)

    reply_id: str = Field(primary_key=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    unit_id: str = Field(max_length=36)
    unit_name: str = Field(max_length=100)
    round: int
    outcome: str = Field(max_length=10)
    on_time: bool
    replied_at: datetime = Field(sa_type=UTCDateTime)


CategoryBreakdown = Literal["all", "other"]


class EvaluationRulesBase(SQLModel):
    window_days: int = Field(default=15, ge=1, le=90, description="working days after the reply to rate it")
    cosigners_rate: bool = Field(default=True, description="accepted cosigners rate as well as the lead proposer")
    unrated_policy: str = Field(
        default="left_unrated",
        max_length=20,
        description="left_unrated or counted_satisfied: what an unrated reply counts as once the window closes",
    )
    statistics_published: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": sa.false()},
        description="publication setting: the statistics and the annual report of the body are public "
        "(anyone, signed in or not, may read them); otherwise only its committee staff and supervising leaders",
    )
    category_breakdown: CategoryBreakdown = Field(
        default="all",
        sa_type=String(10),
        sa_column_kwargs={"server_default": "all"},
        description="the annual report's 按类别分: over all registered proposals (all), or over the other "
        "proposals once key and collective ones are counted (other), as seed 001's 其他提案82件 are",
    )


class EvaluationRulesUpdate(StrictInput, EvaluationRulesBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class EvaluationRules(EvaluationRulesBase, table=True):
    __tablename__ = "evaluation_rules"

    body_id: str = Field(primary_key=True, max_length=36)


class EvaluationRulesPublic(EvaluationRulesBase):
    body_id: str


class EvaluationCreate(StrictInput, SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    unit_id: str = Field(max_length=36, description="the replying unit rated")
    contact: Rating = Field(description="沟通联系")
    attitude: Rating = Field(description="办理态度")
    result: Rating = Field(description="办理结果")
    comment: str | None = Field(default=None, max_length=2000)
    reply_id: str | None = Field(
        default=None,
        max_length=36,
        description="the reply rated, as listed by GET /proposals/{id}/replies; when given, a rating is refused "
        "(409 reply_not_current) unless it is the unit's reply of the open round, so that a rating of a new "
        "reply never lands on the previous round",
    )


# The fields of a rating the statistics read (domain/statistics.py), the covering index's columns below: a
# session's ratings are read from the index alone, joined to their items.
RATING_FIELDS = ("proposal_id", "unit_id", "member_id", "round", "result")


class Evaluation(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("proposal_id", "round", "unit_id", "member_id"),
        Index("ix_evaluation_rating", *RATING_FIELDS),
    )

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    body_id: str = Field(max_length=36)
    round: int
    unit_id: str = Field(max_length=36, index=True)
    member_id: str = Field(max_length=36)
    contact: Rating = Field(sa_type=String(20))
    attitude: Rating = Field(sa_type=String(20))
    result: Rating = Field(sa_type=String(20))
    comment: str | None = Field(default=None, max_length=2000)
    submitted_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class EvaluationPublic(SQLModel):
    id: str
    proposal_id: str
    round: int
    unit_id: str
    unit_name: str
    member_id: str
    contact: Rating
    attitude: Rating
    result: Rating
    comment: str | None
    submitted_at: datetime
    updated_at: datetime
    window_closes_on: date | None


class RatingWindowReply(SQLModel):
    """A reply of the open round, as its rater sees it."""

    reply_id: str
    unit_id: str
    unit_name: str
    replied_at: datetime
    rated: bool = Field(description="the caller has rated this reply in this round")


class RatingWindow(SQLModel):
    """The open round's evaluation window, for one of the item's raters, before (or after) they rate."""

    proposal_id: str
    round: int = Field(description="the round open for rating; 0 while no round has been replied")
    window_days: int = Field(description="the body's rule: working days after the round's replies to rate them")
    opened_on: date | None = Field(description="the day the round's last reply came in (Asia/Shanghai)")
    window_closes_on: date | None = Field(description="the last day a rating is taken; null while nothing is replied")
    working_days_left: int | None = Field(
        description="working days from today to window_closes_on on the working-day calendar (0 on the last day, "
        "negative once closed); null while nothing is replied"
    )
    open: bool = Field(description="a rating is taken today")
    replies: list[RatingWindowReply] = Field(description="the open round's replies, each with the caller's rated flag")


# --- statistics (办理情况统计), projected from proposal and assignment events ---------------------

# 提案 proper (个人, 联名, 集体) and a congress's 建议: the items the outcome shares, reply and
# satisfaction rates are computed over, as the seeds count them. 建议案 (plenary) and 议案 (motion)
# are counted and reported as lines of their own (seed 001: 立案116件 … 另有建议案1件).
PROPOSAL_KINDS = ("individual", "joint", "group", "suggestion")
SEPARATE_KINDS = ("plenary", "motion")
KINDS = (*PROPOSAL_KINDS, *SEPARATE_KINDS)
COLLECTIVE_KINDS = ("group",)  # 集体提案; a 建议案 is the plenary's own, not a collective proposal


# The fields the statistics count items by (domain/statistics.py ItemGroup, in this order): the database groups a
# session's items by them, reading only the covering index below (at 100,000 items 0.03 s instead of 0.5 s), which
# also covers joining a session's ratings and units' parts to their items (proposal_id last).
TALLY_FIELDS = (
    "kind", "category", "filed", "registered", "declined", "merged", "withdrawn", "key", "replied",
    "replied_on_time", "outcome", "first_outcome", "overdue",
)  # fmt: skip


class StatItem(SQLModel, table=True):
    """One item as the statistics see it. Every field is set by an upsert that is correct
    whatever order the proposal and assignment topics deliver in: flags only ever turn on,
    ``*_rank`` fields let the later decision win over the earlier one (category: submitted <
    registered < category_changed; key: registered < key_marked), outcomes carry their round."""

    __tablename__ = "stat_item"
    __table_args__ = (Index("ix_stat_item_tally", "body_id", "session_id", *TALLY_FIELDS, "proposal_id"),)

    proposal_id: str = Field(primary_key=True, max_length=36)
    body_id: str = Field(max_length=36, index=True)
    session_id: str | None = Field(default=None, max_length=36, index=True)
    kind: str | None = Field(default=None, max_length=20)
    title: str | None = Field(default=None, max_length=200, description="案由; proposal.registered's wins")
    number: int | None = Field(default=None, description="案号 in the kind's series, from proposal.registered")
    number_label: str | None = Field(default=None, max_length=20, description="e.g. 联0005")
    category: str | None = Field(default=None, max_length=50)
    category_rank: int = 0
    filed: bool = False
    registered: bool = False
    declined: bool = False
    merged: bool = False
    withdrawn: bool = False
    key: bool = False
    key_rank: int = 0
    collective: bool = False
    lead_unit_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    replied: bool = Field(default=False, description="round 1 handling.completed seen")
    replied_on_time: bool | None = None
    first_outcome: str | None = Field(default=None, max_length=10)
    outcome: str | None = Field(default=None, max_length=10, description="the latest round's outcome")
    outcome_round: int = 0
    overdue: bool = Field(default=False, description="an assignment.overdue was seen for it")


class SessionName(SQLModel, table=True):
    """The names of a body's session as the proposal events give them (政协武汉市委员会,
    十四届三次会议), for the report's title.

    A table of its own rather than columns on ``stat_item``: the names belong to the session,
    not to each item, so they are stored once and the report reads one row. Only
    proposal.submitted and proposal.registered carry them (since they were added to v1;
    earlier events have none, and then there is no row and the report names the session by
    its id). Order-independent upsert: a name is never replaced by None, and the event with
    the latest time (``submitted_at`` / ``registered_at``) wins, so an item's registration
    wins over its submission whatever order they arrive in."""

    __tablename__ = "session_name"

    body_id: str = Field(primary_key=True, max_length=36)
    session_id: str = Field(primary_key=True, max_length=36)
    body_name: str | None = Field(default=None, max_length=100, description="e.g. 政协武汉市委员会")
    session_name: str | None = Field(default=None, max_length=50, description="e.g. 十四届三次会议")
    named_at: datetime | None = Field(default=None, sa_type=UTCDateTime, description="time of the event named from")
    body_kind: str | None = Field(default=None, max_length=10, description="cppcc or npc, for the formal name")
    term: int | None = Field(default=None, description="届, for the formal name (第十四届)")
    meeting: int | None = Field(default=None, description="次会议, for the formal name (第三次会议)")
    year: int | None = Field(
        default=None, description="the year (body's time zone) of the session's earliest item event: the report's 年度"
    )


class OutcomeWording(SQLModel, table=True):
    """A body's outcome classes and how it words them (label, report sentence), per kind ("*":
    the body's default), from assignment.rules_set. The latest ``set_at`` wins, so a late or
    repeated event changes nothing."""

    __tablename__ = "outcome_wording"

    body_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(primary_key=True, max_length=20)
    classes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    labels: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="code, label, sentence"
    )
    set_at: datetime = Field(sa_type=UTCDateTime)


# The fields of a unit's part the unit figures count by (domain/statistics.py PartGroup, in this order), read from
# the covering index below by item (at 100,000 items 0.3 s instead of 1.2 s).
PART_FIELDS = ("unit_id", "unit_name", "role", "replied", "on_time", "contacted_before_reply", "outcome", "overdue")


class StatUnit(SQLModel, table=True):
    """One handling unit's part in one item (the first round's reply and the latest outcome)."""

    __tablename__ = "stat_unit"
    __table_args__ = (Index("ix_stat_unit_parts", "proposal_id", "moved_away", *PART_FIELDS),)

    proposal_id: str = Field(primary_key=True, max_length=36)
    unit_id: str = Field(primary_key=True, max_length=36)
    body_id: str = Field(max_length=36, index=True)
    unit_name: str = Field(default="", max_length=100)
    role: str = Field(default="", max_length=10, description="lead | co | separate")
    moved_away: bool = Field(default=False, description="reassigned to another unit: not counted")
    replied: bool = False
    on_time: bool = False
    contacted_before_reply: bool = False
    first_outcome: str | None = Field(default=None, max_length=10)
    outcome: str | None = Field(default=None, max_length=10)
    outcome_round: int = 0
    overdue: bool = False


class PerformanceWeightsBase(SQLModel):
    """Weights of the unit performance score; they are normalised by their sum."""

    on_time: float = Field(default=0.3, ge=0, le=1, description="按时办复率")
    satisfaction: float = Field(default=0.4, ge=0, le=1, description="满意率 (final round)")
    contact: float = Field(default=0.1, ge=0, le=1, description="办复前沟通联系率")
    outcome: float = Field(default=0.2, ge=0, le=1, description="办理结果 (A=1, B=0.75, C=0.5, D=0.25)")


class PerformanceWeightsUpdate(StrictInput, PerformanceWeightsBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class PerformanceWeights(PerformanceWeightsBase, table=True):
    __tablename__ = "performance_weights"

    body_id: str = Field(primary_key=True, max_length=36)


class PerformanceWeightsPublic(PerformanceWeightsBase):
    body_id: str


class Rate(SQLModel):
    numerator: int
    denominator: int
    rate: float | None = Field(description="0-1; null when the denominator is 0")
    percent: str | None = Field(description="one decimal, half up, e.g. 90.5%")


class Share(SQLModel):
    count: int
    percent: float = Field(description="one decimal, half up")
    percent_text: str


class Counts(SQLModel):
    filed: int = 0
    registered: int = 0
    declined: int = 0
    merged: int = 0
    withdrawn: int = 0
    key: int = Field(default=0, description="registered key items (重点提案)")
    collective: int = Field(default=0, description="registered group items (集体提案); 建议案 are not among them")


class Breakdown(SQLModel):
    filed: int = 0
    registered: int = 0


class Statistics(SQLModel):
    body_id: str
    session_id: str | None
    kind: str | None
    kinds: list[str] | None = Field(
        default=None, description="the kinds counted (kinds minus exclude_kinds); null: all"
    )
    category: str | None
    key: bool | None = Field(default=None, description="only key items (true) or only the others (false)")
    collective: bool | None = Field(default=None, description="only collective items (true) or only the others")
    counts: Counts
    by_kind: dict[str, Breakdown]
    by_category: dict[str, Breakdown]
    registration_rate: Rate = Field(description="registered / (filed - withdrawn)")
    reply_rate: Rate = Field(description="replied (first round) / registered")
    on_time_reply_rate: Rate = Field(description="replied on time (first round) / registered")
    satisfaction_rate: Rate = Field(description="satisfied + basically satisfied / rated, each rating's final round")
    first_satisfaction_rate: Rate = Field(description="the same over the first round's ratings")
    outcomes: dict[str, Share] = Field(description="current outcome per replied item: A solved ... D for reference")
    outcome_labels: dict[str, str] = Field(
        default_factory=dict, description="each outcome class's label as the body words it (its handling rules)"
    )
    first_outcomes: dict[str, Share] = Field(description="the first round's outcome per replied item")
    overdue: int = Field(description="items with an overdue assignment")
    unrated_policy: str = Field(description="the body's rule for unrated replies (evaluation rules)")
    counted_satisfied: int = Field(
        default=0, description="ratings in satisfaction_rate that are unrated replies counted as satisfied by that rule"
    )


class UnitPerformance(SQLModel):
    unit_id: str
    unit_name: str
    assigned: int = Field(description="items assigned to the unit, any role")
    to_reply: int = Field(description="assignments as lead or separate unit (co-handlers do not reply)")
    replied: int
    on_time: int
    contacted_before_reply: int
    overdue: int
    rated: int
    satisfied: int
    on_time_rate: Rate
    contact_rate: Rate
    satisfaction_rate: Rate
    outcomes: dict[str, int]
    outcome_score: float | None
    score: float | None = Field(description="0-100, one decimal; weights over the components the unit has")
    weights: PerformanceWeightsPublic


class UnitStatistics(SQLModel):
    body_id: str
    session_id: str | None
    weights: PerformanceWeightsPublic
    outcome_values: dict[str, float]
    units: list[UnitPerformance]


# --- assembly evaluations (民主测评) of plenary recommendations ------------------------------------

MAX_ELECTORATE = 5000


class BallotStatus(StrEnum):
    scheduled = "scheduled"  # 未开始: opens_at is still ahead
    open = "open"  # 进行中
    closed = "closed"  # 已结束: closed by staff, or closes_at has passed


class AssemblyBallot(SQLModel, table=True):
    """One 民主测评 ballot: many members rate one item (normally a 建议案) at a session.

    ``status`` is what staff did (open, closed); the status a caller sees also counts a
    passed ``closes_at`` as closed and a future ``opens_at`` as scheduled."""

    __tablename__ = "assembly_ballot"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    body_id: str = Field(max_length=36, index=True)
    session_id: str = Field(max_length=36, index=True, description="the session (届次会议) the ballot is held at")
    proposal_id: str = Field(max_length=36, index=True)
    title: str = Field(max_length=200)
    options: list[str] = Field(sa_column=Column(JSON, nullable=False))
    eligible: int = Field(description="size of the electorate (应参评人数)")
    status: str = Field(default="open", max_length=10, description="open | closed")
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, description="when staff closed it")
    created_by: str = Field(max_length=200)
    closed_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class BallotElector(SQLModel, table=True):
    """One member of a ballot's electorate and whether they have voted; the primary key is
    what makes a second vote, even a concurrent one, impossible. No link to the vote cast."""

    __tablename__ = "ballot_elector"

    ballot_id: str = Field(primary_key=True, max_length=36, foreign_key="assembly_ballot.id")
    member_id: str = Field(primary_key=True, max_length=36, index=True)
    voted: bool = False


class BallotVote(SQLModel, table=True):
    """One ballot paper: the option chosen and the comment, with neither voter nor time (无记名)."""

    __tablename__ = "ballot_vote"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    ballot_id: str = Field(max_length=36, index=True, foreign_key="assembly_ballot.id")
    option: Rating = Field(sa_type=String(20))
    comment: str | None = Field(default=None, max_length=500)


class BallotCreate(StrictInput, SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    body_id: str = Field(max_length=36)
    session_id: str = Field(max_length=36, description="the session (届次会议) the ballot is held at")
    proposal_id: str = Field(max_length=36, description="the item rated, normally a plenary recommendation (建议案)")
    title: str = Field(min_length=1, max_length=200, description="测评标题")
    options: list[Rating] = Field(
        default_factory=lambda: list(Rating),
        min_length=2,
        max_length=len(Rating),
        description="测评选项: 满意 satisfied, 基本满意 basically_satisfied, 不满意 unsatisfied",
    )
    member_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=36)]] = Field(
        min_length=1, max_length=MAX_ELECTORATE, description="参评人员: the member ids of the electorate"
    )
    opens_at: AwareDatetime | None = Field(default=None, description="now when absent")
    closes_at: AwareDatetime | None = Field(default=None, description="open until staff close it when absent")

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the title is empty")
        checked_line(value)  # no controls, C1 or bidirectional overrides (servicekit.text)
        return value.strip()

    @field_validator("options")
    @classmethod
    def _distinct(cls, value: list[Rating]) -> list[Rating]:
        if len(set(value)) != len(value):
            raise ValueError("an option is listed twice")
        return value


class VoteCreate(StrictInput, SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    option: Rating = Field(description="满意 satisfied, 基本满意 basically_satisfied or 不满意 unsatisfied")
    comment: str | None = Field(default=None, max_length=500, description="意见建议 (kept without the voter)")


class BallotResults(SQLModel):
    counts: dict[str, Share] = Field(description="votes per option, in the ballot's order; percent of the votes cast")
    satisfaction_rate: Rate = Field(description="satisfied + basically satisfied / votes cast (满意率)")
    comments: list[str] | None = Field(
        default=None, description="the comments, in no voter's order; for the body's staff and leaders only"
    )


class BallotPublic(SQLModel):
    id: str
    body_id: str
    session_id: str
    proposal_id: str
    title: str
    options: list[Rating]
    status: BallotStatus
    opens_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    eligible: int = Field(description="应参评人数")
    voters: int | None = Field(description="实参评人数: for staff while open, for everyone once closed")
    turnout: Rate | None = Field(description="参评率 = voters / eligible, for staff while open, for all once closed")
    voted: bool | None = Field(description="whether the caller has voted; null when the caller is not an elector")
    results: BallotResults | None = Field(
        description="once the ballot is closed with at least min_votes votes; null before and when withheld"
    )
    min_votes: int = Field(description="the votes needed for the results to be published")
    results_withheld: bool = Field(
        default=False, description="closed with fewer than min_votes votes: the results stay secret"
    )
