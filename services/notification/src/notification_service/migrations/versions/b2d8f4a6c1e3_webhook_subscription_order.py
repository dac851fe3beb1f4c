"""webhook subscription order: an administrator's list of webhooks pages by (created_at, id)

Revision ID: b2d8f4a6c1e3
Revises: e7a1d2c3b4f5
Create Date: 2026-12-02 09:55:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'b2d8f4a6c1e3'
down_revision: str | None = 'e7a1d2c3b4f5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_webhook_subscription_created_at_id', 'webhook_subscription', ['created_at', 'id'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_webhook_subscription_created_at_id', table_name='webhook_subscription')
