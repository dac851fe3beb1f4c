"""Tables and API schemas of the evaluation service."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime


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
