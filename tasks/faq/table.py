"""Building the new serving table: the recomputed rows, the rows carried over, its content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from config.settings import Settings
from tasks.faq.layout import FAQ_SCHEMA
from tasks.faq.planning import Plan


def model_name(settings: Settings) -> str:
    return settings.reranker.model or settings.reranker.backend


def computed_rows(
    reranked: pa.Table,
    plan: Plan,
    texts: Mapping[str, str],
    run_id: str,
    model: str,
    computed_at: Mapping[str, datetime],
) -> pa.Table:
    """A run's reranked rows (tasks.runs.layout.RERANKED_SCHEMA) as serving rows."""
    qids = reranked.column("qid").to_pylist()
    doc_ids = reranked.column("doc_id").to_pylist()
    missing = sorted({d for d in doc_ids if d not in texts})
    if missing:
        raise RuntimeError(
            f"run {run_id}: retrieved documents absent from the corpus file "
            f"({', '.join(missing[:5])}); re-index with `rerankflow index`"
        )
    return pa.Table.from_pydict(
        {
            "query_norm": [plan.norms[q] for q in qids],
            "qid": qids,
            "rank": reranked.column("rank"),
            "doc_id": doc_ids,
            "text": [texts[d] for d in doc_ids],
            "score": reranked.column("rerank_score"),
            "run_id": [run_id] * len(qids),
            "model": [model] * len(qids),
            "created_at": [computed_at[q] for q in qids],
            "inputs_hash": [plan.hashes[q] for q in qids],
        },
        schema=FAQ_SCHEMA,
    )


def kept_on_failure(previous: pa.Table | None, plan: Plan, failed: Sequence[str]) -> list[str]:
    """Failed questions whose old rows answer the same question: serve those until a retry."""
    if previous is None or not failed:
        return []
    old = dict(zip(*(previous.column(c).to_pylist() for c in ("qid", "query_norm")), strict=True))
    return [qid for qid in failed if old.get(qid) == plan.norms.get(qid)]


def _rows_of(table: pa.Table, qids: Sequence[str]) -> pa.Table:
    return table.filter(pc.is_in(table.column("qid"), pa.array(list(qids), pa.string())))


def assemble(previous: pa.Table | None, keep: Sequence[str], computed: pa.Table | None) -> pa.Table:
    """Kept rows from the previous table plus the new ones, ordered for lookups."""
    parts = [computed if computed is not None else FAQ_SCHEMA.empty_table()]
    if previous is not None and keep:
        parts.append(_rows_of(previous, keep))
    table = pa.concat_tables(parts)
    return table.sort_by([("query_norm", "ascending"), ("rank", "ascending")]).combine_chunks()


def refresh_counts(
    plan: Plan, recomputed: Sequence[str], failed: Sequence[str], table: pa.Table
) -> dict[str, int]:
    """What a refresh did; `total` counts the questions the new table answers."""
    return {
        "recomputed": len(recomputed),
        "carried_over": len(plan.carried),
        "dropped": len(plan.dropped),
        "failed": len(failed),
        "total": len(pc.unique(table.column("qid"))),
        "rows": table.num_rows,
    }


def table_hash(table: pa.Table) -> str:
    """Content hash, independent of row order and file format (so Parquet and DuckDB agree)."""
    rows = table.select(FAQ_SCHEMA.names).sort_by(
        [("query_norm", "ascending"), ("rank", "ascending")]
    )
    digest = hashlib.sha256()
    for row in rows.to_pylist():
        row["created_at"] = row["created_at"].isoformat()
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
