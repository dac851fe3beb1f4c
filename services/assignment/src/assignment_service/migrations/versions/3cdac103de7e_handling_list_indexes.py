"""handling list indexes: the body's list in waiting order, whole or by status, as one index range

Revision ID: 3cdac103de7e
Revises: 7c7cae254191
Create Date: 2026-12-01 06:57:04.788653
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3cdac103de7e"
down_revision: str | None = "7c7cae254191"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proposal_projection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_projection_body_id"))
        batch_op.create_index(
            "ix_proposal_projection_body_received", ["body_id", "received_at", "proposal_id"], unique=False
        )
        batch_op.create_index(
            "ix_proposal_projection_body_status_received",
            ["body_id", "status", "received_at", "proposal_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal_projection", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_projection_body_status_received")
        batch_op.drop_index("ix_proposal_projection_body_received")
        batch_op.create_index(batch_op.f("ix_proposal_projection_body_id"), ["body_id"], unique=False)
