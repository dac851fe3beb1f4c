"""statistics covering indexes: a session's items grouped by their tally fields, its units' parts and its ratings
read from indexes alone (models.TALLY_FIELDS, PART_FIELDS, RATING_FIELDS)

Revision ID: f3a9c1d7e240
Revises: c4d8e2a61f05
Create Date: 2026-12-02 10:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f3a9c1d7e240"
down_revision: str | None = "c4d8e2a61f05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As models.py had them when this revision was written (a migration never imports the models).
INDEXES = {
    ("ix_stat_item_tally", "stat_item"): [
        "body_id", "session_id", "kind", "category", "filed", "registered", "declined", "merged", "withdrawn",
        "key", "replied", "replied_on_time", "outcome", "first_outcome", "overdue", "proposal_id",
    ],
    ("ix_stat_unit_parts", "stat_unit"): [
        "proposal_id", "moved_away", "unit_id", "unit_name", "role", "replied", "on_time",
        "contacted_before_reply", "outcome", "overdue",
    ],
    ("ix_evaluation_rating", "evaluation"): ["proposal_id", "unit_id", "member_id", "round", "result"],
}  # fmt: skip


def upgrade() -> None:
    for (name, table), columns in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table in INDEXES:
        op.drop_index(name, table_name=table)
