"""activation codes

One-time codes with which an imported member's account (no password yet) sets its password and
signs in, stored as SHA-256 only (ADR 21).

Revision ID: c7d41a9e3b20
Revises: e5f2d71ece74
Create Date: 2026-12-01 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db

revision: str = "c7d41a9e3b20"
down_revision: str | None = "e5f2d71ece74"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activation_code",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("issued_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("activation_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activation_code_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activation_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activation_code_account_id"))
    op.drop_table("activation_code")
