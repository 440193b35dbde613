"""What reranking (and a paid embedder) costs: per run from the call log (DuckDB), or estimated
before a run.

Cohere bills rerank in search units: one unit is one query with up to 100 documents, so a
request with n documents bills ceil(n / 100) units (see the README for the source). Cohere
Embed bills input tokens (meta.billed_units.input_tokens): a run that embeds its queries with
it gets an `embed` line beside its `rerank` line, and a `total` line; an `index` that embedded
the corpus with it gets an `embed` line of its own (run `index-<time>`, no queries).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from upath import UPath

from config.settings import CostSettings, Settings
from tasks.calls.calllog import CALLS_SCHEMA, as_calls
from tasks.calls.journal import journal_calls
from tasks.errors import SettingsError
from tasks.evaluate.sql import render_sql
from tasks.index.side_index import CALLS_DIR, INDEX_ID_PREFIX, side_index_dir
from tasks.report.tables import fmt_amount, text_table
from tasks.rerank.registry import FREE_BACKENDS, MODEL_BACKENDS
from tasks.runs import storage
from tasks.runs.layout import CALLS_FILE, run_files
from tasks.runs.storage import PathLike
from tasks.types import InputError

DOCUMENTS_PER_SEARCH_UNIT = 100

COLUMNS = (
    ("run_id", "run"),
    ("endpoint", "for"),
    ("backend", "backend"),
    ("model", "model"),
    ("queries", "queries"),
    ("requests", "requests"),
    ("cache_hits", "cache hits"),
    ("search_units", "search units"),
    ("billed_tokens", "tokens"),
    ("device_seconds", "device s"),
    ("cost", "cost"),
    ("cost_per_1k_queries", "per 1k q"),
    ("cost_per_query_p50", "p50/q"),
    ("cost_per_query_p90", "p90/q"),
    ("cost_per_query_p99", "p99/q"),
    ("projected_per_day", "per day"),
    ("projected_per_30_days", "per 30 d"),
)


def call_log_paths(runs_root: PathLike, run_ids: Sequence[str] = ()) -> list[UPath]:
    """The calls.parquet of the given runs, or of every run under runs_root (maybe none)."""
    runs_root = storage.location(runs_root)
    if not run_ids:
        return run_files(runs_root, CALLS_FILE)
    paths = []
    for run_id in run_ids:
        matches = run_files(runs_root, CALLS_FILE, run_id)
        if not matches:
            raise InputError(f"{runs_root}: no call log for run '{run_id}' ({CALLS_FILE})")
        paths.extend(matches)
    return paths


def index_calls(settings: Settings) -> pa.Table:
    """Every `index`'s paid embed calls (run_id index-<time>), from the side index's journal;
    none for an existing collection (no index step)."""
    side = side_index_dir(settings)
    if side is None or not (side / CALLS_DIR).is_dir():
        return CALLS_SCHEMA.empty_table()
    return journal_calls(sorted(storage.location(side / CALLS_DIR).glob("*.parquet"), key=str))


def select_calls(settings: Settings, run_ids: Sequence[str] = ()) -> pa.Table:
    """What `costs` prices: the call logs of the given runs and indexes (`index-<time>`), or of
    every run under the runs root and every index of the profile's collection."""
    indexes = index_calls(settings)
    wanted = [r for r in run_ids if r.startswith(INDEX_ID_PREFIX)]
    if run_ids:
        missing = sorted(set(wanted) - set(indexes.column("run_id").to_pylist()))
        if missing:
            where = side_index_dir(settings)
            raise InputError(f"{where}: no embed calls for index '{missing[0]}' ({CALLS_DIR}/)")
        indexes = indexes.filter(pc.is_in(indexes.column("run_id"), pa.array(wanted, pa.string())))
    runs = [r for r in run_ids if not r.startswith(INDEX_ID_PREFIX)]
    paths = call_log_paths(settings.run.runs_root, runs) if runs or not run_ids else []
    if not paths and not indexes.num_rows:
        raise InputError(
            f"{settings.run.runs_root}: no runs with a call log ({CALLS_FILE}) found, "
            "and no index embed calls"
        )
    return pa.concat_tables([read_calls(paths), indexes]) if paths else indexes


# What a run's total line adds up from its rerank and embed lines.
_SUMMED = (
    "cost",
    "cost_per_1k_queries",
    "cost_per_1k_new_queries",
    "projected_per_day",
    "projected_per_30_days",
)


def read_calls(paths: Sequence[PathLike]) -> pa.Table:
    """The call logs in one table of the current schema: a log from before a column existed
    reads it as null (endpoint: rerank), so DuckDB sees every column whatever the run's age."""
    return pa.concat_tables(
        [CALLS_SCHEMA.empty_table(), *(as_calls(storage.read_parquet(p)) for p in paths)]
    )


def run_costs(calls: pa.Table, prices: CostSettings, queries_per_day: int) -> list[dict]:
    """One row per (run, endpoint, backend, model) of `calls` (`read_calls`, `select_calls`):
    cost, per 1,000 queries, percentiles, projection; a run with embed calls also gets a
    `total` row after its two."""
    con = storage.connect_duckdb()
    try:
        con.register("calls_log", calls)
        rows = []
        for sql, params in (
            (
                "costs",
                {
                    "per_1k_units": prices.cohere_per_1k_search_units,
                    "per_hour": prices.device_per_hour,
                },
            ),
            ("costs_embed", {"per_1m_tokens": prices.cohere_embed_per_1m_tokens}),
        ):
            cursor = con.execute(
                render_sql(sql, calls="SELECT * FROM calls_log"),
                {**params, "queries_per_day": queries_per_day},
            )
            names = [d[0] for d in cursor.description or []]
            rows += [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    out = []
    for run_id in dict.fromkeys(r["run_id"] for r in rows):  # first call's order
        lines = [r for r in rows if r["run_id"] == run_id]
        out += lines
        if len(lines) > 1:
            out.append(total_row(lines))
    for row in out:
        row.pop("first_call_at", None)
        row["currency"] = prices.currency
    return out


def total_row(lines: Sequence[dict]) -> dict:
    """A run's lines added up (amounts only; a missing amount counts as 0)."""
    total: dict[str, Any] = {"run_id": lines[0]["run_id"], "endpoint": "total"}
    total["queries"] = max((r.get("queries") or 0) for r in lines)
    for key in _SUMMED:
        total[key] = sum(r.get(key) or 0.0 for r in lines)
    return total


def run_total(rows: Sequence[dict]) -> dict:
    """One run's cost: its total row, or its only row."""
    totals = [r for r in rows if r.get("endpoint") == "total"]
    return totals[0] if totals else rows[0]


def search_units_per_query(documents: int, per_request: int) -> int:
    """Units one query bills when its documents are split into requests of per_request."""
    full, rest = divmod(documents, per_request)
    return full * math.ceil(per_request / DOCUMENTS_PER_SEARCH_UNIT) + math.ceil(
        rest / DOCUMENTS_PER_SEARCH_UNIT
    )


def estimate(settings: Settings, queries: int, documents: int, queries_per_day: int) -> dict:
    """The cost projection before a run, from the query and candidate counts alone."""
    if queries < 1 or documents < 0:
        raise InputError(f"need queries >= 1 and documents >= 0, got {queries} and {documents}")
    prices = settings.costs
    backend = settings.reranker.backend
    if backend in FREE_BACKENDS:
        # A row of zeros would read as "reranking is free"; ask which backend to price.
        raise SettingsError(
            f"costs --estimate: reranker.backend is '{backend}', which runs on the retrieving "
            "CPU worker and bills nothing; say which backend to price: --reranker cohere "
            "[--model M], or --reranker cross-encoder|flag --model M with "
            "costs.local_pairs_per_second set"
        )
    out: dict[str, Any] = {
        "backend": backend,
        "model": settings.reranker.model or backend,
        "queries": queries,
        "documents_per_query": documents,
        "currency": prices.currency,
    }
    if backend == "cohere":
        per_request = settings.reranker.cohere.max_documents_per_request
        units = search_units_per_query(documents, per_request)
        per_query = units / 1000 * prices.cohere_per_1k_search_units
        out.update(
            requests=queries * math.ceil(documents / per_request),
            search_units=queries * units,
        )
    elif backend in MODEL_BACKENDS:
        rate = prices.local_pairs_per_second
        if rate is None:
            raise SettingsError(
                f"costs --estimate of '{backend}' needs costs.local_pairs_per_second (the "
                "measured throughput, unset): measure it (benchmarks/rerank_throughput.py, or "
                "a run's calls.parquet device_seconds) and set it in the profile or "
                "--set costs.local_pairs_per_second=N"
            )
        seconds = documents / rate
        per_query = seconds / 3600 * prices.device_per_hour
        out.update(device_seconds=queries * seconds)
    else:
        raise ValueError(f"no cost model for reranker backend {backend!r}")
    out.update(
        cost=queries * per_query,
        cost_per_1k_queries=1000 * per_query,
        cost_per_query_p50=per_query,
        cost_per_query_p90=per_query,
        cost_per_query_p99=per_query,
        projected_per_day=per_query * queries_per_day,
        projected_per_30_days=per_query * queries_per_day * 30,
    )
    return out


def format_costs(rows: Sequence[dict], queries_per_day: int) -> str:
    """A plain-text table, one line per run, then what the projection assumes."""
    columns = [(key, label) for key, label in COLUMNS if any(key in r for r in rows)]
    header = [label for _, label in columns]
    cells = [[fmt_amount(r.get(key)) for key, _ in columns] for r in rows]
    lines = text_table(header, cells, align="r" * len(columns), rule=False)
    currency = rows[0]["currency"] if rows else ""
    lines.append(
        f"costs in {currency}; projection: {queries_per_day:,} new queries per day "
        "(cache hits excluded from the rate)"
    )
    return "\n".join(lines)


def run_cost_summary(run_dir: PathLike, prices: CostSettings) -> dict[str, Any] | None:
    """A run's `cost` manifest block (what its calls cost, p95 call latency); None without a
    call log. The nightly trend and the cost/latency gate read it from there."""
    path = storage.location(run_dir) / CALLS_FILE
    if not path.exists():
        return None
    rows = run_costs(read_calls([path]), prices, queries_per_day=1)
    if not rows:
        return None
    total = run_total(rows)
    # The rerank line: a run has one reranker (and, if paid, one embedder).
    row = next((r for r in rows if r["endpoint"] == "rerank"), rows[0])
    summary = {
        "currency": prices.currency,
        "total": total["cost"],
        "per_1k_queries": total["cost_per_1k_queries"],
        "requests": row.get("requests"),
        "search_units": row.get("search_units"),
        "device_seconds": row.get("device_seconds"),
        "latency_p95_s": row.get("latency_p95_s"),
    }
    embed = next((r for r in rows if r["endpoint"] == "embed"), None)
    if embed is not None:
        summary.update(embed_billed_tokens=embed["billed_tokens"], embed_cost=embed["cost"])
    return summary
