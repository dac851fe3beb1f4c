"""the body's publication setting for statistics and the annual report

Revision ID: 5b2f0e7c9a41
Revises: d1c37e69f7ef
Create Date: 2026-11-30 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b2f0e7c9a41"
down_revision: str | None = "d1c37e69f7ef"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing bodies keep their figures unpublished until their staff decide otherwise.
    with op.batch_alter_table("evaluation_rules") as batch:
        batch.add_column(sa.Column("statistics_published", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("evaluation_rules") as batch:
        batch.drop_column("statistics_published")
