"""The `calls` dataset: one row per paid or local call (or cache hit), the input to the cost
model: the rerank stage's calls, and a hosted embedder's (Cohere Embed) when it embeds queries
(the retrieval stage) or documents (the index step)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

# What a call was for: reranking candidates, or embedding texts. Rows from before the column
# existed are rerank calls (as_calls fills them in).
RERANK, EMBED = "rerank", "embed"

CALLS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("batch", pa.int32()),
        ("endpoint", pa.string()),
        ("backend", pa.string()),
        ("model", pa.string()),
        # Null for an embed call (one request embeds many queries' texts).
        ("qid", pa.string()),
        # 1 for the first try of a request; cache hits are attempt 0.
        ("attempt", pa.int32()),
        ("cache_hit", pa.bool_()),
        # Candidates scored; for an embed call, texts embedded.
        ("documents", pa.int32()),
        ("query_chars", pa.int64()),
        ("document_chars", pa.int64()),
        # Reported by the backend where it does (Cohere meta.tokens), else null.
        ("input_tokens", pa.int64()),
        # Cohere meta.billed_units.search_units; null for local backends.
        ("search_units", pa.int64()),
        # Cohere meta.billed_units.input_tokens: what an embed call is billed by.
        ("billed_tokens", pa.int64()),
        # Local backends: the query's share of the batch's scoring time.
        ("device_seconds", pa.float64()),
        ("latency_s", pa.float64()),
        # HTTP status of a remote call (null when none came back, and for local backends).
        ("http_status", pa.int32()),
        ("error", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        # Unique per row: the same paid call may sit in the journal and in a batch's part
        # (a crash between the two writes); the merge keeps it once.
        ("call_id", pa.string()),
    ]
)


def calls_table(rows: Iterable[Mapping[str, Any]], run_id: str, batch: int) -> pa.Table:
    """Rows from a RerankResult, stamped with the run and batch; absent fields become null."""
    columns: dict[str, list[Any]] = {name: [] for name in CALLS_SCHEMA.names}
    defaults = call_defaults(run_id, batch)
    for row in rows:
        for name in CALLS_SCHEMA.names:
            columns[name].append(row.get(name, defaults.get(name)))
        if columns["call_id"][-1] is None:
            columns["call_id"][-1] = new_call_id()
    return pa.Table.from_pydict(columns, schema=CALLS_SCHEMA)


def call_defaults(run_id: str, batch: int) -> dict[str, Any]:
    """What a row that does not say otherwise is: a rerank call's first attempt, no cache hit."""
    return {"run_id": run_id, "batch": batch, "endpoint": RERANK, "attempt": 1, "cache_hit": False}


def new_call_id() -> str:
    return uuid.uuid4().hex


def as_calls(table: pa.Table, schema: pa.Schema = CALLS_SCHEMA) -> pa.Table:
    """A table in `schema`: extra columns dropped, missing ones (older parts) null, but a
    missing endpoint is rerank (the only endpoint before the column)."""
    columns = []
    for f in schema:
        if f.name in table.column_names:
            columns.append(table.column(f.name).cast(f.type))
        elif f.name == "endpoint":
            columns.append(pa.array([RERANK] * table.num_rows, f.type))
        else:
            columns.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def unique_calls(tables: Iterable[pa.Table]) -> pa.Table:
    """The calls of several parts, each call once (by call_id), in batch and time order."""
    parts = [as_calls(t) for t in tables]
    table = pa.concat_tables(parts) if parts else CALLS_SCHEMA.empty_table()
    table = table.take(first_of_each_call(table))
    return table.sort_by([("batch", "ascending"), ("started_at", "ascending")])


def first_of_each_call(table: pa.Table) -> np.ndarray:
    """Row indices keeping the first row of each call_id (rows without one are all kept)."""
    seen: set[str] = set()
    keep = []
    for i, call_id in enumerate(table.column("call_id").to_pylist()):
        if call_id is None or call_id not in seen:
            keep.append(i)
            if call_id is not None:
                seen.add(call_id)
    return np.asarray(keep, dtype=np.int64)
