"""The bake-off's table: each column's numbers, the paired tests between columns, the columns
no other beats ('best'), and where a dedicated device gets cheaper than a hosted API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from upath import UPath

from config.settings import Settings
from tasks.bakeoff.measure import column_cost, column_metrics, usage
from tasks.bakeoff.specs import BASELINE
from tasks.evaluate import metrics
from tasks.evaluate.compare import compare_runs
from tasks.evaluate.names import Metric
from tasks.rerank.registry import HOSTED_BACKENDS, MODEL_BACKENDS
from tasks.runs import layout
from tasks.runs.storage import PathLike
from tasks.types import Qrels

HOURS_PER_DAY = 24
SECONDS_PER_DAY = 86_400


def break_even(
    pairs_per_second: float | None,
    pairs_per_query: float | None,
    device_per_hour: float,
    hosted_cost_per_query: float,
) -> dict[str, Any]:
    """When a dedicated device beats a hosted API billed per query.

    The device is rented around the clock: HOURS_PER_DAY x device_per_hour a day, whatever the
    load, serving at most capacity = pairs/s x 86,400 / pairs per query queries a day. The API
    costs volume x hosted_cost_per_query. They cost the same at volume = device cost a day /
    hosted cost a query; above it the device is cheaper, as long as that volume fits in the
    device's capacity (more devices scale both sides alike, so if one device at full load costs
    more than the API for the same queries, the device is never cheaper).
    """
    per_day = HOURS_PER_DAY * device_per_hour
    out: dict[str, Any] = {"device_per_day": per_day, "capacity_per_day": None, "volume": None}
    if not pairs_per_second or not pairs_per_query:
        return out
    capacity = pairs_per_second * SECONDS_PER_DAY / pairs_per_query
    out["capacity_per_day"] = capacity
    if hosted_cost_per_query > 0:
        volume = per_day / hosted_cost_per_query
        out["volume"] = volume if volume <= capacity else None
    return out


# --------------------------------------------------------------------------- the table


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def best_columns(
    means: Mapping[str, float], pairs: Mapping[tuple[str, str], dict[str, Any]], alpha: float
) -> list[str]:
    """Columns no other column beats significantly: for every Y with a higher mean than X on
    the headline metric, the paired test of X against Y gives p >= alpha. The top column is
    always among them."""
    best = []
    for x in means:
        beaten = False
        for y in means:
            if y == x:
                continue
            entry = pairs[_pair_key(x, y)]
            # The entry measures B - A; turn it into "y - x".
            delta = entry["delta"] if entry["b"] == y else -entry["delta"]
            if delta > 0 and entry["p_value"] < alpha:
                beaten = True
                break
        if not beaten:
            best.append(x)
    return best


def build_table(
    manifest: Mapping[str, Any],
    runs_root: PathLike,
    qrels: Qrels,
    settings: Settings,
    *,
    labels_name: str | None = None,
) -> dict[str, Any]:
    """The bake-off's table from its manifest and its columns' runs (JSON-ready)."""
    metric = manifest["metric"]
    alpha = float(manifest["alpha"])
    name, k = Metric.parse(metric).name, Metric.parse(metric).k
    top_k = settings.run.top_k
    shown = list(dict.fromkeys([metric, f"recall@{top_k}", f"ndcg@{top_k}"]))
    if settings.qdrant.group_key:
        shown.append(f"chunk_coverage@{top_k}")
    reg = settings.regression
    columns: list[dict[str, Any]] = []
    dirs: dict[str, UPath] = {}
    for col in manifest["columns"]:
        row: dict[str, Any] = {
            key: col.get(key) for key in ("name", "backend", "model", "run_id", "status", "reason")
        }
        columns.append(row)
        if col["status"] != "completed":
            continue
        run_dir = layout.find_run(runs_root, col["run_id"])
        dirs[col["name"]] = run_dir
        results = column_metrics(run_dir, qrels, labels_name)
        row.update(
            run_dir=str(run_dir),
            unit=results["unit"],
            metrics={key: results["reranked"].get(key) for key in shown},
            retrieval={key: results["retrieval"].get(key) for key in shown},
            queries_evaluated=results["queries"]["evaluated"],
            **usage(run_dir),
            **column_cost(run_dir, settings),
        )

    done = [c["name"] for c in columns if c["status"] == "completed"]
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for i, a in enumerate(done):
        for b in done[i + 1 :]:
            comparison = compare_runs(
                dirs[a],
                dirs[b],
                qrels,
                ks=[k],
                seed=reg.seed,
                n_resamples=reg.n_resamples,
                labels_name=labels_name,
            )
            entry = comparison["stages"]["reranked"][metric]
            pairs[_pair_key(a, b)] = {
                "a": a,
                "b": b,
                **{f: entry[f] for f in ("delta", "p_value", "wins", "losses", "ties", "n")},
            }
    by_name = {c["name"]: c for c in columns}
    for c in columns:
        if c["name"] in done and BASELINE in done and c["name"] != BASELINE:
            c["vs_baseline"] = pairs[_pair_key(BASELINE, c["name"])]  # none sorts first: A
    means = {n: by_name[n]["metrics"][metric] for n in done}
    best = best_columns(means, pairs, alpha)
    for c in columns:
        c["best"] = c["name"] in best

    hosted = [
        by_name[n]
        for n in done
        if by_name[n]["backend"] in HOSTED_BACKENDS and by_name[n]["cost_per_1k_queries"]
    ]
    cheapest_hosted = min(hosted, key=lambda c: c["cost_per_1k_queries"]) if hosted else None
    for c in columns:
        if c["name"] in done and c["backend"] in MODEL_BACKENDS and cheapest_hosted:
            c["dedicated_device"] = {
                "versus": cheapest_hosted["name"],
                **break_even(
                    c["pairs_per_second"],
                    c["pairs_per_query"],
                    settings.costs.device_per_hour,
                    cheapest_hosted["cost_per_1k_queries"] / 1000,
                ),
            }
    affordable = [by_name[n] for n in best if by_name[n]["cost_per_30_days"] is not None]
    cheapest_best = min(affordable, key=lambda c: c["cost_per_30_days"]) if affordable else None
    return {
        "bakeoff_id": manifest["bakeoff_id"],
        "metric": metric,
        "metric_name": name,
        "k": k,
        "stage": "reranked",
        "unit": next((c["unit"] for c in columns if "unit" in c), metrics.unit_of(None)),
        "shown": shown,
        "alpha": alpha,
        "baseline": BASELINE,
        "test": {
            "method": "paired sign-flip permutation test (compare_runs)",
            "seed": reg.seed,
            "n_resamples": reg.n_resamples,
        },
        "costs": {
            "currency": settings.costs.currency,
            "queries_per_day": settings.costs.queries_per_day,
            "device_per_hour": settings.costs.device_per_hour,
            "cohere_per_1k_search_units": settings.costs.cohere_per_1k_search_units,
        },
        "columns": columns,
        "pairs": list(pairs.values()),
        "best": best,
        "cheapest_best": cheapest_best["name"] if cheapest_best else None,
        "failed": [c["name"] for c in columns if c["status"] != "completed"],
    }
