"""Alembic operations for the tables servicekit adds to every service's database.

Each version is frozen: a later change to the outbox or inbox gets a new
function, called from a new revision of every service, so old revisions
keep creating what they created.
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import servicekit.db


def create_messaging_tables_v1() -> None:
    """inbox_message, outbox_lease and outbox_message as of servicekit 0.1."""
    op.create_table(
        "inbox_message",
        sa.Column("event_id", AutoString(length=64), nullable=False),
        sa.Column("event_type", AutoString(length=200), nullable=False),
        sa.Column("source", AutoString(length=200), nullable=False),
        sa.Column("processed_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "outbox_lease",
        sa.Column("name", AutoString(length=100), nullable=False),
        sa.Column("holder", AutoString(length=100), nullable=False),
        sa.Column("expires_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "outbox_message",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_id", AutoString(length=64), nullable=False),
        sa.Column("topic", AutoString(length=200), nullable=False),
        sa.Column("message_key", AutoString(length=200), nullable=False),
        sa.Column("event_type", AutoString(length=200), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_message_unpublished",
            ["position"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )


def drop_messaging_tables_v1() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_message_unpublished",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )
    op.drop_table("outbox_message")
    op.drop_table("outbox_lease")
    op.drop_table("inbox_message")
