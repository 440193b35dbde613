"""Compare two runs query by query (A = baseline, B = candidate), both stages.

The per-query metrics come from the same `per_query.sql` as `metrics`, computed in one
DuckDB connection for both runs and both stages; `compare_*.sql` pair them up, count per-query
wins/losses/ties and find the worst queries; each metric's p-value is the paired permutation
test of `tasks.evaluate.significance`. Everything returned is plain JSON-ready data, which
`tasks.evaluate.gates` judges and `tasks.report.comparison` renders.

Both runs are scored in the unit their manifests record (`config.qdrant.group_key`: groups of
chunks, else documents, as `metrics.evaluate_run`); runs measured in different units are
refused (`tasks.evaluate.compared_run`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import numpy as np

from config.settings import Stage
from tasks.evaluate.checks import check_ks, check_label_ids
from tasks.evaluate.compared_run import (
    ComparedRun,
    check_same_queries,
    check_same_unit,
    load_run,
    pair_warnings,
)
from tasks.evaluate.metrics import DEFAULT_KS, STAGES, per_query_sql, unit_of
from tasks.evaluate.names import Metric
from tasks.evaluate.significance import (
    DEFAULT_N_RESAMPLES,
    EXACT_MAX_N,
    TIE_EPS,
    paired_permutation_pvalue,
)
from tasks.evaluate.sql import register_qrels, render_sql, sql_string
from tasks.runs import storage
from tasks.runs.storage import PathLike
from tasks.types import Qrels

# Worst queries kept per metric (a gate message names the first few).
WORST_N = 5


def _stage_ks(a: ComparedRun, b: ComparedRun, ks: Sequence[int] | None) -> dict[Stage, list[int]]:
    """Cutoffs per stage, as `evaluate_run` picks them, capped by the smaller run."""
    wanted = check_ks(ks if ks is not None else (sorted(set(a.ks) | set(b.ks)) or DEFAULT_KS))
    fetch_k, top_k = min(a.fetch_k, b.fetch_k), min(a.top_k, b.top_k)
    return {
        "retrieval": sorted({k for k in wanted if k <= fetch_k} | {fetch_k}),
        "reranked": [k for k in wanted if k <= top_k],
    }


def _paired_qrels(qrels: Qrels, a: ComparedRun, b: ComparedRun) -> tuple[Qrels, dict[str, int]]:
    """Labels of the queries both runs can be scored on, and what was left out."""
    labelled = {qid for qid, judged in qrels.items() if any(r > 0 for r in judged.values())}
    in_runs = a.qids | b.qids
    # A query whose rerank failed in either run has no pair: leave it out of both.
    failed = (a.failed | b.failed) & labelled
    keep = (labelled & in_runs) - failed
    counts = {
        "compared": len(keep),
        "labelled_not_in_runs": len(labelled - in_runs - failed),
        "unlabelled_in_runs": len(in_runs - labelled),
        "failed_rerank_excluded": len(failed),
    }
    return {qid: dict(qrels[qid]) for qid in sorted(keep)}, counts


def _build_paired(
    con: duckdb.DuckDBPyConnection,
    a: ComparedRun,
    b: ComparedRun,
    stage_ks: Mapping[Stage, list[int]],
) -> None:
    """Create the temp table paired(stage, qid, k, metric, a, b)."""
    con.execute(
        "CREATE TEMP TABLE paired (stage VARCHAR, qid VARCHAR, k INTEGER, metric VARCHAR, "
        "a DOUBLE, b DOUBLE)"
    )
    for stage in STAGES:
        if not stage_ks[stage]:
            continue
        tables = {}
        for run in (a, b):
            table = f"pq_{run.label.lower()}_{stage}"
            sql = per_query_sql(run.relation(stage), groups=run.group_key is not None)
            con.execute(f"CREATE TEMP TABLE {table} AS {sql}", {"ks": stage_ks[stage]})
            tables[run.label] = table
        paired = render_sql(
            "compare_paired", a=f"SELECT * FROM {tables['A']}", b=f"SELECT * FROM {tables['B']}"
        )
        con.execute(f"INSERT INTO paired SELECT {sql_string(stage)}, * FROM ({paired})")


def _worst_by_metric(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[dict]]:
    sql = render_sql("compare_worst", paired="SELECT * FROM paired")
    out: dict[tuple[str, str], list[dict]] = {}
    for stage, name, k, qid, a, b, delta in con.execute(
        sql, {"eps": TIE_EPS, "n": WORST_N}
    ).fetchall():
        row = {"qid": qid, "a": float(a), "b": float(b), "delta": float(delta)}
        out.setdefault((stage, str(Metric(name, int(k)))), []).append(row)
    return out


def _pvalue(
    con: duckdb.DuckDBPyConnection,
    key: tuple[str, str, int],
    seed: int,
    n_resamples: int,
    seen: dict[bytes, float],
) -> float:
    stage, name, k = key
    a, b = (
        con.execute(
            "SELECT a, b FROM paired WHERE stage = $stage AND metric = $metric AND k = $k "
            "ORDER BY qid",
            {"stage": stage, "metric": name, "k": k},
        )
        .fetchnumpy()
        .values()
    )
    # Metrics often pair up identically (recall@k and hit_rate@k with one relevant doc a
    # query); each test draws from a fresh generator(seed), so a repeat has the same p.
    pair = np.asarray(a, dtype=float).tobytes() + np.asarray(b, dtype=float).tobytes()
    if pair not in seen:
        seen[pair] = paired_permutation_pvalue(a, b, seed=seed, n_resamples=n_resamples)
    return seen[pair]


def _stage_entries(
    con: duckdb.DuckDBPyConnection, seed: int, n_resamples: int
) -> dict[str, dict[str, dict[str, Any]]]:
    rows = con.execute(
        render_sql("compare_summary", paired="SELECT * FROM paired"), {"eps": TIE_EPS}
    ).fetchall()
    worst = _worst_by_metric(con)
    seen: dict[bytes, float] = {}
    out: dict[str, dict[str, dict[str, Any]]] = {stage: {} for stage in STAGES}
    for stage, name, k, n, mean_a, mean_b, wins, losses, ties in sorted(
        rows, key=lambda r: (STAGES.index(r[0]), Metric(r[1], int(r[2])))
    ):
        key = str(Metric(name, int(k)))
        out[stage][key] = {
            "metric": name,
            "k": int(k),
            "n": int(n),
            "mean_a": float(mean_a),
            "mean_b": float(mean_b),
            "delta": float(mean_b) - float(mean_a),
            "wins": int(wins),
            "losses": int(losses),
            "ties": int(ties),
            "p_value": _pvalue(con, (stage, name, int(k)), seed, n_resamples, seen),
            "worst": worst.get((stage, key), []),
        }
    return out


def compare_runs(
    run_a: PathLike,
    run_b: PathLike,
    qrels: Qrels,
    *,
    ks: Sequence[int] | None = None,
    seed: int = 0,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    labels_name: str | None = None,
    refuse_unmatched: bool = True,
) -> dict[str, Any]:
    """Per-query comparison of run B (candidate) against run A (baseline), both stages.

    Scored over the labelled queries in the runs (a query without hits in one run scores 0
    there; a query whose rerank failed in either run is left out of both). `ks` defaults to
    the manifests' run.ks; retrieval is compared up to the smaller fetch_k (and at it),
    reranked up to the smaller top_k. Raises ValueError when the runs' query sets differ.

    The unit comes from the manifests (`config.qdrant.group_key`), the source of truth: both
    runs on groups or both on documents, else InputError. Label ids matching nothing in a run
    are counted (`queries.label_ids_not_in_a` / `_b`); none matching at all is an InputError
    naming `labels_name` (the labels' path).
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    path_a, path_b = storage.location(run_a), storage.location(run_b)
    con = storage.connect_duckdb(path_a, path_b)
    try:
        a = load_run(con, "A", path_a)
        b = load_run(con, "B", path_b)
        check_same_unit(a, b)
        check_same_queries(a, b)
        stage_ks = _stage_ks(a, b, ks)
        used, counts = _paired_qrels(qrels, a, b)
        if not used:
            raise ValueError(
                f"{a.name} and {b.name}: no labelled query to compare "
                f"({len(a.qids | b.qids)} queries in the runs, {len(qrels)} in the labels)"
            )
        register_qrels(con, used)
        for run in (a, b):
            seen = check_label_ids(
                con,
                run.relation("retrieval"),
                labels_name=labels_name or "labels",
                run_name=f"{run.label} ({run.run_id})",
                group_key=run.group_key,
                refuse_unmatched=refuse_unmatched,
            )
            counts["label_ids"] = seen["label_ids"]
            counts[f"label_ids_not_in_{run.label.lower()}"] = seen["label_ids_not_in_run"]
        _build_paired(con, a, b, stage_ks)
        stages = _stage_entries(con, seed, n_resamples)
    finally:
        con.close()
    return {
        "unit": unit_of(a.group_key),
        "a": a.summary(),
        "b": b.summary(),
        "queries": counts,
        "ks": {stage: list(v) for stage, v in stage_ks.items()},
        "test": {
            "method": "paired sign-flip permutation test of the mean per-query difference",
            "alternative": "two-sided",
            "n_resamples": n_resamples,
            "exact_max_n": EXACT_MAX_N,
            "seed": seed,
            "tie_eps": TIE_EPS,
        },
        "stages": stages,
        "warnings": pair_warnings(a, b),
    }
