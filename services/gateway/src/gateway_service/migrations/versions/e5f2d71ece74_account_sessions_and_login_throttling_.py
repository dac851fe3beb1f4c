"""account sessions and login throttling per address

The sign-ins named by access tokens (sid), checked by the gateway on every request, and an
index for counting failed logins per account and client address (ADR 11).

Revision ID: e5f2d71ece74
Revises: ba1d72c90a79
Create Date: 2026-12-01 06:38:14.461566
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db

revision: str = "e5f2d71ece74"
down_revision: str | None = "ba1d72c90a79"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_session_account_id_address_created_at", ["account_id", "address", "created_at"], unique=False
        )

    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_failure_account_key_address_failed_at", ["account_key", "address", "failed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_account_key_address_failed_at")

    with op.batch_alter_table("account_session", schema=None) as batch_op:
        batch_op.drop_index("ix_account_session_account_id_address_created_at")

    op.drop_table("account_session")
