"""outcome wording: each body's outcome classes, labels and report sentences (assignment.rules_set)

Revision ID: c4d8e2a61f05
Revises: 9e4a2c7d1b36
Create Date: 2026-12-01 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db

revision: str = "c4d8e2a61f05"
down_revision: str | None = "9e4a2c7d1b36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcome_wording",
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("set_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("body_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("outcome_wording")
