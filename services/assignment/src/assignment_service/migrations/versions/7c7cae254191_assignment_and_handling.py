"""assignment and handling

Revision ID: 7c7cae254191
Revises: 4cbe1a67d289
Create Date: 2026-11-22 08:02:59.521884
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.db
from servicekit.migration_ops import create_messaging_tables_v1, drop_messaging_tables_v1


revision: str = "7c7cae254191"
down_revision: str | None = "4cbe1a67d289"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The walking skeleton's projection held nothing worth keeping (nothing was deployed), and its
    # shape changes throughout; it is replaced.
    with op.batch_alter_table("proposal_projection", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_projection_status_received")
    op.drop_table("proposal_projection")
    op.create_table(
        "handling_rules",
        sa.Column("reply_months", sa.Integer(), nullable=False),
        sa.Column("max_months", sa.Integer(), nullable=False),
        sa.Column("rehandling_months", sa.Integer(), nullable=False),
        sa.Column("adjustment_window_days", sa.Integer(), nullable=False),
        sa.Column("due_soon_days", sa.Integer(), nullable=False),
        sa.Column("contact_required", sa.Boolean(), nullable=False),
        sa.Column("outcome_classes", sa.JSON(), nullable=False),
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint("body_id", "kind"),
    )
    op.create_table(
        "proposal_projection",
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("number_label", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("lead_member_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("key", sa.Boolean(), nullable=False),
        sa.Column("supervising_leader", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("submitted_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registered_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("cosigner_member_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id"),
    )
    with op.batch_alter_table("proposal_projection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_projection_body_id"), ["body_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_projection_lead_member_id"), ["lead_member_id"], unique=False)
        batch_op.create_index(
            "ix_proposal_projection_status_received", ["status", "received_at", "proposal_id"], unique=False
        )

    op.create_table(
        "unit",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("parent_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "assignment",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("body_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("assigned_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_rule", sa.JSON(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal_projection.proposal_id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id", "unit_id"),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_body_id"), ["body_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index("ix_assignment_status_due", ["status", "due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "handling_plan",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("document_number", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal_projection.proposal_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id"),
    )
    op.create_table(
        "adjustment_request",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("assignment_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("suggested_unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("new_unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("adjustment_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adjustment_request_assignment_id"), ["assignment_id"], unique=False)

    op.create_table(
        "extension",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("assignment_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", servicekit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extension_assignment_id"), ["assignment_id"], unique=False)

    op.create_table(
        "handling_record",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("assignment_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact_kind", sa.String(length=10), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("created_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handling_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handling_record_assignment_id"), ["assignment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handling_record_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "plan_task",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("plan_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("group_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("lead_unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("responsible_unit_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["handling_plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_task_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "reminder",
        sa.Column("assignment_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("sent_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.PrimaryKeyConstraint("assignment_id", "day"),
    )
    op.create_table(
        "reply",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("assignment_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("publishable", sa.Boolean(), nullable=False),
        sa.Column("replied_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assignment_id", "round"),
    )
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_assignment_id"), ["assignment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reply_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "commitment",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reply_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["reply.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commitment_reply_id"), ["reply_id"], unique=False)

    op.create_table(
        "milestone",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("derived", sa.Boolean(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["plan_task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestone_task_id"), ["task_id"], unique=False)

    op.create_table(
        "stage_report",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reported_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["plan_task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stage_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_report_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stage_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_report_task_id"))

    op.drop_table("stage_report")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_task_id"))

    op.drop_table("milestone")
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_reply_id"))

    op.drop_table("commitment")
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_reply_assignment_id"))

    op.drop_table("reply")
    op.drop_table("reminder")
    with op.batch_alter_table("plan_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_task_plan_id"))

    op.drop_table("plan_task")
    with op.batch_alter_table("handling_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handling_record_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_handling_record_assignment_id"))

    op.drop_table("handling_record")
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extension_assignment_id"))

    op.drop_table("extension")
    with op.batch_alter_table("adjustment_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjustment_request_assignment_id"))

    op.drop_table("adjustment_request")
    op.drop_table("handling_plan")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_unit_id"))
        batch_op.drop_index("ix_assignment_status_due")
        batch_op.drop_index(batch_op.f("ix_assignment_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_body_id"))

    op.drop_table("assignment")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_parent_id"))

    op.drop_table("unit")
    with op.batch_alter_table("proposal_projection", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_projection_status_received")
        batch_op.drop_index(batch_op.f("ix_proposal_projection_lead_member_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_projection_body_id"))

    op.drop_table("proposal_projection")
    op.drop_table("handling_rules")
    op.create_table(
        "proposal_projection",
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("submitted_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", servicekit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id"),
    )
    with op.batch_alter_table("proposal_projection", schema=None) as batch_op:
        batch_op.create_index(
            "ix_proposal_projection_status_received", ["status", "received_at", "proposal_id"], unique=False
        )
