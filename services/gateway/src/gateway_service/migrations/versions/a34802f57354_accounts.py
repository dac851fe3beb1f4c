"""accounts: the gateway's sign-in tables (accounts, refresh-token families, failed logins)

Revision ID: a34802f57354
Revises: 0b3a22e2c060
Create Date: 2026-11-22 07:29:02.924719
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db


revision: str = "a34802f57354"
down_revision: str | None = "0b3a22e2c060"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("unit_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index("ux_account_username", ["username"], unique=True)

    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failed_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_account_key_failed_at", ["account_key", "failed_at"], unique=False)
        batch_op.create_index("ix_login_failure_address_failed_at", ["address", "failed_at"], unique=False)
        batch_op.create_index("ix_login_failure_failed_at", ["failed_at"], unique=False)

    op.create_table(
        "refresh_token",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("family_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("issued_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("spent_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_token_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_token_family_id"), ["family_id"], unique=False)
        batch_op.create_index("ux_refresh_token_token_hash", ["token_hash"], unique=True)



def downgrade() -> None:
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.drop_index("ux_refresh_token_token_hash")
        batch_op.drop_index(batch_op.f("ix_refresh_token_family_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_token_account_id"))

    op.drop_table("refresh_token")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_failed_at")
        batch_op.drop_index("ix_login_failure_address_failed_at")
        batch_op.drop_index("ix_login_failure_account_key_failed_at")

    op.drop_table("login_failure")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index("ux_account_username")

    op.drop_table("account")
