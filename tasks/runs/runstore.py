"""The run directory: Hive-partitioned layout, per-batch parts, atomic writes, resume."""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from upath import UPath

from tasks.calls.calllog import CALLS_FILE, unique_calls
from tasks.calls.journal import journal_calls
from tasks.runs.manifest import has_manifest, read_manifest
from tasks.runs.storage import (
    PathLike,
    location,
    read_json,
    read_parquet,
    write_json,
    write_parquet,
)
from tasks.types import Hit, Query

PARTS = "_parts"

CANDIDATES_SCHEMA = pa.schema(
    [
        ("qid", pa.string()),
        ("retrieval_rank", pa.int32()),
        ("doc_id", pa.string()),
        ("retrieval_score", pa.float64()),
        # The source document a chunk belongs to (qdrant.group_key); null without one.
        ("group_id", pa.string()),
    ]
)
RERANKED_SCHEMA = pa.schema(
    [
        ("qid", pa.string()),
        ("rank", pa.int32()),
        ("doc_id", pa.string()),
        ("rerank_score", pa.float64()),
        ("retrieval_rank", pa.int32()),
        ("retrieval_score", pa.float64()),
        ("group_id", pa.string()),
    ]
)

# The hand-off between the retrieval stage (CPU worker) and the rerank stage (GPU worker): each
# query's candidates with their text, in retrieval order, so the reranker needs no corpus or
# vector store. Retrieval timings ride along in the file's metadata.
HITS_SCHEMA = pa.schema(
    [
        ("qid", pa.string()),
        ("query", pa.string()),
        ("doc_id", pa.string()),
        ("text", pa.string()),
        ("retrieval_score", pa.float64()),
        ("group_id", pa.string()),
    ]
)
_SECONDS_KEY = b"rerankflow.seconds"

# Queries whose rerank failed after retries: in candidates, absent from reranked.
FAILED_SCHEMA = pa.schema([("qid", pa.string()), ("reason", pa.string())])
FAILED_FILE = "failed.parquet"


@dataclass(frozen=True)
class BatchTables:
    candidates: pa.Table
    reranked: pa.Table
    failed: pa.Table
    calls: pa.Table


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def new_run_dir(runs_root: UPath, run_id: str, now: datetime | None = None) -> UPath:
    now = now or datetime.now(UTC)
    return location(runs_root) / f"run_date={now:%Y-%m-%d}" / f"run_id={run_id}"


def find_run(runs_root: UPath, run_id: str) -> UPath:
    matches = sorted(location(runs_root).glob(f"run_date=*/run_id={run_id}"), key=str)
    if not matches:
        raise FileNotFoundError(f"no run '{run_id}' under {runs_root}")
    return matches[0]


def part_path(run_dir: PathLike, batch: int, kind: str) -> UPath:
    suffix = "json" if kind == "stats" else "parquet"
    return location(run_dir) / PARTS / f"batch-{batch:05d}.{kind}.{suffix}"


def calls_part_path(run_dir: PathLike, batch: int, attempt: int) -> UPath:
    # A new file each time (a task retry within one attempt too): calls that were made stay
    # on record; the merge keeps each call once by its call_id.
    token = secrets.token_hex(3)
    return location(run_dir) / PARTS / f"batch-{batch:05d}.calls.a{attempt:03d}-{token}.parquet"


def journal_dir(run_dir: PathLike, batch: int) -> UPath:
    """Where the batch's paid calls are journaled as they happen (tasks.calls.journal)."""
    return location(run_dir) / PARTS / "journal" / f"batch-{batch:05d}"


def write_hits(
    run_dir: PathLike,
    batch: int,
    queries: Sequence[Query],
    hits: Sequence[Sequence[Hit]],
    seconds: dict[str, float],
) -> None:
    """The batch's retrieval result; a query without hits keeps one row with a null doc_id."""
    cols: dict[str, list[Any]] = {name: [] for name in HITS_SCHEMA.names}
    for query, qhits in zip(queries, hits, strict=True):
        for hit in qhits or [None]:
            cols["qid"].append(query.qid)
            cols["query"].append(query.text)
            cols["doc_id"].append(hit.doc_id if hit else None)
            cols["text"].append(hit.text if hit else None)
            cols["retrieval_score"].append(hit.score if hit else None)
            cols["group_id"].append(hit.group_id if hit else None)
    table = pa.Table.from_pydict(cols, schema=HITS_SCHEMA)
    table = table.replace_schema_metadata({_SECONDS_KEY: json.dumps(seconds).encode()})
    write_parquet(table, part_path(run_dir, batch, "hits"))


def hits_dir(run_dir: PathLike) -> UPath:
    """Where the run's hits parts live: its own directory, or the retrieval it shares."""
    run_dir = location(run_dir)
    shared = read_manifest(run_dir).shared_retrieval if has_manifest(run_dir) else None
    return run_dir.parent.parent / shared.dir if shared else run_dir


def hits_done(run_dir: PathLike, batch: int) -> bool:
    return part_path(hits_dir(run_dir), batch, "hits").exists()


def read_hits(
    run_dir: PathLike, batch: int, only: Collection[str] | None = None
) -> tuple[list[Query], list[list[Hit]], dict[str, float]]:
    """Queries (in batch order), their hits, and the retrieval seconds; `only` keeps some qids."""
    table = read_parquet(part_path(hits_dir(run_dir), batch, "hits"))
    seconds = json.loads((table.schema.metadata or {}).get(_SECONDS_KEY, b"{}"))
    queries: dict[str, Query] = {}
    hits: dict[str, list[Hit]] = {}
    for row in table.to_pylist():
        qid = row["qid"]
        if only is not None and qid not in only:
            continue
        if qid not in queries:
            queries[qid] = Query(qid, row["query"])
            hits[qid] = []
        if row["doc_id"] is not None:
            # Parts written before the group column read as no group.
            hits[qid].append(
                Hit(row["doc_id"], row["text"], row["retrieval_score"], row.get("group_id"))
            )
    return list(queries.values()), [hits[q] for q in queries], seconds


def hit_texts(run_dir: PathLike) -> dict[str, str]:
    """doc_id -> text of every candidate the run retrieved, from its hits parts."""
    texts: dict[str, str] = {}
    for path in sorted((location(run_dir) / PARTS).glob("batch-*.hits.parquet"), key=str):
        table = read_parquet(path).select(["doc_id", "text"])
        for doc_id, text in zip(
            table.column("doc_id").to_pylist(), table.column("text").to_pylist(), strict=True
        ):
            if doc_id is not None:
                texts[doc_id] = text
    return texts


def batch_done(run_dir: PathLike, batch: int) -> bool:
    # The reranked part is written last, so its presence means the whole batch landed.
    return part_path(run_dir, batch, "reranked").exists()


def failed_qids(run_dir: PathLike, batch: int) -> list[str]:
    path = part_path(run_dir, batch, "failed")
    return read_parquet(path).column("qid").to_pylist() if path.exists() else []


def write_batch(
    run_dir: PathLike, batch: int, tables: BatchTables, stats: dict[str, Any], attempt: int
) -> None:
    write_parquet(tables.candidates, part_path(run_dir, batch, "candidates"))
    write_parquet(tables.calls, calls_part_path(run_dir, batch, attempt))
    write_parquet(tables.failed, part_path(run_dir, batch, "failed"))
    write_json(stats, part_path(run_dir, batch, "stats"))
    write_parquet(tables.reranked, part_path(run_dir, batch, "reranked"))


def _concat(tables: list[pa.Table]) -> pa.Table:
    # promote: a run resumed across the group_id column's arrival has parts with and without it
    return pa.concat_tables(tables, promote_options="default")


def _without(table: pa.Table, qids: list[str]) -> pa.Table:
    return table.filter(pc.invert(pc.is_in(table.column("qid"), pa.array(qids, pa.string()))))


def write_retry(
    run_dir: PathLike, batch: int, tables: BatchTables, stats: dict[str, Any], attempt: int
) -> None:
    """Fold a retry of a batch's failed queries into its parts.

    Reranked is rewritten before failed: a crash between the two leaves a query listed as
    failed although it has rows, and the next retry replaces those rows (a cache hit).
    """
    retried = tables.candidates.column("qid").unique().to_pylist()
    old = {k: read_parquet(part_path(run_dir, batch, k)) for k in ("candidates", "reranked")}
    write_parquet(
        _concat([_without(old["candidates"], retried), tables.candidates]),
        part_path(run_dir, batch, "candidates"),
    )
    write_parquet(tables.calls, calls_part_path(run_dir, batch, attempt))
    write_parquet(
        _concat([_without(old["reranked"], retried), tables.reranked]),
        part_path(run_dir, batch, "reranked"),
    )
    before = read_json(part_path(run_dir, batch, "stats"))
    stats = {
        **before,
        "failed_queries": tables.failed.num_rows,
        "cache_hits": before.get("cache_hits", 0) + stats["cache_hits"],
        "cache_misses": before.get("cache_misses", 0) + stats["cache_misses"],
        "reranked_at": stats.get("reranked_at", before.get("reranked_at")),
        "seconds": {
            **before["seconds"],
            **{k: before["seconds"].get(k, 0.0) + v for k, v in stats["seconds"].items()},
        },
    }
    write_json(stats, part_path(run_dir, batch, "stats"))
    write_parquet(tables.failed, part_path(run_dir, batch, "failed"))


def read_failed(run_dir: PathLike) -> dict[str, str]:
    """qid -> reason for the merged run's failed queries."""
    table = read_parquet(location(run_dir) / FAILED_FILE)
    return dict(
        zip(table.column("qid").to_pylist(), table.column("reason").to_pylist(), strict=True)
    )


def _labelled(table: pa.Table, labels: dict[str, str]) -> pa.Table:
    return table.replace_schema_metadata({f"rerankflow.{k}": v for k, v in labels.items()})


def merge_parts(run_dir: PathLike, n_batches: int, labels: dict[str, str]) -> dict[str, int]:
    """Concatenate every batch's parts, in batch order, into the run's Parquet files.

    `labels` (run id, backend, models) go into each file's key-value metadata, so a file
    copied away from its manifest still says what produced it.
    """
    counts = {}
    kinds = (
        ("candidates", CANDIDATES_SCHEMA),
        ("reranked", RERANKED_SCHEMA),
        ("failed", FAILED_SCHEMA),
    )
    for kind, schema in kinds:
        paths = [part_path(run_dir, b, kind) for b in range(n_batches)]
        tables = [read_parquet(p) for p in paths if p.exists()]
        table = _concat(tables) if tables else schema.empty_table()
        write_parquet(_labelled(table, labels), location(run_dir) / f"{kind}.parquet")
        counts[kind] = table.num_rows
    # Calls from the batches' parts (cache hits, local backends) and from the journals (every
    # paid attempt, written as it returned, also those of attempts that died).
    root = location(run_dir) / PARTS
    call_parts = sorted(root.glob("batch-*.calls.a*.parquet"), key=str)
    journals = sorted(root.glob("journal/batch-*/*.parquet"), key=str)
    calls = unique_calls([read_parquet(p) for p in call_parts] + [journal_calls(journals)])
    write_parquet(_labelled(calls, labels), location(run_dir) / CALLS_FILE)
    counts["calls"] = calls.num_rows
    return counts


def batch_stats(run_dir: PathLike, n_batches: int) -> list[dict[str, Any]]:
    return [read_json(part_path(run_dir, b, "stats")) for b in range(n_batches)]
