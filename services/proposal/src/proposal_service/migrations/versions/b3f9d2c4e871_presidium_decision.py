"""presidium decision: a congress motion's decision (on_agenda, to_committee, as_suggestion) and its date

Revision ID: b3f9d2c4e871
Revises: e7c7ec2ee68b
Create Date: 2026-12-01 11:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b3f9d2c4e871"
down_revision: str | None = "e7c7ec2ee68b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable) on SQLite too: no table rebuild that would touch the search index.
    op.add_column(
        "proposal", sa.Column("presidium_decision", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
    )
    op.add_column("proposal", sa.Column("presidium_decided_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("presidium_decided_on")
        batch.drop_column("presidium_decision")
