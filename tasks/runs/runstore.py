"""A run's batch parts: the retrieval hand-off (hits), each batch's reranked parts and their
retries, the failed queries, and the merge into the run's files. Where each file lives is
`tasks.runs.layout`'s; every write is atomic (`tasks.runs.storage`), so a resume is safe."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from upath import UPath

from tasks.calls.calllog import calls_table, unique_calls
from tasks.calls.journal import CallJournal, journal_calls
from tasks.runs.layout import (
    CALLS_FILE,
    CANDIDATES_SCHEMA,
    FAILED_FILE,
    FAILED_SCHEMA,
    HITS_SCHEMA,
    QUERIES_SCHEMA,
    RERANKED_SCHEMA,
    calls_part_path,
    calls_parts,
    hits_parts,
    journal_files,
    part_path,
    queries_part,
    runs_root_of,
)
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

# Where a hits part keeps its retrieval timings (the file's key-value metadata).
_SECONDS_KEY = b"rerankflow.seconds"


@dataclass(frozen=True)
class BatchTables:
    candidates: pa.Table
    reranked: pa.Table
    failed: pa.Table
    calls: pa.Table


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


def write_queries(run_dir: PathLike, batches: Sequence[Sequence[Query]]) -> None:
    """Each batch's queries, for retrieval workers (the retrieval stage's hand-off in)."""
    rows = [(b, q.qid, q.text) for b, qs in enumerate(batches) for q in qs]
    table = pa.Table.from_pylist(
        [dict(zip(QUERIES_SCHEMA.names, row, strict=True)) for row in rows], schema=QUERIES_SCHEMA
    )
    write_parquet(table, queries_part(run_dir))


def read_queries(run_dir: PathLike) -> list[list[Query]]:
    batches: list[list[Query]] = []
    for row in read_parquet(queries_part(run_dir)).to_pylist():
        while len(batches) <= row["batch"]:
            batches.append([])
        batches[row["batch"]].append(Query(row["qid"], row["query"]))
    return batches


def to_retrieve(run_dir: PathLike, n_batches: int) -> list[int]:
    """Batches without a hits part that still need one: not reranked yet, or with failed
    queries to retry (runs from before the two stages lack their hits)."""
    return [
        b
        for b in range(n_batches)
        if not hits_done(run_dir, b) and (not batch_done(run_dir, b) or failed_qids(run_dir, b))
    ]


def hits_dir(run_dir: PathLike) -> UPath:
    """Where the run's hits parts live: its own directory, or the retrieval it shares."""
    run_dir = location(run_dir)
    shared = read_manifest(run_dir).shared_retrieval if has_manifest(run_dir) else None
    return runs_root_of(run_dir) / shared.dir if shared else run_dir


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
    for path in hits_parts(run_dir):
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


def write_batch(
    run_dir: PathLike, batch: int, tables: BatchTables, stats: dict[str, Any], attempt: int
) -> None:
    write_parquet(tables.candidates, part_path(run_dir, batch, "candidates"))
    write_parquet(tables.calls, calls_part_path(run_dir, batch, attempt))
    write_parquet(tables.failed, part_path(run_dir, batch, "failed"))
    write_json(stats, part_path(run_dir, batch, "stats"))
    write_parquet(tables.reranked, part_path(run_dir, batch, "reranked"))


def write_unjournaled(run_dir: PathLike, batch: int, journal: CallJournal) -> None:
    """Calls the journal could not write (tasks.calls.journal), as a calls part of their own:
    a paid call is never missing from the call log. Attempt 0: the retrieval stage's."""
    if journal.unwritten:
        table = calls_table(journal.unwritten, journal.run_id, batch)
        write_parquet(table, calls_part_path(run_dir, batch, 0))


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


def read_failed(run_dir: PathLike, batch: int | None = None) -> dict[str, str]:
    """qid -> reason of the queries whose rerank failed: the run's (merged), or one batch's
    part; none when there is no such file (a run from before failures were recorded)."""
    path = location(run_dir) / FAILED_FILE if batch is None else part_path(run_dir, batch, "failed")
    if not path.exists():
        return {}
    table = read_parquet(path, columns=["qid", "reason"])
    return dict(
        zip(table.column("qid").to_pylist(), table.column("reason").to_pylist(), strict=True)
    )


def failed_qids(run_dir: PathLike, batch: int | None = None) -> frozenset[str]:
    """The failed queries' ids (see `read_failed`): left out of metrics, retried on resume."""
    return frozenset(read_failed(run_dir, batch))


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
    calls = unique_calls(
        [read_parquet(p) for p in calls_parts(run_dir)] + [journal_calls(journal_files(run_dir))]
    )
    write_parquet(_labelled(calls, labels), location(run_dir) / CALLS_FILE)
    counts["calls"] = calls.num_rows
    return counts


def batch_stats(run_dir: PathLike, n_batches: int) -> list[dict[str, Any]]:
    return [read_json(part_path(run_dir, b, "stats")) for b in range(n_batches)]
