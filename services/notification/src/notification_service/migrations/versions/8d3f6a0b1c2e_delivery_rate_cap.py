"""delivery rate cap

Revision ID: 8d3f6a0b1c2e
Revises: 4b7e1c9a2d5f
Create Date: 2026-12-01 08:20:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '8d3f6a0b1c2e'
down_revision: str | None = '4b7e1c9a2d5f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_delivery_recipient_sent', 'delivery', ['recipient', 'channel', 'sent_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_delivery_recipient_sent', table_name='delivery')
