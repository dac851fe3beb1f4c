"""reminders

Revision ID: 4b7e1c9a2d5f
Revises: dc82aca7f3f0
Create Date: 2026-12-01 08:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '4b7e1c9a2d5f'
down_revision: str | None = 'dc82aca7f3f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'scheduled_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('until', sa.Date(), nullable=False),
        sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('proposal_id', 'recipient', 'kind', 'day', name='uq_reminder_item_recipient_kind_day'),
    )
    op.create_index('ix_scheduled_reminder_due', 'scheduled_reminder', ['status', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_scheduled_reminder_due', table_name='scheduled_reminder')
    op.drop_table('scheduled_reminder')
