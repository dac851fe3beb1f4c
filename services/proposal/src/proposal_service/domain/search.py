"""The search document of an item and the full-text index over it (ADR 0014).

Writing an item stores its ``SearchDocument`` (full-text terms and similarity words, proposal_service.text) and keeps
the words' document frequencies (``WordCount``). The index itself is the database's: an FTS5 table on SQLite, a GIN
index over ``array_to_tsvector`` of the terms on PostgreSQL, both made by the migration. These helpers never commit.
"""

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Text,
    cast,
    column,
    insert,
    literal,
    literal_column,
    table,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.models import Proposal, SearchContent, SearchDocument, WordCount
from proposal_service.text import Words, fts_safe, fts_terms, words
from servicekit.db import add_to_counters

FTS_TABLE = "search_fts"  # SQLite FTS5, external content = searchcontent, rowid = searchdocument.id
PG_FTS_INDEX = "ix_searchcontent_fts"  # GIN on searchcontent.tsv = array_to_tsvector(string_to_array(terms, ' '))
PG_FTS_COLUMN = "tsv"
_fts = table(FTS_TABLE, column("rowid", Integer), column(FTS_TABLE, Text))
_CHUNK = 2_000  # words per IN list, well under either driver's parameter limit
# The word count row counting every search document (no word is empty): idf needs the corpus size, and a
# count(*) of searchdocument reads the whole table on every similar-item call. Documents are never deleted.
DOCUMENTS = ""


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _tsvector() -> ColumnElement[object]:
    # PostgreSQL: the generated column searchcontent.tsv, array_to_tsvector of the terms (lexemes as they are: no
    # parser, no positions, nothing a locale could change), with the GIN index on it; made by the migration.
    return literal_column(f"{SearchContent.__tablename__}.tsv")


def matching_documents(session: AsyncSession, terms: Sequence[str]) -> Select[Any]:
    """The ids of the search documents holding every term (AND). ``terms`` are ``query_terms`` (Han or ASCII runs)."""
    safe = fts_safe(terms)
    assert safe and len(safe) == len(terms), "query terms are single Han or ASCII runs"
    if _dialect(session) == "postgresql":
        query = " & ".join(f"'{t}'" for t in safe)
        return sa_select(col(SearchContent.id)).where(_tsvector().op("@@")(cast(query, postgresql.TSQUERY)))
    match = " ".join(f'"{t}"' for t in safe)  # FTS5: adjacent strings are ANDed
    return sa_select(_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(match))


def postings(session: AsyncSession, probes: Sequence[str], *, cap: int) -> CompoundSelect[Any]:
    """(word, search document id) for each probe word (a Han or ASCII run), at most ``cap`` documents per word,
    the newest first: one round trip for all of them."""
    parts = []
    for word in probes:
        ids = matching_documents(session, [word]).subquery()
        part = sa_select(literal(word).label("word"), ids.c[0].label("doc")).order_by(ids.c[0].desc()).limit(cap)
        parts.append(part.subquery().select())
    return union_all(*parts)


def matching_items(session: AsyncSession, terms: Sequence[str]) -> Select[Any]:
    """The ids of the items whose title and content hold every term."""
    return sa_select(col(SearchDocument.proposal_id)).where(
        col(SearchDocument.id).in_(matching_documents(session, terms))
    )


async def _add_counts(session: AsyncSession, deltas: Mapping[str, int]) -> None:
    rows = [{"word": w, "documents": deltas[w]} for w in sorted(deltas)]  # one lock order: no deadlocks
    table_ = WordCount.__table__  # type: ignore[attr-defined]
    await add_to_counters(session, table_, rows, keys=["word"], add=["documents"])


@dataclass(frozen=True)
class SearchText:
    """What an item's search document stores, worked out from its title and content (jieba: ~4 ms/1,000 chars)."""

    terms: str
    words: Words


def analyse(title: str, content: str) -> SearchText:
    """Pure CPU work; callers run it before their transaction begins (SQLite's writer lock is not held through
    jieba) or let ``index_item`` run it in a worker thread."""
    return SearchText(fts_terms(title, content), words(title, content))


async def index_item(session: AsyncSession, item: Proposal, analysed: SearchText | None = None) -> None:
    """Stores the item's search document (new or changed title/content) and updates the word counts; ``analysed``
    when the caller has run ``analyse`` on the item's current text already."""
    if analysed is None:  # a worker thread keeps the event loop answering meanwhile
        analysed = await asyncio.to_thread(analyse, item.title, item.content)
    terms, found = analysed.terms, analysed.words
    title_words, full_words = found.serialise()
    document = (await session.exec(select(SearchDocument).where(SearchDocument.proposal_id == item.id))).first()
    if document is None:
        await index_new_items(session, [(item.id, analysed)])
        return
    content = await session.get_one(SearchContent, document.id)
    if content.terms == terms and content.words == full_words and content.title_words == title_words:
        return
    old, new = set(content.words.split()), set(found.full)
    await _add_counts(session, dict.fromkeys(old - new, -1) | dict.fromkeys(new - old, +1))
    content.terms, content.title_words, content.words = terms, title_words, full_words
    session.add(content)
    await session.flush()


async def index_new_items(session: AsyncSession, analysed: Sequence[tuple[str, SearchText]]) -> None:
    """Stores the search documents of items that have none yet ((item id, its analysed text)) in a few bulk
    statements, and counts their words once for all of them: an import or a seeded year writes thousands of
    items, and one upsert per word per item would be most of its time."""
    if not analysed:
        return
    ids = (
        await session.exec(
            insert(SearchDocument).returning(col(SearchDocument.id), col(SearchDocument.proposal_id)),
            params=[{"proposal_id": item_id} for item_id, _ in analysed],
        )
    ).all()
    row_id = {item_id: doc for doc, item_id in ids}  # its id is the full-text row id
    contents = []
    counts: Counter[str] = Counter({DOCUMENTS: len(analysed)})
    for item_id, text in analysed:
        title_words, full_words = text.words.serialise()
        contents.append({"id": row_id[item_id], "terms": text.terms, "title_words": title_words, "words": full_words})
        counts.update(set(text.words.full))
    await session.exec(insert(SearchContent), params=contents)
    await _add_counts(session, counts)


async def document_frequencies(session: AsyncSession, counted: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(counted))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(WordCount.word, WordCount.documents).where(
            col(WordCount.word).in_(wanted[start : start + _CHUNK])
        )
        found.update((await session.exec(query)).all())
    return found
