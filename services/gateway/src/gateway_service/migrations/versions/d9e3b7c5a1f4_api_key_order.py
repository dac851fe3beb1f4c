"""api key order: GET /api-keys pages through every key by (created_at, id)

Revision ID: d9e3b7c5a1f4
Revises: c7d41a9e3b20
Create Date: 2026-12-02 10:00:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'd9e3b7c5a1f4'
down_revision: str | None = 'c7d41a9e3b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_api_key_created_at_id', 'api_key', ['created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_api_key_created_at_id', table_name='api_key')
