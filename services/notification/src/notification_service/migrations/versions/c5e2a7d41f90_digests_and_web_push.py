"""digests, web push, supervision digests

Revision ID: c5e2a7d41f90
Revises: 8d3f6a0b1c2e
Create Date: 2026-12-01 11:25:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db

revision: str = 'c5e2a7d41f90'
down_revision: str | None = '8d3f6a0b1c2e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('item_info', sa.Column('key', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('item_info', sa.Column('supervising_leader', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.create_table(
        'assignment_info',
        sa.Column('assignment_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('proposal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('body_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('unit_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('overdue', sa.Boolean(), nullable=False),
        sa.Column('done', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('assignment_id'),
    )
    op.create_index('ix_assignment_info_body_overdue', 'assignment_info', ['body_id', 'overdue', 'done'], unique=False)
    op.create_index(op.f('ix_assignment_info_proposal_id'), 'assignment_info', ['proposal_id'], unique=False)
    op.create_table(
        'pending_request',
        sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('assignment_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('proposal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('body_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('requested_at', servicekit.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('request_id'),
    )
    op.create_index(op.f('ix_pending_request_body_id'), 'pending_request', ['body_id'], unique=False)
    op.create_index(op.f('ix_pending_request_proposal_id'), 'pending_request', ['proposal_id'], unique=False)
    op.add_column('delivery', sa.Column('digest_id', sa.Integer(), nullable=True))
    op.add_column('contact', sa.Column('push_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        'push_subscription',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('endpoint', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('p256dh', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('auth', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('created_at', servicekit.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('endpoint'),
    )
    op.create_index(op.f('ix_push_subscription_owner'), 'push_subscription', ['owner'], unique=False)
    op.create_index(op.f('ix_push_subscription_recipient'), 'push_subscription', ['recipient'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_pending_request_proposal_id'), table_name='pending_request')
    op.drop_index(op.f('ix_pending_request_body_id'), table_name='pending_request')
    op.drop_table('pending_request')
    op.drop_index(op.f('ix_assignment_info_proposal_id'), table_name='assignment_info')
    op.drop_index('ix_assignment_info_body_overdue', table_name='assignment_info')
    op.drop_table('assignment_info')
    op.drop_column('item_info', 'supervising_leader')
    op.drop_column('item_info', 'key')
    op.drop_index(op.f('ix_push_subscription_recipient'), table_name='push_subscription')
    op.drop_index(op.f('ix_push_subscription_owner'), table_name='push_subscription')
    op.drop_table('push_subscription')
    op.drop_column('contact', 'push_enabled')
    op.drop_column('delivery', 'digest_id')
