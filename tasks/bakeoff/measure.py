"""One column's numbers, read from its run: quality (as the run measured itself), latency and
device use from its call log, and its cost (as `rerankflow costs` reports it)."""

from __future__ import annotations

from typing import Any

from upath import UPath

from config.settings import Settings
from tasks import costs
from tasks.evaluate import metrics
from tasks.evaluate.sql import read_parquet_sql, render_sql
from tasks.runs import storage
from tasks.runs.layout import CALLS_FILE
from tasks.runs.manifest import read_manifest
from tasks.runs.storage import PathLike
from tasks.types import Qrels


def usage(run_dir: PathLike) -> dict[str, Any]:
    """Latency percentiles, device seconds, billed units and pairs from a run's call log."""
    path = storage.location(run_dir) / CALLS_FILE
    con = storage.connect_duckdb(path)
    try:
        relation = f"SELECT * FROM {read_parquet_sql(path)}"
        cursor = con.execute(render_sql("bakeoff_usage", calls=relation))
        names = [d[0] for d in cursor.description or []]
        row = cursor.fetchone()
    finally:
        con.close()
    assert row is not None  # an aggregate always returns a row
    out = dict(zip(names, row, strict=True))
    queries, new = int(out["queries"]), int(out["queries"]) - int(out["cache_hits"])
    pairs, seconds = int(out["device_pairs"]), float(out["device_seconds"])
    return {
        "queries": queries,
        "cache_hits": int(out["cache_hits"]),
        "latency_p50_s": out["latency_p50_s"],
        "latency_p95_s": out["latency_p95_s"],
        "device_seconds_per_query": seconds / queries if queries else None,
        "search_units_per_query": int(out["new_search_units"]) / new if new else None,
        "pairs_per_query": pairs / queries if queries and pairs else None,
        "pairs_per_second": pairs / seconds if seconds > 0 else None,
    }


def column_metrics(run_dir: UPath, qrels: Qrels, labels_name: str | None) -> dict[str, Any]:
    """`evaluate_run` on the column's run, with its own settings, as the run measured itself."""
    manifest = read_manifest(run_dir)
    run = Settings.model_validate(manifest.config).run
    return metrics.evaluate_run(
        run_dir,
        qrels,
        fetch_k=run.fetch_k,
        top_k=run.top_k,
        ks=run.ks,
        group_key=manifest.group_key,
        labels_name=labels_name,
    )


def column_cost(run_dir: UPath, settings: Settings) -> dict[str, Any]:
    """The column's `rerankflow costs` row (per 1,000 new queries, projection per 30 days)."""
    rows = costs.run_costs(
        costs.read_calls([run_dir / CALLS_FILE]), settings.costs, settings.costs.queries_per_day
    )
    row = costs.run_total(rows) if rows else {}
    return {
        "cost_per_1k_queries": row.get("cost_per_1k_new_queries"),
        "cost_per_30_days": row.get("projected_per_30_days"),
        "currency": settings.costs.currency,
    }
