"""proposal lifecycle

Revision ID: 8a0c3633563c
Revises: 922cff3a27f0
Create Date: 2026-11-22 07:28:04.250376
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db
from servicekit.migration_ops import create_messaging_tables_v1, drop_messaging_tables_v1


revision: str = "8a0c3633563c"
down_revision: str | None = "922cff3a27f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The walking skeleton's proposal table held no data worth keeping (nothing was deployed);
    # the lifecycle's tables replace it.
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_submitted_at_id")
    op.drop_table("proposal")
    op.create_table(
        "body",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("cosign_days", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("min_cosigners", sa.Integer(), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "category",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["body.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("body_id", "name"),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_body_id"), ["body_id"], unique=False)

    op.create_table(
        "member",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("sector", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("affiliation", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["body.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("body_id", "code"),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_body_id"), ["body_id"], unique=False)

    op.create_table(
        "session",
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("meeting", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("filing_opens_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("filing_closes_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["body.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("body_id", "term", "meeting"),
    )
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_body_id"), ["body_id"], unique=False)

    op.create_table(
        "numbersequence",
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
        ),
        sa.PrimaryKeyConstraint("session_id", "kind"),
    )
    op.create_table(
        "proposal",
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("category_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("lead_member_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("group_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("key", sa.Boolean(), nullable=False),
        sa.Column("supervising_leader", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("merged_into_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("decline_reason", sa.String(length=30), nullable=True),
        sa.Column("decline_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("referral", sa.String(length=20), nullable=True),
        sa.Column("handling_round", sa.Integer(), nullable=False),
        sa.Column("handling_rank", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("registered_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["body.id"],
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
        ),
        sa.ForeignKeyConstraint(
            ["lead_member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["proposal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "kind", "number"),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_body_status", ["body_id", "status"], unique=False)
        batch_op.create_index("ix_proposal_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_created_by"), ["created_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_lead_member_id"), ["lead_member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_session_id"), ["session_id"], unique=False)

    op.create_table(
        "cosignature",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("deadline", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("invited_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id", "member_id"),
    )
    with op.batch_alter_table("cosignature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosignature_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cosignature_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "handlingunit",
        sa.Column("assignment_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("unit_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
        ),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    with op.batch_alter_table("handlingunit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handlingunit_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handlingunit_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "searchterm",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
        ),
        sa.PrimaryKeyConstraint("term", "proposal_id"),
    )
    with op.batch_alter_table("searchterm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_searchterm_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "timelineentry",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("timelineentry", schema=None) as batch_op:
        batch_op.create_index("ix_timelineentry_proposal_at", ["proposal_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timelineentry", schema=None) as batch_op:
        batch_op.drop_index("ix_timelineentry_proposal_at")

    op.drop_table("timelineentry")
    with op.batch_alter_table("searchterm", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_searchterm_proposal_id"))

    op.drop_table("searchterm")
    with op.batch_alter_table("handlingunit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handlingunit_unit_id"))
        batch_op.drop_index(batch_op.f("ix_handlingunit_proposal_id"))

    op.drop_table("handlingunit")
    with op.batch_alter_table("cosignature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosignature_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_cosignature_member_id"))

    op.drop_table("cosignature")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_session_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_lead_member_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_created_by"))
        batch_op.drop_index("ix_proposal_created_at_id")
        batch_op.drop_index("ix_proposal_body_status")

    op.drop_table("proposal")
    op.drop_table("numbersequence")
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_body_id"))

    op.drop_table("session")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_body_id"))

    op.drop_table("member")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_body_id"))

    op.drop_table("category")
    op.drop_table("body")
    op.create_table(
        "proposal",
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("lead_proposer", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_submitted_at_id", ["submitted_at", "id"], unique=False)
