"""per-kind preferences, bodies' SMS quiet hours, extension requests waiting

Revision ID: e7a1d2c3b4f5
Revises: c5e2a7d41f90
Create Date: 2026-12-02 06:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db

revision: str = 'e7a1d2c3b4f5'
down_revision: str | None = 'c5e2a7d41f90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'body_quiet_hours',
        sa.Column('body_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('sms_quiet_start', sa.Time(), nullable=True),
        sa.Column('sms_quiet_end', sa.Time(), nullable=True),
        sa.Column('updated_at', servicekit.db.UTCDateTime(), nullable=False),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.PrimaryKeyConstraint('body_id'),
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('muted', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    with op.batch_alter_table('pending_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_due_date', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pending_request', schema=None) as batch_op:
        batch_op.drop_column('requested_due_date')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('muted')
    op.drop_table('body_quiet_hours')
