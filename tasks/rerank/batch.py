"""The GPU worker's stage for one query batch: rerank the retrieved candidates, keep top_k,
and lay out the batch's tables (candidates, reranked, failed, calls) and stats.

It starts from the hits part the retrieval stage (tasks.retrieve.batch) wrote, so nothing here
imports the vector store: the GPU worker runs without a Qdrant client (a test checks).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from config.settings import Settings
from tasks.calls.calllog import calls_table
from tasks.calls.journal import CallJournal
from tasks.index.side_index import side_index_dir
from tasks.rerank.registry import get_reranker
from tasks.runs.layout import CANDIDATES_SCHEMA, FAILED_SCHEMA, RERANKED_SCHEMA
from tasks.runs.runstore import BatchTables
from tasks.types import Hit, Query


def tie_break_order(scores: Sequence[float], doc_ids: Sequence[str]) -> list[int]:
    """Indices by score descending, then doc_id descending (trec_eval's order, so metrics agree).

    Scores are compared at float32 resolution, as trec_eval stores them (C float) and as
    `tasks/evaluate/sql/per_query.sql` ranks: scores closer than that tie and doc_id decides. The
    stored scores keep full precision.
    """
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, as in C
        as_f32 = np.asarray(scores, dtype=np.float64).astype(np.float32).tolist()
    order = sorted(range(len(scores)), key=doc_ids.__getitem__, reverse=True)
    order.sort(key=lambda i: -as_f32[i])  # stable: equal scores keep doc_id descending
    return order


def to_tables(
    queries: Sequence[Query],
    hits: Sequence[Sequence[Hit]],
    scores: Sequence[np.ndarray | None],
    top_k: int,
) -> tuple[pa.Table, pa.Table]:
    """Candidates for every query; reranked rows for those that have scores (None: failed)."""
    cand: dict[str, list] = {name: [] for name in CANDIDATES_SCHEMA.names}
    rer: dict[str, list] = {name: [] for name in RERANKED_SCHEMA.names}
    for query, qhits, qscores in zip(queries, hits, scores, strict=True):
        doc_ids = [h.doc_id for h in qhits]
        retrieval = [h.score for h in qhits]
        retrieval_rank = {}
        for rank, i in enumerate(tie_break_order(retrieval, doc_ids), start=1):
            retrieval_rank[i] = rank
            cand["qid"].append(query.qid)
            cand["retrieval_rank"].append(rank)
            cand["doc_id"].append(doc_ids[i])
            cand["retrieval_score"].append(retrieval[i])
            cand["group_id"].append(qhits[i].group_id)
        if qscores is None:
            continue
        for rank, i in enumerate(tie_break_order(qscores.tolist(), doc_ids)[:top_k], start=1):
            rer["qid"].append(query.qid)
            rer["rank"].append(rank)
            rer["doc_id"].append(doc_ids[i])
            rer["rerank_score"].append(float(qscores[i]))
            rer["retrieval_rank"].append(retrieval_rank[i])
            rer["retrieval_score"].append(retrieval[i])
            rer["group_id"].append(qhits[i].group_id)
    return (
        pa.Table.from_pydict(cand, schema=CANDIDATES_SCHEMA),
        pa.Table.from_pydict(rer, schema=RERANKED_SCHEMA),
    )


def rerank(
    settings: Settings,
    queries: Sequence[Query],
    hits: Sequence[Sequence[Hit]],
    run_id: str = "",
    batch: int = 0,
    seconds: dict[str, float] | None = None,
    journal: CallJournal | None = None,
) -> tuple[BatchTables, dict[str, Any], BaseException | None]:
    """Rerank retrieved candidates into the batch's tables and stats: the GPU worker's stage.

    `seconds` are the retrieval stage's timings, carried into the batch's stats. `journal`
    records a billed backend's calls as they return (and holds what this batch bought before).
    The third value is an error that stopped the batch part-way: the caller writes the tables
    (its finished queries, the rest failed), then raises it.
    """
    t2 = time.perf_counter()
    reranker = get_reranker(settings.reranker, side_index_dir(settings))
    result = reranker.rerank([q.qid for q in queries], [q.text for q in queries], hits, journal)
    t3 = time.perf_counter()
    candidates, reranked = to_tables(queries, hits, result.scores, settings.run.top_k)
    failed = pa.Table.from_pydict(
        {
            "qid": [queries[i].qid for i in sorted(result.failures)],
            "reason": [result.failures[i] for i in sorted(result.failures)],
        },
        schema=FAILED_SCHEMA,
    )
    # Journaled calls are on record already; the part holds the rest (cache hits, local calls).
    calls = calls_table([c for c in result.calls if not c.get("journaled")], run_id, batch)
    stats = {
        "queries": len(queries),
        "pairs_scored": sum(len(h) for h in hits),
        "queries_without_hits": sum(1 for h in hits if not h),
        "failed_queries": len(result.failures),
        "cache_hits": result.cache_hits,
        "cache_misses": result.cache_misses,
        "seconds": {
            **(seconds or {}),
            "rerank": t3 - t2,
            "assemble": time.perf_counter() - t3,
        },
    }
    return BatchTables(candidates, reranked, failed, calls), stats, result.fatal
