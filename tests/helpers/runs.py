"""Run directories as the flows leave them, for tests that measure, compare or report runs:
the layout's file names, Parquet tables the test builds, and a real `RunManifest`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from tasks.runs import layout, storage
from tasks.runs.manifest import RunManifest, write_manifest

# qid -> [(chunk id, group id or None, score)], best first
Chunks = dict[str, list[tuple[str, str | None, float]]]


def run_manifest(
    run_id: str,
    *,
    fetch_k: int,
    top_k: int,
    ks: Sequence[int],
    status: str = "completed",
    created_at: datetime | None = None,
    config: Mapping[str, Any] | None = None,
    **fields: Any,
) -> RunManifest:
    """A completed run's manifest; `config` adds settings sections beside `run`."""
    return RunManifest(
        run_id=run_id,
        status=status,
        created_at=created_at,
        config={"run": {"fetch_k": fetch_k, "top_k": top_k, "ks": list(ks)}, **(config or {})},
        **fields,
    )


def write_run(
    run_dir: Path,
    candidates: pa.Table,
    reranked: pa.Table,
    manifest: RunManifest,
    *,
    failed: Mapping[str, str] | None = None,
) -> Path:
    """The run's Parquet files, its failed queries (qid -> reason) when given, its manifest."""
    run_dir.mkdir(parents=True, exist_ok=True)
    storage.write_parquet(candidates, run_dir / layout.CANDIDATES_FILE)
    storage.write_parquet(reranked, run_dir / layout.RERANKED_FILE)
    if failed is not None:
        table = {"qid": list(failed), "reason": list(failed.values())}
        storage.write_parquet(
            pa.table(table, schema=layout.FAILED_SCHEMA), run_dir / layout.FAILED_FILE
        )
    write_manifest(manifest, run_dir)
    return run_dir


def write_group_run(
    run_dir: Path,
    candidates: Chunks,
    reranked: Chunks,
    *,
    group_key: str | None = "source",
    fetch_k: int = 10,
    top_k: int = 5,
    ks: Sequence[int] = (1, 3, 5, 10),
    run_id: str = "R",
) -> Path:
    """The two Parquet files with the group_id column last (nullable), plus a manifest."""
    cand: dict[str, list] = {"qid": [], "retrieval_rank": [], "doc_id": [], "retrieval_score": []}
    cand["group_id"] = []
    retrieval: dict[tuple[str, str], tuple[int, float]] = {}
    for qid, chunks in candidates.items():
        for rank, (chunk, group, score) in enumerate(chunks, start=1):
            for name, value in zip(cand, (qid, rank, chunk, score, group), strict=True):
                cand[name].append(value)
            retrieval[(qid, chunk)] = (rank, score)
    rr: dict[str, list] = {
        name: []
        for name in (
            "qid",
            "rank",
            "doc_id",
            "rerank_score",
            "retrieval_rank",
            "retrieval_score",
            "group_id",
        )
    }
    for qid, chunks in reranked.items():
        for rank, (chunk, group, score) in enumerate(chunks, start=1):
            row = (qid, rank, chunk, score, *retrieval[(qid, chunk)], group)
            for name, value in zip(rr, row, strict=True):
                rr[name].append(value)
    types = {
        "qid": pa.string(),
        "doc_id": pa.string(),
        "group_id": pa.string(),
        "retrieval_rank": pa.int32(),
        "rank": pa.int32(),
    }
    tables = [
        pa.table(cols, schema=pa.schema([(c, types.get(c, pa.float64())) for c in cols]))
        for cols in (cand, rr)
    ]
    manifest = run_manifest(
        run_id,
        fetch_k=fetch_k,
        top_k=top_k,
        ks=ks,
        created_at=datetime(2026, 1, 2, 2, tzinfo=UTC),
        config={"qdrant": {"collection": "chunks", "group_key": group_key}},
        hashes={"query_set": "qs-1", "labels": "l-1", "corpus": "c-1"},
    )
    return write_run(run_dir, *tables, manifest)
