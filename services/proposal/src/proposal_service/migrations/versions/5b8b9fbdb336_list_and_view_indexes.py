"""list and view indexes: one ordered index per list branch, and merged_into_id for the item view

Revision ID: 5b8b9fbdb336
Revises: 8a0c3633563c
Create Date: 2026-12-01 06:35:37.917478
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b8b9fbdb336"
down_revision: str | None = "8a0c3633563c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_created_by"))
        batch_op.drop_index(batch_op.f("ix_proposal_lead_member_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_session_id"))
        batch_op.create_index("ix_proposal_body_created_at_id", ["body_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_proposal_body_updated_at_id", ["body_id", "updated_at", "id"], unique=False)
        batch_op.create_index("ix_proposal_created_by_created_at_id", ["created_by", "created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_proposal_lead_member_created_at_id", ["lead_member_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_proposal_merged_into_id", ["merged_into_id"], unique=False)
        batch_op.create_index("ix_proposal_session_created_at_id", ["session_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_proposal_session_updated_at_id", ["session_id", "updated_at", "id"], unique=False)
        batch_op.create_index("ix_proposal_updated_at_id", ["updated_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_updated_at_id")
        batch_op.drop_index("ix_proposal_session_updated_at_id")
        batch_op.drop_index("ix_proposal_session_created_at_id")
        batch_op.drop_index("ix_proposal_merged_into_id")
        batch_op.drop_index("ix_proposal_lead_member_created_at_id")
        batch_op.drop_index("ix_proposal_created_by_created_at_id")
        batch_op.drop_index("ix_proposal_body_updated_at_id")
        batch_op.drop_index("ix_proposal_body_created_at_id")
        batch_op.create_index(batch_op.f("ix_proposal_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_lead_member_id"), ["lead_member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_created_by"), ["created_by"], unique=False)
