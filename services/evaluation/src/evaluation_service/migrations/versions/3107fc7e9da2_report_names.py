"""the report's names: items' title and number (stat_item), the session's names (session_name)

Existing items keep no title or number until their events are replayed (python -m
evaluation_service.rebuild); events from before the names were added carry none, so those
sessions keep the report's neutral title.

Revision ID: 3107fc7e9da2
Revises: 5b2f0e7c9a41
Create Date: 2026-11-30 22:08:19.293014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db

revision: str = "3107fc7e9da2"
down_revision: str | None = "5b2f0e7c9a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_name",
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("body_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("session_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("named_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("body_id", "session_id"),
    )
    with op.batch_alter_table("stat_item") as batch:
        batch.add_column(sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("number_label", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stat_item") as batch:
        batch.drop_column("number_label")
        batch.drop_column("number")
        batch.drop_column("title")
    op.drop_table("session_name")
