"""Tables and API schemas of the proposal service (SQLModel Base/Create/Update/Public variants).

Enums are stored as strings so that adding a value needs no type migration.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import ConfigDict, EmailStr, field_validator
from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime, utcnow
from servicekit.inputs import StrictInput
from servicekit.text import checked_line, checked_text

FORBID = ConfigDict(extra="forbid")


def no_control_characters(value: str | None) -> str | None:
    """Text may hold line breaks and tabs, not other control characters (PostgreSQL refuses NUL),
    C1 controls or bidirectional overrides (servicekit.text)."""
    return checked_text(value)


def one_line(value: str | None) -> str | None:
    """Names: one line of plain text (servicekit.text)."""
    return checked_line(value)


def new_id() -> str:
    return str(uuid.uuid4())


# --- bodies, sessions, categories, members -------------------------------------------------------


class BodyKind(StrEnum):
    cppcc = "cppcc"  # 政协
    npc = "npc"  # 人大


class BodyLevel(StrEnum):
    national = "national"
    provincial = "provincial"
    municipal = "municipal"
    district = "district"


DEFAULT_CATEGORIES = ("经济发展", "城市建设", "科教文卫", "社会法制")


class BodyBase(SQLModel):
    name: str = Field(min_length=1, max_length=100, description="机构名称, e.g. 政协武汉市委员会")
    kind: BodyKind = Field(sa_type=String(10))
    level: BodyLevel = Field(sa_type=String(20))
    timezone: str = Field(default="Asia/Shanghai", max_length=50)
    cosign_days: int = Field(default=5, ge=1, le=60, description="default days a cosigning invitation stays open")
    _plain_name = field_validator("name", check_fields=False)(one_line)


class BodyCreate(StrictInput, BodyBase):
    model_config = FORBID  # type: ignore[assignment]
    categories: list[str] = Field(default=list(DEFAULT_CATEGORIES), max_length=50)
    min_cosigners: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="accepted cosigners a joint item (CPPCC) or motion (NPC) needs; default 1 for CPPCC, 4 for NPC",
    )


class Body(BodyBase, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    min_cosigners: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class BodyPublic(BodyBase):
    id: str
    min_cosigners: int


class SessionPeriod(StrEnum):
    plenary = "plenary"  # 大会期间
    interim = "interim"  # 闭会期间


class SessionBase(SQLModel):
    term: int = Field(ge=1, le=99, description="届")
    meeting: int = Field(ge=1, le=20, description="次会议")
    period: SessionPeriod = Field(default=SessionPeriod.plenary, sa_type=String(10))
    filing_opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    filing_closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SessionCreate(StrictInput, SessionBase):
    model_config = FORBID  # type: ignore[assignment]


class SessionUpdate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    period: SessionPeriod | None = None
    filing_opens_at: datetime | None = None
    filing_closes_at: datetime | None = None
    published: bool | None = Field(default=None, description="registered items of the session become public")


class Session(SessionBase, table=True):
    __table_args__ = (UniqueConstraint("body_id", "term", "meeting"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    body_id: str = Field(foreign_key="body.id", index=True, max_length=36)
    name: str = Field(max_length=50)
    published: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class SessionPublic(SessionBase):
    id: str
    body_id: str
    name: str
    published: bool


class Category(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("body_id", "name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    body_id: str = Field(foreign_key="body.id", index=True, max_length=36)
    name: str = Field(max_length=50)
    active: bool = True


class CategoryCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    name: str = Field(min_length=1, max_length=50)
    _plain_name = field_validator("name")(one_line)


class CategoryUpdate(StrictInput, SQLModel):
    """A rename or (de)activation; an inactive category is no longer offered for new items."""

    model_config = FORBID  # type: ignore[assignment]
    name: str | None = Field(default=None, min_length=1, max_length=50)
    active: bool | None = None
    _plain_name = field_validator("name")(one_line)


class CategoryPublic(SQLModel):
    id: str
    body_id: str
    name: str
    active: bool


class MemberBase(SQLModel):
    name: str = Field(min_length=1, max_length=50, description="姓名")
    sector: str | None = Field(default=None, max_length=50, description="界别")
    affiliation: str | None = Field(default=None, max_length=100, description="党派团体")
    phone: str | None = Field(default=None, max_length=30, description="联系电话")
    email: str | None = Field(default=None, max_length=100)
    code: str | None = Field(default=None, max_length=30, description="委员编号, unique within the body")
    _plain_name = field_validator("name", "sector", "affiliation", check_fields=False)(one_line)


class MemberCreate(StrictInput, MemberBase):
    model_config = FORBID  # type: ignore[assignment]
    email: EmailStr | None = Field(default=None, max_length=100)


class Member(MemberBase, table=True):
    __table_args__ = (UniqueConstraint("body_id", "code"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    body_id: str = Field(foreign_key="body.id", index=True, max_length=36)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class MemberPublic(SQLModel):
    """What any member of the body may see of another (the directory for inviting cosigners)."""

    id: str
    body_id: str
    name: str
    sector: str | None
    affiliation: str | None
    code: str | None


class ImportRowProblem(SQLModel):
    row: int = Field(description="the file's line, the header being 1")
    field: str | None = Field(description="the column at fault; null for the whole row")
    message: str = Field(description="what is wrong, in Chinese when the request's Accept-Language asks for it")
    type: str | None = Field(
        default=None,
        description="the kind of problem: a validation error type, or extra_cells, duplicate_code, code_taken, unknown_parent",
    )


class MemberImportResult(SQLModel):
    imported: int = Field(description="rows written; in a dry run, rows that would be written")
    dry_run: bool = False
    errors: list[ImportRowProblem] = Field(
        default_factory=list, description="a dry run's bad rows (a real import refuses them with 422)"
    )


# --- proposals -----------------------------------------------------------------------------------


class ProposalKind(StrEnum):
    individual = "individual"  # 个人提案
    joint = "joint"  # 联名提案
    group = "group"  # 集体提案
    plenary = "plenary"  # 建议案
    motion = "motion"  # 议案
    suggestion = "suggestion"  # 建议


class ProposalStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    registered = "registered"
    declined = "declined"
    merged = "merged"
    withdrawn = "withdrawn"
    assigned = "assigned"
    replied = "replied"
    evaluated = "evaluated"
    closed = "closed"
    rehandling = "rehandling"


class DeclineReason(StrEnum):
    """The standard grounds for not registering an item (不予立案)."""

    outside_remit = "outside_remit"  # 不属于本机构职责范围
    state_secret = "state_secret"  # 涉及国家秘密
    before_court = "before_court"  # 涉及司法审判中的案件
    private_matter = "private_matter"  # 个人或家庭私事
    academic_debate = "academic_debate"  # 学术讨论
    promotion = "promotion"  # 宣传推广产品或企业
    accusation = "accusation"  # 检举控告具名人员
    no_concrete_suggestion = "no_concrete_suggestion"  # 无具体建议
    other = "other"


class Referral(StrEnum):
    """Where a declined text is passed on to, if anywhere."""

    none = "none"
    public_opinion = "public_opinion"  # 转社情民意
    for_reference = "for_reference"  # 转有关部门参考


class ProposalText(SQLModel):
    title: str = Field(min_length=1, max_length=200, description="案由")
    content: str = Field(min_length=1, max_length=20_000, description="正文", sa_column=Column(Text, nullable=False))


class ProposalBase(ProposalText):
    # Checked on input only: a per-character Python loop over every text of every answer was
    # a fifth of a list's CPU, and stored text has passed it already.
    @field_validator("title", "content", check_fields=False)
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return no_control_characters(value)


class ProposalCreate(StrictInput, ProposalBase):
    model_config = FORBID  # type: ignore[assignment]
    session_id: str = Field(max_length=36)
    kind: ProposalKind
    category_id: str | None = Field(default=None, max_length=36)
    lead_member_id: str | None = Field(default=None, max_length=36, description="领衔人; the caller when a member")
    group_name: str | None = Field(
        default=None, max_length=100, description="filing party, organisation, sector or committee (group, plenary)"
    )
    _plain_group = field_validator("group_name")(one_line)


class ProposalUpdate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    title: str | None = Field(default=None, min_length=1, max_length=200)
    content: str | None = Field(default=None, min_length=1, max_length=20_000)
    _printable = field_validator("title", "content")(no_control_characters)
    category_id: str | None = Field(default=None, max_length=36)
    group_name: str | None = Field(default=None, max_length=100)
    _plain_group = field_validator("group_name")(one_line)


class Proposal(ProposalBase, table=True):
    __table_args__ = (
        UniqueConstraint("session_id", "kind", "number"),
        Index("ix_proposal_created_at_id", "created_at", "id"),
        Index("ix_proposal_body_status", "body_id", "status"),
        # Lists read one ordered index range per visibility branch (queries.py): the branch's
        # equality column first, then the sort keys, so a page stops after limit rows.
        Index("ix_proposal_updated_at_id", "updated_at", "id"),
        Index("ix_proposal_body_created_at_id", "body_id", "created_at", "id"),
        Index("ix_proposal_body_updated_at_id", "body_id", "updated_at", "id"),
        Index("ix_proposal_session_created_at_id", "session_id", "created_at", "id"),
        Index("ix_proposal_session_updated_at_id", "session_id", "updated_at", "id"),
        Index("ix_proposal_created_by_created_at_id", "created_by", "created_at", "id"),
        Index("ix_proposal_lead_member_created_at_id", "lead_member_id", "created_at", "id"),
        # An item's view lists the items merged into it.
        Index("ix_proposal_merged_into_id", "merged_into_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    body_id: str = Field(foreign_key="body.id", max_length=36)
    session_id: str = Field(foreign_key="session.id", max_length=36)
    kind: ProposalKind = Field(sa_type=String(20))
    category_id: str | None = Field(default=None, foreign_key="category.id", max_length=36)
    lead_member_id: str | None = Field(default=None, foreign_key="member.id", max_length=36)
    group_name: str | None = Field(default=None, max_length=100)
    created_by: str = Field(max_length=100, description="account subject of the drafter")
    status: ProposalStatus = Field(default=ProposalStatus.draft, sa_type=String(20))
    number: int | None = None
    key: bool = False
    supervising_leader: str | None = Field(default=None, max_length=50)
    merged_into_id: str | None = Field(default=None, foreign_key="proposal.id", max_length=36)
    decline_reason: DeclineReason | None = Field(default=None, sa_type=String(30))
    decline_note: str | None = Field(default=None, max_length=1000)
    referral: Referral | None = Field(default=None, sa_type=String(20))
    # The handling stage last applied from assignment/evaluation events, as (round, rank): see status.py.
    handling_round: int = 0
    handling_rank: int = 0
    version: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    registered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A congress motion (议案): the presidium's decision (主席团决定) and its date, kept when the
    # motion became a suggestion (作为建议处理).
    presidium_decision: str | None = Field(default=None, max_length=20)
    presidium_decided_on: date | None = None


class CosignStatus(StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"  # not answered before the deadline or before submission


class Cosignature(SQLModel, table=True):
    """An invitation to co-sign (联名/附议) and its answer."""

    __table_args__ = (UniqueConstraint("proposal_id", "member_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    proposal_id: str = Field(foreign_key="proposal.id", index=True, max_length=36)
    member_id: str = Field(foreign_key="member.id", index=True, max_length=36)
    status: CosignStatus = Field(default=CosignStatus.invited, sa_type=String(10))
    deadline: datetime = Field(sa_type=UTCDateTime)
    invited_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CosignInvite(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    member_ids: list[str] = Field(min_length=1, max_length=100)
    deadline: datetime | None = Field(default=None, description="defaults to the body's cosign_days from now")


class CosignAnswer(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    accept: bool


class CosignaturePublic(SQLModel):
    id: str
    proposal_id: str
    member_id: str
    member_name: str
    status: CosignStatus
    deadline: datetime
    answered_at: datetime | None


class NumberSequence(SQLModel, table=True):
    """The last 案号 given per session and kind; its row lock makes numbering gapless."""

    session_id: str = Field(foreign_key="session.id", primary_key=True, max_length=36)
    kind: str = Field(primary_key=True, max_length=20)
    last_number: int = 0


class TimelineEntry(SQLModel, table=True):
    """The audit trail: every change of an item, who made it, when and why."""

    __table_args__ = (Index("ix_timelineentry_proposal_at", "proposal_id", "at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    proposal_id: str = Field(foreign_key="proposal.id", max_length=36)
    at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    actor: str = Field(max_length=120, description="role:account id, or the producing service")
    actor_name: str | None = Field(default=None, max_length=100, description="the name the caller's token gives")
    action: str = Field(max_length=50)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=1000)


class TimelineEntryPublic(SQLModel):
    id: str
    at: datetime
    actor: str
    actor_name: str | None
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None


class SearchDocument(SQLModel, table=True):
    """An item's full-text row id. Narrow on purpose: a search maps every matching row id to its item here, and
    these lookups stay in a few pages instead of one page per wide text row (proposal_service.domain.search)."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: str = Field(foreign_key="proposal.id", unique=True, max_length=36)


class SearchContent(SQLModel, table=True):
    """An item's search text, computed once when the item is written.

    ``terms`` is what the database's full-text index holds (SQLite FTS5 table ``search_fts`` with this table as its
    external content, kept in step by triggers; a GIN index on ``array_to_tsvector`` of it on PostgreSQL); both are
    made by the migration and left out of the models' comparison (migrations/env.py). ``title_words`` and ``words``
    are the jieba tokens similar-item scoring weighs, so stored items are never tokenised again."""

    id: int = Field(foreign_key="searchdocument.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    terms: str = Field(sa_column=Column(Text, nullable=False))
    title_words: str = Field(sa_column=Column(Text, nullable=False))
    words: str = Field(sa_column=Column(Text, nullable=False))


class WordCount(SQLModel, table=True):
    """Document frequency of a similarity word over all search documents: the idf of similar-item scoring."""

    word: str = Field(primary_key=True, max_length=40)
    documents: int = 0


class HandlingUnit(SQLModel, table=True):
    """Projection of the assignment service's assignments: which units handle an item."""

    assignment_id: str = Field(primary_key=True, max_length=36)
    proposal_id: str = Field(foreign_key="proposal.id", index=True, max_length=36)
    unit_id: str = Field(index=True, max_length=36)
    unit_name: str = Field(max_length=100)
    role: str = Field(max_length=20)


# --- review requests -----------------------------------------------------------------------------


class Registration(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    category_id: str | None = Field(default=None, max_length=36, description="change the category while registering")
    note: str | None = Field(default=None, max_length=1000)
    contact_member_id: str | None = Field(
        default=None,
        max_length=36,
        description="a group item filed by staff without one: the group's contact member (联系委员), who rates "
        "the replies; becomes the item's lead_member_id. Registration refuses (422 no_rater) an item nobody can rate",
    )


class PresidiumDecisionKind(StrEnum):
    """What a congress's presidium (大会主席团) decides on a deputies' motion (议案)."""

    on_agenda = "on_agenda"  # 列入大会议程
    to_committee = "to_committee"  # 交有关专门委员会审议
    as_suggestion = "as_suggestion"  # 作为代表建议处理


class PresidiumDecision(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    decision: PresidiumDecisionKind = Field(
        description="on_agenda (列入大会议程), to_committee (交专门委员会审议) or as_suggestion (作为建议处理)"
    )
    decided_on: date = Field(description="the day the presidium decided (the body's calendar date)")
    note: str | None = Field(default=None, max_length=1000, description="e.g. the committee it went to")


class Declination(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    reason: DeclineReason
    note: str = Field(min_length=1, max_length=1000)
    referral: Referral = Referral.none


class Merger(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    merged_ids: list[str] = Field(min_length=1, max_length=50)
    note: str | None = Field(default=None, max_length=1000)


class KeyMarking(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    key: bool = True
    supervising_leader: str | None = Field(default=None, min_length=1, max_length=50, description="领办督办领导")


class CategoryChange(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    category_id: str = Field(max_length=36)
    note: str | None = Field(default=None, max_length=1000)


class Withdrawal(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    note: str | None = Field(default=None, max_length=1000)


# --- views ---------------------------------------------------------------------------------------


class HandlingUnitPublic(SQLModel):
    unit_id: str
    unit_name: str
    role: str


class ProposalPublic(ProposalText):
    id: str
    body_id: str
    session_id: str
    kind: ProposalKind
    category_id: str | None
    category: str | None
    lead_member_id: str | None
    lead_proposer: str | None
    group_name: str | None
    status: ProposalStatus
    number: int | None
    number_label: str | None
    key: bool
    supervising_leader: str | None
    merged_into_id: str | None
    merged_ids: list[str] = []
    decline_reason: DeclineReason | None
    decline_note: str | None
    referral: Referral | None
    cosigners: list[CosignaturePublic] = []
    handling_units: list[HandlingUnitPublic] = []
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    registered_at: datetime | None
    presidium_decision: str | None = Field(
        default=None, description="a motion's presidium decision: on_agenda, to_committee or as_suggestion"
    )
    presidium_decided_on: date | None = None


class ListFields(StrEnum):
    summary = "summary"  # the text cut to an excerpt: what a list screen shows
    full = "full"  # the whole text too (an export, a reviewer reading through a queue)


class ProposalListItem(ProposalPublic):
    """An item in a list: its text as an ``excerpt`` (the first 100 characters), ``content``
    null unless the list was asked for ``fields=full``. Lists answer 50 items a page; whole
    texts (up to 20,000 characters each) would be most of what a phone downloads."""

    content: str | None = Field(default=None, description="正文: only with fields=full")  # type: ignore[assignment]
    excerpt: str = Field(description="the text's first 100 characters, whitespace collapsed (… when cut)")


class SimilarItem(SQLModel):
    id: str
    title: str
    session_id: str
    number_label: str | None
    status: ProposalStatus
    same_session: bool
    score: float


class SubmissionResult(ProposalPublic):
    similar: list[SimilarItem] = []
