"""The `calls` dataset: one row per reranker call (or cache hit), the input to the cost model."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

CALLS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("batch", pa.int32()),
        ("backend", pa.string()),
        ("model", pa.string()),
        ("qid", pa.string()),
        # 1 for the first try of a request; cache hits are attempt 0.
        ("attempt", pa.int32()),
        ("cache_hit", pa.bool_()),
        ("documents", pa.int32()),
        ("query_chars", pa.int64()),
        ("document_chars", pa.int64()),
        # Reported by the backend where it does (Cohere meta.tokens), else null.
        ("input_tokens", pa.int64()),
        # Cohere meta.billed_units.search_units; null for local backends.
        ("search_units", pa.int64()),
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
    """What a row that does not say otherwise is: a first attempt, not a cache hit."""
    return {"run_id": run_id, "batch": batch, "attempt": 1, "cache_hit": False}


def new_call_id() -> str:
    return uuid.uuid4().hex


def as_calls(table: pa.Table) -> pa.Table:
    """A table in CALLS_SCHEMA: extra columns dropped, missing ones (older parts) null."""
    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in CALLS_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=CALLS_SCHEMA)


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
