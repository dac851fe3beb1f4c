"""search document count: the word count row '' counts every search document (similar items' idf read it by a
count(*) of searchdocument, a whole-table read on every call)

Revision ID: c4a7e1d93b20
Revises: b3f9d2c4e871
Create Date: 2026-12-02 10:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4a7e1d93b20"
down_revision: str | None = "b3f9d2c4e871"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("INSERT INTO wordcount (word, documents) SELECT '', count(*) FROM searchdocument")


def downgrade() -> None:
    op.execute("DELETE FROM wordcount WHERE word = ''")
