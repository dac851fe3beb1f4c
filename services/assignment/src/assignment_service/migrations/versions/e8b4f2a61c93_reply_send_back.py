"""reply send-back: a reply the body's staff sent back, and when it was first rated (ADR 28)

Revision ID: e8b4f2a61c93
Revises: d2a7c915e4b0
Create Date: 2026-12-02 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db

revision: str = "e8b4f2a61c93"
down_revision: str | None = "d2a7c915e4b0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The initial migration left the (assignment_id, round) constraint unnamed: PostgreSQL named it
# itself; on SQLite the batch copy names it through this convention so that it can be dropped.
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _unique_name() -> tuple[str, dict[str, str]]:
    if op.get_bind().dialect.name == "sqlite":
        return "uq_reply_assignment_id_round", SQLITE_NAMES
    return "reply_assignment_id_round_key", {}


def upgrade() -> None:
    name, convention = _unique_name()
    with op.batch_alter_table("reply", naming_convention=convention) as batch:
        # A sent-back reply stays; the unit's next reply is in the same round.
        batch.drop_constraint(name, type_="unique")
        batch.add_column(sa.Column("rated_at", servicekit.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sent_back_at", servicekit.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sent_back_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch.add_column(sa.Column("sent_back_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch.add_column(sa.Column("sent_back_unanswered", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    name, convention = _unique_name()
    with op.batch_alter_table("reply", naming_convention=convention) as batch:
        for column in ("sent_back_unanswered", "sent_back_reason", "sent_back_by", "sent_back_at", "rated_at"):
            batch.drop_column(column)
        batch.create_unique_constraint(name, ["assignment_id", "round"])
