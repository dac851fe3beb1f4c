"""search on the database's full-text index: a search document per item (FTS5 on SQLite, GIN on PostgreSQL) and
the word counts of similar-item scoring, in place of the row-per-term table; existing items are reindexed

Revision ID: e7c7ec2ee68b
Revises: 5b8b9fbdb336
Create Date: 2026-12-01 06:47:14.959262

The FTS5 table, its triggers and the GIN expression index are outside the models; migrations/env.py leaves them out
of the comparison. Caution for later migrations: a batch operation on ``searchcontent`` under SQLite copies the
table and drops its triggers; recreate them (``_create_sqlite_fts``) after any such change.
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e7c7ec2ee68b"
down_revision: str | None = "5b8b9fbdb336"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500


def _create_sqlite_fts() -> None:
    # External content: the terms are stored once, in searchcontent; the FTS5 table holds only the index.
    # tokenize=ascii: the terms are already split by spaces, and every non-ASCII character (Han) is a token
    # character. detail=none: rowids only, no positions; a search is an AND of whole terms, never a phrase.
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "terms, content='searchcontent', content_rowid='id', tokenize='ascii', detail='none')"
    )
    op.execute(
        "CREATE TRIGGER searchcontent_ai AFTER INSERT ON searchcontent BEGIN "
        "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END"
    )
    op.execute(
        "CREATE TRIGGER searchcontent_ad AFTER DELETE ON searchcontent BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END"
    )
    op.execute(
        "CREATE TRIGGER searchcontent_au AFTER UPDATE OF terms ON searchcontent BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
        "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END"
    )


def _reindex() -> None:
    """Search documents and word counts for the items already stored (jieba: ~4 ms per 1,000 characters)."""
    from proposal_service.text import fts_terms, words  # the tokenizer of this release

    connection = op.get_bind()
    documents = sa.table("searchdocument", sa.column("proposal_id", sa.String))
    contents = sa.table(
        "searchcontent",
        sa.column("id", sa.Integer),
        sa.column("terms", sa.Text),
        sa.column("title_words", sa.Text),
        sa.column("words", sa.Text),
    )
    counts: Counter[str] = Counter()
    last = ""
    while True:
        rows = connection.execute(
            sa.text("SELECT id, title, content FROM proposal WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        batch = []
        for proposal_id, title, content in rows:
            found = words(title, content)
            title_words, full_words = found.serialise()
            counts.update(set(found.full))
            batch.append(
                {
                    "proposal_id": proposal_id,
                    "terms": fts_terms(title, content),
                    "title_words": title_words,
                    "words": full_words,
                }
            )
        connection.execute(documents.insert(), [{"proposal_id": b["proposal_id"]} for b in batch])
        ids = dict(
            connection.execute(
                sa.text("SELECT proposal_id, id FROM searchdocument WHERE proposal_id > :last AND proposal_id <= :end"),
                {"last": last, "end": rows[-1][0]},
            ).all()
        )
        for b in batch:
            b["id"] = ids[b.pop("proposal_id")]
        connection.execute(contents.insert(), batch)
        last = rows[-1][0]
    word_counts = sa.table("wordcount", sa.column("word", sa.String), sa.column("documents", sa.Integer))
    items = sorted(counts.items())
    for start in range(0, len(items), _BATCH):
        connection.execute(
            word_counts.insert(), [{"word": w, "documents": n} for w, n in items[start : start + _BATCH]]
        )


def upgrade() -> None:
    op.create_table(
        "wordcount",
        sa.Column("word", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("word"),
    )
    # Two tables: the narrow row id -> item map that every search reads, and the wide text behind the index.
    op.create_table(
        "searchdocument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id"),
    )
    op.create_table(
        "searchcontent",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("title_words", sa.Text(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"],
            ["searchdocument.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        _create_sqlite_fts()
    else:
        # array_to_tsvector takes the space-separated terms as lexemes as they are (the 'simple' configuration
        # without a parser): nothing is stemmed, dropped or split, and no positions are kept. A stored generated
        # column rather than an expression index: the planner prices the expression as cheap and would rather
        # recompute it on every row (a sequential scan, ~0.15 ms a row) than read the GIN index.
        op.execute(
            "ALTER TABLE searchcontent ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (array_to_tsvector(string_to_array(terms, ' '))) STORED"
        )
        op.execute("CREATE INDEX ix_searchcontent_fts ON searchcontent USING gin (tsv)")
    _reindex()
    with op.batch_alter_table("searchterm", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_searchterm_proposal_id"))
    op.drop_table("searchterm")


def downgrade() -> None:
    op.create_table(
        "searchterm",
        sa.Column("term", sa.VARCHAR(length=40), nullable=False),
        sa.Column("proposal_id", sa.VARCHAR(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
        ),
        sa.PrimaryKeyConstraint("term", "proposal_id"),
    )
    with op.batch_alter_table("searchterm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_searchterm_proposal_id"), ["proposal_id"], unique=False)
    # The old table's rows are rebuilt from the current index terms of each item.
    from proposal_service.text import index_terms

    connection = op.get_bind()
    terms = sa.table("searchterm", sa.column("term", sa.String), sa.column("proposal_id", sa.String))
    for proposal_id, title, content in connection.execute(sa.text("SELECT id, title, content FROM proposal")).all():
        rows = [{"term": t, "proposal_id": proposal_id} for t in index_terms(title, content)]
        if rows:
            connection.execute(terms.insert(), rows)
    if connection.dialect.name == "sqlite":
        for trigger in ("searchcontent_ai", "searchcontent_ad", "searchcontent_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("searchcontent")
    op.drop_table("searchdocument")
    op.drop_table("wordcount")
