"""outcome labels: each outcome class's label and report sentence in the body's handling rules

Revision ID: a5e1c0d7b342
Revises: 3cdac103de7e
Create Date: 2026-12-01 11:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a5e1c0d7b342"
down_revision: str | None = "3cdac103de7e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rules stored before carry no labels ([]): the report falls back to the standard wording.
    with op.batch_alter_table("handling_rules") as batch:
        batch.add_column(sa.Column("outcome_labels", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("handling_rules") as batch:
        batch.drop_column("outcome_labels")
