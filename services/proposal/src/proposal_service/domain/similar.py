"""Similar items in bounded time whatever the corpus (ADR 0011).

The item's stored words give its rarest words (by the corpus document frequencies); the full-text index gives the
visible items of the same body holding any of them; the ``SHORTLIST`` best by the weight they share are scored
exactly from their stored words with the corpus idf. Nothing is tokenised again and no model is fitted per call.
"""

import asyncio

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.items import number_label
from proposal_service.domain.queries import visible_to
from proposal_service.domain.search import document_count, document_frequencies, matching_items
from proposal_service.models import Proposal, ProposalStatus, SearchDocument, SimilarItem
from proposal_service.text import (
    PROBE_BUDGET,
    SIMILARITY_THRESHOLD,
    Words,
    probe_words,
    rank_words,
    shortlist,
    smooth_idf,
    words,
)
from servicekit.auth import Principal


async def _stored_words(session: AsyncSession, ids: list[str]) -> dict[str, Words]:
    query = select(SearchDocument.proposal_id, SearchDocument.title_words, SearchDocument.words).where(
        col(SearchDocument.proposal_id).in_(ids)
    )
    return {pid: Words.parse(title, full) for pid, title, full in (await session.exec(query)).all()}


async def similar_items(
    *, session: AsyncSession, principal: Principal, item: Proposal, limit: int = 5
) -> list[SimilarItem]:
    """The items of the same body most like ``item``, at most ``limit`` from its own session and
    ``limit`` from past ones, scoring at least SIMILARITY_THRESHOLD; only items the caller may see."""
    mine = (await _stored_words(session, [item.id])).get(item.id)
    if mine is None:  # not indexed (yet): tokenise it once, off the event loop
        mine = await asyncio.to_thread(words, item.title, item.content)
    n_docs = max(await document_count(session), 1)
    df = await document_frequencies(session, mine.full)
    probes = probe_words(mine, df)
    eligible = (
        col(Proposal.body_id) == item.body_id,
        col(Proposal.id) != item.id,
        col(Proposal.status).not_in([ProposalStatus.draft, ProposalStatus.withdrawn]),
        visible_to(principal),
    )
    postings: dict[str, list[str]] = {}
    for word in probes:
        query = (
            select(Proposal.id)
            .where(col(Proposal.id).in_(matching_items(session, [word])), *eligible)
            .limit(PROBE_BUDGET)  # bounded even when the rarest word is common
        )
        postings[word] = list((await session.exec(query)).all())
    short = shortlist(mine, postings, smooth_idf(df, n_docs))
    if not short:
        return []
    stored = await _stored_words(session, short)
    candidates = [(pid, stored[pid]) for pid in short if pid in stored]
    df.update(await document_frequencies(session, {w for _, c in candidates for w in c.full} - df.keys()))
    # Scoring ≤ SHORTLIST stored vectors is a few milliseconds of Python: no worker thread needed.
    ranked = rank_words(mine, candidates, smooth_idf(df, n_docs), limit=len(candidates), min_score=SIMILARITY_THRESHOLD)
    if not ranked:
        return []
    rows = {
        p.id: p
        for p in (await session.exec(select(Proposal).where(col(Proposal.id).in_([i for i, _ in ranked])))).all()
    }
    same: list[SimilarItem] = []
    past: list[SimilarItem] = []
    for candidate_id, score in ranked:
        c = rows[candidate_id]
        found = SimilarItem(
            id=c.id,
            title=c.title,
            session_id=c.session_id,
            number_label=number_label(c.kind, c.number),
            status=c.status,
            same_session=c.session_id == item.session_id,
            score=score,
        )
        (same if found.same_session else past).append(found)
    return same[:limit] + past[:limit]
