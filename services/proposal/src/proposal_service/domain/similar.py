"""Similar items in bounded time whatever the corpus (ADR 0014).

The item's stored words give its rarest words (by the corpus document frequencies); the full-text index gives the
visible items of the same body holding any of them; the ``SHORTLIST`` best by the weight they share are scored
exactly from their stored words with the corpus idf. Nothing is tokenised again and no model is fitted per call.
"""

import asyncio
from types import SimpleNamespace
from typing import cast

from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.access import can_read
from proposal_service.domain.items import number_label
from proposal_service.domain.search import DOCUMENTS, document_frequencies, postings
from proposal_service.models import (
    Cosignature,
    Proposal,
    ProposalStatus,
    SearchContent,
    SearchDocument,
    Session,
    SimilarItem,
)
from proposal_service.text import (
    PROBE_BUDGET,
    SHORTLIST,
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
    query = (
        select(SearchDocument.proposal_id, SearchContent.title_words, SearchContent.words)
        .join(SearchContent, col(SearchContent.id) == col(SearchDocument.id))
        .where(col(SearchDocument.proposal_id).in_(ids))
    )
    return {pid: Words.parse(title, full) for pid, title, full in (await session.exec(query)).all()}


async def _eligible(session: AsyncSession, principal: Principal, item: Proposal, docs: list[str]) -> list[str]:
    """The items behind ``docs`` (search document ids, best first) that may be offered: same body, filed, visible
    to the caller (access.can_read), at most SHORTLIST. Filtered here rather than in one SQL statement because a
    planner without statistics drives such a join from the body's index, reading every item of the body; these are
    primary-key lookups only, so the cost stays bounded by the short list."""
    ids = [int(d) for d in docs]
    query = select(SearchDocument.id, SearchDocument.proposal_id).where(col(SearchDocument.id).in_(ids))
    proposal_of = {str(doc): pid for doc, pid in (await session.exec(query)).all()}
    readable = sa_select(
        col(Proposal.id),
        col(Proposal.body_id),
        col(Proposal.session_id),
        col(Proposal.status),
        col(Proposal.created_by),
        col(Proposal.lead_member_id),
    ).where(col(Proposal.id).in_(list(proposal_of.values())))
    rows = {r.id: r for r in (await session.exec(readable)).all()}  # type: ignore[call-overload]
    invited: set[str] = set()
    if principal.member_id:
        cosigned = select(Cosignature.proposal_id).where(
            Cosignature.member_id == principal.member_id, col(Cosignature.proposal_id).in_(list(rows))
        )
        invited = set((await session.exec(cosigned)).all())
    published = set((await session.exec(select(Session.id).where(col(Session.published).is_(True)))).all())
    out: list[str] = []
    for doc in docs:
        row = rows.get(proposal_of.get(doc, ""))
        if row is None or row.id == item.id or row.body_id != item.body_id:
            continue
        if row.status in (ProposalStatus.draft, ProposalStatus.withdrawn):
            continue
        view = cast(Proposal, SimpleNamespace(**row._asdict()))  # the fields can_read looks at
        if can_read(principal, view, invited=row.id in invited, published=row.session_id in published):
            out.append(row.id)
            if len(out) == SHORTLIST:
                break
    return out


async def similar_items(
    *, session: AsyncSession, principal: Principal, item: Proposal, limit: int = 5
) -> list[SimilarItem]:
    """The items of the same body most like ``item``, at most ``limit`` from its own session and
    ``limit`` from past ones, scoring at least SIMILARITY_THRESHOLD; only items the caller may see."""
    mine = (await _stored_words(session, [item.id])).get(item.id)
    if mine is None:  # not indexed (yet): tokenise it once, off the event loop
        mine = await asyncio.to_thread(words, item.title, item.content)
    df = await document_frequencies(session, [DOCUMENTS, *mine.full])  # the corpus size with the words' counts
    n_docs = max(df.pop(DOCUMENTS, 0), 1)
    probes = probe_words(mine, df)
    pairs = (await session.exec(postings(session, probes, cap=PROBE_BUDGET))).all() if probes else []  # type: ignore[call-overload]
    by_word: dict[str, list[str]] = {}
    for word, doc in pairs:
        by_word.setdefault(word, []).append(str(doc))
    # Pre-scored on document ids; a few times the short list, so items the caller may not see, of other bodies or
    # drafts, can be dropped and still leave a full short list.
    ranked_docs = shortlist(mine, by_word, smooth_idf(df, n_docs), size=4 * SHORTLIST)
    short = await _eligible(session, principal, item, ranked_docs)
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
