"""IR metrics computed in DuckDB SQL over the pipeline's Parquet run files.

Every metric definition lives in `tasks/evaluate/sql/*.sql` (loaded by `tasks.evaluate.sql`),
so the CLI, the flows and the tests all share one definition; this module composes them into
per-query values, means and the reranking diagnostics of a run.

Conventions follow trec_eval (and so equal pytrec_eval):
- each query's documents are ranked by `score DESC, doc_id DESC`, the score compared at
  float32 resolution (trec_eval stores it as a C float); stored rank columns are ignored;
- duplicate (qid, doc_id) rows in a run keep their highest score;
- a qrels row is relevant when rel > 0; ndcg uses the grade as linear gain (rel <= 0 gains 0)
  and the ideal ranking of all relevant judged documents of the query;
- means are taken over labelled queries (at least one rel > 0 judgement); a labelled query
  absent from the run scores 0, run queries without labels are left out and counted.

The unit scored is the one the labels name. A run over a chunked collection (the run's
`qdrant.group_key`, passed as `group_key`) is scored on groups: chunks in ranked order, each
group at the rank of its best chunk, later chunks of the group dropped (MaxP), k counting
groups (`group_run.sql`); `chunk_coverage@k` adds the share of relevant groups found among the
top k chunks (`chunk_coverage.sql`). Label ids that match nothing in the run are counted, and
when none match at all the labels name another unit: an `InputError`, never a table of zeros.

The SQL's metric columns are matched to `config.evaluation.METRIC_NAMES` by name (never by
position); a column either side lacks is a bug, raised as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from config.settings import GROUP_METRIC_NAMES, METRIC_NAMES, Stage
from tasks.evaluate.checks import check_ks, check_label_ids, check_run_file, check_unit_columns
from tasks.evaluate.names import Metric
from tasks.evaluate.sql import fetch_row, register_qrels, render_sql, run_relation
from tasks.runs import storage
from tasks.runs.layout import CANDIDATES_FILE, RERANKED_FILE, run_id_of
from tasks.runs.runstore import failed_qids
from tasks.runs.storage import PathLike
from tasks.types import InputError, Qrels

DEFAULT_KS: tuple[int, ...] = (1, 3, 5, 10, 20)
# The two rankings of a run, as metrics.json and comparisons key them.
STAGES: tuple[Stage, ...] = ("retrieval", "reranked")
# Per-query ndcg differences below this are float noise from summation order, not a change.
NDCG_EPS = 1e-9
# The columns of a per-query result that are not metrics.
KEY_COLUMNS = ("qid", "k")

_CANDIDATE_COLUMNS = ("qid", "doc_id", "retrieval_rank", "retrieval_score")
_RERANKED_COLUMNS = ("qid", "doc_id", "rank", "rerank_score")


def unit_of(group_key: str | None) -> dict[str, str | None]:
    """What the metrics count, as metrics.json and comparisons record it."""
    return {"level": "group" if group_key else "document", "group_key": group_key}


def describe_unit(unit: Mapping[str, Any] | None) -> str:
    """`group (qdrant.group_key=source)` or `document` (a record without a unit: document)."""
    if unit and unit.get("level") == "group":
        return f"group (qdrant.group_key={unit.get('group_key')})"
    return "document"


def per_query_sql(run_relation_sql: str, *, groups: bool = False) -> str:
    """SQL with one row per (labelled qid, k) and the metric columns; binds `$ks`.

    `groups`: the relation is a `group_run.sql` one (see `run_relation`); the metrics rank its
    groups and a chunk_coverage column (k counting chunks) is added.
    """
    if not groups:
        return render_sql("per_query", run=run_relation_sql)
    return render_sql(
        "per_query_group",
        groups=render_sql("per_query", run=run_relation_sql),
        coverage=render_sql("chunk_coverage", run=run_relation_sql),
    )


def metric_columns(columns: Sequence[str], *, groups: bool) -> tuple[str, ...]:
    """The metric names of a result's `columns`, in report order, checked by name: the SQL
    must compute exactly METRIC_NAMES (plus GROUP_METRIC_NAMES at group level)."""
    expected = METRIC_NAMES + (GROUP_METRIC_NAMES if groups else ())
    found = [c for c in columns if c not in KEY_COLUMNS]
    if sorted(found) != sorted(expected):
        raise RuntimeError(
            f"the metric SQL computes {found}, config.evaluation names {list(expected)}: "
            "a metric added on one side only"
        )
    return expected


def _columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [d[0] for d in con.description or []]


def per_query(
    con: duckdb.DuckDBPyConnection,
    run_relation_sql: str,
    ks: Sequence[int],
    *,
    groups: bool = False,
) -> dict[str, dict[int, dict[str, float]]]:
    """Per-query metrics: qid -> k -> metric name -> value, for every labelled query."""
    sql = per_query_sql(run_relation_sql, groups=groups)
    rows = con.execute(sql, {"ks": check_ks(ks)}).fetchall()
    columns = _columns(con)
    names = metric_columns(columns, groups=groups)
    out: dict[str, dict[int, dict[str, float]]] = {}
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        out.setdefault(values["qid"], {})[int(values["k"])] = {
            name: float(values[name]) for name in names
        }
    return out


def aggregate(
    con: duckdb.DuckDBPyConnection,
    per_query_relation: str,
    ks: Sequence[int],
    *,
    groups: bool = False,
) -> dict[str, float]:
    """Means of a per-query relation at each k in `ks`: "metric@k" -> value, k then metric."""
    sql = render_sql("aggregate", per_query=per_query_relation)
    rows = con.execute(sql, {"ks": check_ks(ks)}).fetchall()
    columns = _columns(con)
    names = metric_columns(columns, groups=groups)
    by_name = [dict(zip(columns, row, strict=True)) for row in rows]
    found = {int(values["k"]): values for values in by_name}
    out: dict[str, float] = {}
    for k in check_ks(ks):
        # No labelled queries at all: every mean is 0, as trec_eval's would be.
        values = found.get(k, {})
        for name in names:
            value = values.get(name)
            out[str(Metric(name, k))] = float(value if value is not None else 0.0)
    return out


def ranking_metrics(
    con: duckdb.DuckDBPyConnection,
    run_relation_sql: str,
    ks: Sequence[int],
    *,
    groups: bool = False,
) -> dict[str, float]:
    """Mean recall/precision/hit_rate/mrr/ndcg @k over labelled queries (and chunk_coverage
    with `groups`).

    `run_relation_sql` is a relation with columns qid, doc_id, score (`run_relation` builds
    one from a run file); `con` must hold a `qrels` table (see `register_qrels`). Keys look
    like "ndcg@10", ordered by k then metric.
    """
    relation = f"({per_query_sql(run_relation_sql, groups=groups)})"
    return aggregate(con, relation, ks, groups=groups)


def evaluate_run(
    run_dir: PathLike,
    qrels: Qrels,
    fetch_k: int,
    top_k: int,
    ks: Sequence[int] = DEFAULT_KS,
    *,
    group_key: str | None = None,
    labels_name: str | None = None,
    refuse_unmatched: bool = True,
) -> dict[str, Any]:
    """Retrieval vs reranked metrics and diagnostics for one run directory.

    Retrieval is scored at every k in `ks` up to fetch_k plus fetch_k itself; reranked at every
    k in `ks` up to top_k (the files hold only that many rows per query, so larger cutoffs
    would be meaningless). "evaluated" is the number of labelled queries the means cover.

    `group_key` is the run's `qdrant.group_key` (`RunManifest.group_key`): set, the labels
    name groups and every metric and diagnostic is scored on the group ranking (k counting
    groups), plus chunk_coverage@k (k counting chunks). `labels_name` (the labels' path) names
    the labels in the InputError raised when no label id matches anything in the run.
    """
    if top_k < 1 or fetch_k < top_k:
        raise InputError(f"need 1 <= top_k <= fetch_k, got top_k={top_k} fetch_k={fetch_k}")
    ks = check_ks(ks)
    run_dir = storage.location(run_dir)
    # Queries whose rerank failed have no reranked list: leave them out of both sides.
    failed = failed_qids(run_dir)
    qrels = {qid: judged for qid, judged in qrels.items() if qid not in failed}
    candidates = run_dir / CANDIDATES_FILE
    reranked = run_dir / RERANKED_FILE
    retrieval_ks = sorted({k for k in ks if k <= fetch_k} | {fetch_k})
    reranked_ks = [k for k in ks if k <= top_k]
    groups = group_key is not None

    con = storage.connect_duckdb(run_dir)
    try:
        check_run_file(con, candidates, _CANDIDATE_COLUMNS)
        check_run_file(con, reranked, _RERANKED_COLUMNS)
        check_unit_columns(con, candidates, group_key)
        check_unit_columns(con, reranked, group_key)
        register_qrels(con, qrels)
        retrieval_rel = run_relation(candidates, "retrieval_score", group_key)
        reranked_rel = run_relation(reranked, "rerank_score", group_key)
        label_counts = check_label_ids(
            con,
            retrieval_rel,  # the candidates hold every id the reranked file does
            labels_name=labels_name or "labels",
            run_name=run_id_of(run_dir),
            group_key=group_key,
            refuse_unmatched=refuse_unmatched,
        )
        # Materialise per-query values once; the means and the diagnostics both read them.
        con.execute(
            f"CREATE TEMP TABLE pq_retrieval AS {per_query_sql(retrieval_rel, groups=groups)}",
            {"ks": sorted(set(retrieval_ks) | {top_k})},
        )
        con.execute(
            f"CREATE TEMP TABLE pq_reranked AS {per_query_sql(reranked_rel, groups=groups)}",
            {"ks": sorted(set(reranked_ks) | {top_k})},
        )
        counts = fetch_row(con, render_sql("query_counts", run=retrieval_rel), what="query_counts")
        in_run, labelled, unlabelled, missing = (int(c) for c in counts)
        # Relations, not bare table names: DuckDB 2 rejects `FROM (table)`.
        retrieval_pq, reranked_pq = "SELECT * FROM pq_retrieval", "SELECT * FROM pq_reranked"
        diag_sql = render_sql("diagnostics", retrieval=retrieval_pq, reranked=reranked_pq)
        diag_params = {"top_k": top_k, "fetch_k": fetch_k, "eps": NDCG_EPS}
        diag_row = fetch_row(con, diag_sql, diag_params, what="diagnostics")
        diag = dict(zip(_columns(con), diag_row, strict=True))
        retrieval = aggregate(con, retrieval_pq, retrieval_ks, groups=groups)
        reranked_metrics = (
            aggregate(con, reranked_pq, reranked_ks, groups=groups) if reranked_ks else {}
        )
    finally:
        con.close()

    return {
        "unit": unit_of(group_key),
        "queries": {
            "in_run": in_run,
            "labelled": labelled,
            "evaluated": int(diag["evaluated"]),
            "unlabelled_in_run": unlabelled,
            "labelled_missing_from_run": missing,
            "failed_rerank": len(failed),
            **label_counts,
        },
        "retrieval": retrieval,
        "reranked": reranked_metrics,
        "diagnostics": {
            "retrieval_ceiling": retrieval[str(Metric("recall", fetch_k))],
            "in_fetch_k_not_top_k": float(diag["in_fetch_k_not_top_k"]),
            "in_fetch_k_not_top_k_after": float(diag["in_fetch_k_not_top_k_after"]),
            "headroom": {
                "already_right": float(diag["already_right"]),
                "fixable_by_reranking": float(diag["fixable_by_reranking"]),
                "not_retrieved": float(diag["not_retrieved"]),
            },
            f"per_query_{Metric('ndcg', top_k)}": {
                "improved": int(diag["improved"]),
                "worse": int(diag["worse"]),
                "same": int(diag["same"]),
            },
        },
    }
