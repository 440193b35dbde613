"""The `calls` dataset: one row per reranker call (or cache hit), the input to the cost model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

CALLS_FILE = "calls.parquet"

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
    ]
)


def calls_table(rows: Iterable[Mapping[str, Any]], run_id: str, batch: int) -> pa.Table:
    """Rows from a RerankResult, stamped with the run and batch; absent fields become null."""
    columns: dict[str, list[Any]] = {name: [] for name in CALLS_SCHEMA.names}
    defaults = {"run_id": run_id, "batch": batch, "attempt": 1, "cache_hit": False}
    for row in rows:
        for name in CALLS_SCHEMA.names:
            columns[name].append(row.get(name, defaults.get(name)))
    return pa.Table.from_pydict(columns, schema=CALLS_SCHEMA)
