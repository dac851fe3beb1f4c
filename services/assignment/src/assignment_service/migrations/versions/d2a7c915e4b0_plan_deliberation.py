"""plan deliberation: the standing committee's deliberation of a motion's handling plan

Revision ID: d2a7c915e4b0
Revises: a5e1c0d7b342
Create Date: 2026-12-01 11:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d2a7c915e4b0"
down_revision: str | None = "a5e1c0d7b342"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handling_plan") as batch:
        batch.add_column(sa.Column("deliberation_meeting", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch.add_column(sa.Column("deliberated_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("deliberation_opinions", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("handling_plan") as batch:
        batch.drop_column("deliberation_opinions")
        batch.drop_column("deliberated_on")
        batch.drop_column("deliberation_meeting")
