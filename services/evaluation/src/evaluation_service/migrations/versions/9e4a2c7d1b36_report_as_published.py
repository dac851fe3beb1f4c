"""the report as the bodies publish it: the category breakdown rule, the session's formal name
(body kind, term and meeting numbers) and year

Revision ID: 9e4a2c7d1b36
Revises: 3107fc7e9da2
Create Date: 2026-12-01 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "9e4a2c7d1b36"
down_revision: str | None = "3107fc7e9da2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluation_rules") as batch:
        batch.add_column(sa.Column("category_breakdown", sa.String(10), nullable=False, server_default="all"))
    with op.batch_alter_table("session_name") as batch:
        batch.add_column(sa.Column("body_kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        batch.add_column(sa.Column("term", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("meeting", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("year", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session_name") as batch:
        batch.drop_column("year")
        batch.drop_column("meeting")
        batch.drop_column("term")
        batch.drop_column("body_kind")
    with op.batch_alter_table("evaluation_rules") as batch:
        batch.drop_column("category_breakdown")
