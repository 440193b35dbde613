"""IR metrics computed in DuckDB SQL over the pipeline's Parquet run files.

Every metric definition lives in `tasks/sql/*.sql`; this module only loads those files,
substitutes relation names and binds named parameters, so the CLI, the flows and the tests
all share one definition.

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
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa

from config.settings import ALL_METRIC_NAMES
from config.settings import METRIC_NAMES as METRIC_NAMES  # re-exported: the ranking metrics
from tasks.runs import storage
from tasks.runs.layout import CANDIDATES_FILE, RERANKED_FILE, run_id_of
from tasks.runs.runstore import failed_qids
from tasks.runs.storage import PathLike
from tasks.types import InputError, Qrels

DEFAULT_KS: tuple[int, ...] = (1, 3, 5, 10, 20)
# Per-query ndcg differences below this are float noise from summation order, not a change.
NDCG_EPS = 1e-9
# Ids quoted in a message about labels that match nothing.
EXAMPLE_IDS = 3

log = logging.getLogger(__name__)

_CANDIDATE_COLUMNS = ("qid", "doc_id", "retrieval_rank", "retrieval_score")
_RERANKED_COLUMNS = ("qid", "doc_id", "rank", "rerank_score")


@cache
def load_sql(name: str) -> str:
    """Text of `tasks/sql/{name}.sql` without its full-line comments."""
    sql_dir = resources.files("tasks.evaluate").joinpath("sql")
    text = sql_dir.joinpath(f"{name}.sql").read_text(encoding="utf-8")
    # Header comments name the {placeholders}; drop them so str.format cannot expand them
    # into the comment, where a multi-line substitution would break out of it.
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


# The one definition of "rank by score", for every SQL that ranks (`{rank_score}`): trec_eval
# keeps scores as C float (TEXT_TR.sim), so scores closer than float32 resolution tie there;
# the score rounded to FLOAT gives the same order (tie_break_order likewise).
# Beyond FLOAT's range C gives +-inf where DuckDB's CAST would raise.
RANK_SCORE_SQL = (
    "coalesce(TRY_CAST(score AS FLOAT), "
    "CASE WHEN score > 0 THEN 'inf'::FLOAT WHEN score < 0 THEN '-inf'::FLOAT END)"
)


def render_sql(name: str, **relations: str) -> str:
    """`tasks/sql/{name}.sql` with its {placeholder} relations substituted."""
    return load_sql(name).format(rank_score=RANK_SCORE_SQL, **relations)


def sql_string(value: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def read_parquet_sql(path: PathLike) -> str:
    """`read_parquet('...')` for a run file (a URL needs `storage.connect_duckdb`)."""
    return f"read_parquet({sql_string(storage.sql_path(storage.location(path)))})"


def parquet_relation(path: PathLike, score_column: str) -> str:
    """SQL for a (qid, doc_id, score) relation read from a run Parquet file."""
    if not score_column.isidentifier():
        raise ValueError(f"bad column name: {score_column!r}")
    return f"SELECT qid, doc_id, {score_column} AS score FROM {read_parquet_sql(path)}"


def run_relation(path: PathLike, score_column: str, group_key: str | None = None) -> str:
    """SQL for the relation a run file is scored on: (qid, doc_id, score) of its documents, or
    at group level (`group_key` set) `group_run.sql`: each chunk under its group's id."""
    if group_key is None:
        return parquet_relation(path, score_column)
    if not score_column.isidentifier():
        raise ValueError(f"bad column name: {score_column!r}")
    chunks = f"SELECT qid, doc_id, group_id, {score_column} AS score FROM {read_parquet_sql(path)}"
    return render_sql("group_run", run=chunks)


def unit_of(group_key: str | None) -> dict[str, str | None]:
    """What the metrics count, as metrics.json and comparisons record it."""
    return {"level": "group" if group_key else "document", "group_key": group_key}


def describe_unit(unit: Mapping[str, Any] | None) -> str:
    """`group (qdrant.group_key=source)` or `document` (a record without a unit: document)."""
    if unit and unit.get("level") == "group":
        return f"group (qdrant.group_key={unit.get('group_key')})"
    return "document"


def register_qrels(con: duckdb.DuckDBPyConnection, qrels: Qrels) -> None:
    """Expose `qrels` to `con` as the table qrels(qid VARCHAR, doc_id VARCHAR, rel INTEGER)."""
    rows = [(qid, doc_id, rel) for qid, docs in qrels.items() for doc_id, rel in docs.items()]
    table = pa.table(
        {
            "qid": pa.array([r[0] for r in rows], pa.string()),
            "doc_id": pa.array([r[1] for r in rows], pa.string()),
            "rel": pa.array([int(r[2]) for r in rows], pa.int32()),
        }
    )
    con.register("qrels", table)


def check_ks(ks: Iterable[int]) -> list[int]:
    out = sorted({int(k) for k in ks})
    if not out or out[0] < 1:
        raise InputError(f"cutoffs must be positive integers, got {list(ks)!r}")
    return out


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


def _metric_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The metric names of the last result's columns (all but qid and k)."""
    return [d[0] for d in con.description or []][2:]


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
    names = _metric_columns(con)
    out: dict[str, dict[int, dict[str, float]]] = {}
    for qid, k, *values in rows:
        out.setdefault(qid, {})[int(k)] = dict(zip(names, map(float, values), strict=True))
    return out


def _aggregate(
    con: duckdb.DuckDBPyConnection, per_query_relation: str, ks: Sequence[int]
) -> dict[str, float]:
    sql = render_sql("aggregate", per_query=per_query_relation)
    rows = con.execute(sql, {"ks": check_ks(ks)}).fetchall()
    names = [d[0] for d in con.description or []][1:]
    found = {int(k): values for k, *values in rows}
    out: dict[str, float] = {}
    for k in check_ks(ks):
        # No labelled queries at all: every mean is 0, as trec_eval's would be.
        values = found.get(k, [0.0] * len(names))
        for name, value in zip(names, values, strict=True):
            out[f"{name}@{k}"] = float(value if value is not None else 0.0)
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
    return _aggregate(con, f"({per_query_sql(run_relation_sql, groups=groups)})", ks)


def _quoted(ids: Sequence[str]) -> str:
    return ", ".join(repr(i) for i in ids)


def check_label_ids(
    con: duckdb.DuckDBPyConnection,
    run_relation_sql: str,
    *,
    labels_name: str,
    run_name: str,
    group_key: str | None,
    refuse_unmatched: bool = True,
) -> dict[str, int]:
    """Count the relevant label ids (of `con`'s qrels) that match nothing in the run.

    Some unseen is normal (a relevant document no query retrieved) and is logged; none seen
    at all means the labels name another unit (documents vs groups, or another collection's
    ids), so every metric would be 0: an InputError naming the labels and examples of both.
    `refuse_unmatched=False` when the labels were already checked against the corpus or the
    collection (a run measuring itself): none retrieved is then a real zero, only logged.
    """
    sql = render_sql("label_ids", run=run_relation_sql)
    row = con.execute(sql, {"n": EXAMPLE_IDS}).fetchone()
    assert row is not None
    label_ids, unseen, examples, run_examples = int(row[0]), int(row[1]), row[2], row[3]
    what = "group" if group_key else "document"
    if label_ids and unseen == label_ids and refuse_unmatched:
        if not run_examples:
            hint = "the run retrieved nothing"
        elif group_key:
            hint = (
                f"at group level labels must name groups (qdrant.group_key={group_key}), "
                f"such as the run's {_quoted(run_examples)}"
            )
        else:
            hint = (
                f"labels must name the run's document ids, such as {_quoted(run_examples)} "
                "(labels naming the source documents of chunks need qdrant.group_key)"
            )
        raise InputError(
            f"{labels_name}: no label id matches a {what} in run {run_name} "
            f"(e.g. {_quoted(examples)}); {hint}"
        )
    if unseen:
        log.warning(
            "%s: %d of %d label ids match no %s in run %s (e.g. %s): retrieved for no query, "
            "or absent from the collection",
            labels_name,
            unseen,
            label_ids,
            what,
            run_name,
            _quoted(examples),
        )
    return {"label_ids": label_ids, "label_ids_not_in_run": unseen}


def check_unit_columns(
    con: duckdb.DuckDBPyConnection, path: PathLike, group_key: str | None
) -> None:
    """Group level needs the files' group_id; a file with group ids scored on documents means a
    caller did not pass the run's group_key (a bug: the metrics would count chunks)."""
    described = con.execute(f"DESCRIBE SELECT * FROM {read_parquet_sql(path)}").fetchall()
    if "group_id" not in {row[0] for row in described}:
        if group_key is not None:
            raise InputError(
                f"{path}: field 'group_id': missing column (qdrant.group_key={group_key} "
                "scores groups; the run was written without them)"
            )
        return
    if group_key is None:
        sql = f"SELECT count(group_id) FROM {read_parquet_sql(path)}"
        row = con.execute(sql).fetchone()
        if row is not None and row[0] > 0:
            raise ValueError(
                f"{path}: the run's chunks carry group ids but were scored as documents: "
                "pass the run's qdrant.group_key (RunManifest.group_key)"
            )


def check_run_file(con: duckdb.DuckDBPyConnection, path: PathLike, columns: Sequence[str]) -> None:
    """A clear error when a run file is missing or lacks a column the SQL reads."""
    if not storage.location(path).is_file():
        raise InputError(f"{path}: run file not found")
    described = con.execute(f"DESCRIBE SELECT * FROM {read_parquet_sql(path)}").fetchall()
    present = {row[0] for row in described}
    for column in columns:
        if column not in present:
            raise InputError(f"{path}: field {column!r}: missing column")


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
        counts = con.execute(render_sql("query_counts", run=retrieval_rel)).fetchone()
        assert counts is not None
        in_run, labelled, unlabelled, missing = (int(c) for c in counts)
        # Relations, not bare table names: DuckDB 2 rejects `FROM (table)`.
        retrieval_pq, reranked_pq = "SELECT * FROM pq_retrieval", "SELECT * FROM pq_reranked"
        diag_sql = render_sql("diagnostics", retrieval=retrieval_pq, reranked=reranked_pq)
        diag_row = con.execute(
            diag_sql, {"top_k": top_k, "fetch_k": fetch_k, "eps": NDCG_EPS}
        ).fetchone()
        assert diag_row is not None
        diag = dict(zip([d[0] for d in con.description or []], diag_row, strict=True))
        retrieval = _aggregate(con, retrieval_pq, retrieval_ks)
        reranked_metrics = _aggregate(con, reranked_pq, reranked_ks) if reranked_ks else {}
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
            "retrieval_ceiling": retrieval[f"recall@{fetch_k}"],
            "in_fetch_k_not_top_k": float(diag["in_fetch_k_not_top_k"]),
            "in_fetch_k_not_top_k_after": float(diag["in_fetch_k_not_top_k_after"]),
            "headroom": {
                "already_right": float(diag["already_right"]),
                "fixable_by_reranking": float(diag["fixable_by_reranking"]),
                "not_retrieved": float(diag["not_retrieved"]),
            },
            f"per_query_ndcg@{top_k}": {
                "improved": int(diag["improved"]),
                "worse": int(diag["worse"]),
                "same": int(diag["same"]),
            },
        },
    }


def _metric_rows(metrics: Mapping[str, Any]) -> list[tuple[str, float | None, float | None]]:
    retrieval: Mapping[str, float] = metrics.get("retrieval", {})
    reranked: Mapping[str, float] = metrics.get("reranked", {})
    keys = set(retrieval) | set(reranked)
    ks = sorted({int(key.split("@", 1)[1]) for key in keys})
    rows = []
    for name in ALL_METRIC_NAMES:
        for k in ks:
            key = f"{name}@{k}"
            if key in keys:
                rows.append((key, retrieval.get(key), reranked.get(key)))
    return rows


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def diagnostic_lines(metrics: Mapping[str, Any]) -> list[str]:
    q = metrics.get("queries", {})
    d = metrics.get("diagnostics", {})
    unseen = ""
    if "label_ids_not_in_run" in q:
        unseen = f"; label ids not in run {q['label_ids_not_in_run']} of {q.get('label_ids')}"
    lines = [
        f"unit: {describe_unit(metrics.get('unit'))}",
        f"queries: in run {q.get('in_run')}, labelled {q.get('labelled')}, "
        f"evaluated {q.get('evaluated')}, unlabelled in run {q.get('unlabelled_in_run')}, "
        f"labelled missing from run {q.get('labelled_missing_from_run')}{unseen}",
    ]
    if not d:
        return lines
    h = d.get("headroom", {})
    lines += [
        f"retrieval ceiling (recall@fetch_k): {_fmt(d.get('retrieval_ceiling'))}",
        f"relevant in fetch_k but not top_k: before {_fmt(d.get('in_fetch_k_not_top_k'))}, "
        f"after reranking {_fmt(d.get('in_fetch_k_not_top_k_after'))}",
        f"headroom: already right {_fmt(h.get('already_right'))}, "
        f"fixable by reranking {_fmt(h.get('fixable_by_reranking'))}, "
        f"not retrieved {_fmt(h.get('not_retrieved'))}",
    ]
    for key, value in d.items():
        if key.startswith("per_query_"):
            lines.append(
                f"{key}: improved {value['improved']}, worse {value['worse']}, same {value['same']}"
            )
    return lines


def format_table(metrics: Mapping[str, Any]) -> str:
    """Plain-text table: metric@k rows, retrieval / reranked / delta columns, then diagnostics."""
    rows = [("metric", "retrieval", "reranked", "delta")]
    for key, a, b in _metric_rows(metrics):
        rows.append((key, _fmt(a), _fmt(b), _fmt(_delta(a, b), signed=True)))
    width0 = max(len(r[0]) for r in rows)
    widths = [max(len(r[i]) for r in rows) for i in range(1, 4)]
    lines = []
    for i, row in enumerate(rows):
        cells = [row[0].ljust(width0)] + [c.rjust(w) for c, w in zip(row[1:], widths, strict=True)]
        lines.append("  ".join(cells))
        if i == 0:
            lines.append("  ".join("-" * w for w in [width0, *widths]))
    return "\n".join([*lines, "", *diagnostic_lines(metrics)])


def to_markdown(metrics: Mapping[str, Any]) -> str:
    """Markdown version of `format_table`, for a Prefect artifact."""
    lines = ["| metric | retrieval | reranked | delta |", "|---|---:|---:|---:|"]
    for key, a, b in _metric_rows(metrics):
        lines.append(f"| {key} | {_fmt(a)} | {_fmt(b)} | {_fmt(_delta(a, b), signed=True)} |")
    lines.append("")
    lines += [f"- {line}" for line in diagnostic_lines(metrics)]
    return "\n".join(lines)


def table_rows(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows for a Prefect table artifact: the same rows as `format_table`."""
    return [
        {"metric": key, "retrieval": a, "reranked": b, "delta": _delta(a, b)}
        for key, a, b in _metric_rows(metrics)
    ]


def headline(metrics: Mapping[str, Any], top_k: int) -> dict[str, float | None]:
    """The few numbers a manifest carries: recall and nDCG at top_k (and chunk_coverage at
    group level), and the ceiling."""
    names = ("recall", "ndcg")
    if f"chunk_coverage@{top_k}" in metrics["retrieval"]:
        names += ("chunk_coverage",)
    return {
        f"{ranking}_{name}@{top_k}": metrics[ranking].get(f"{name}@{top_k}")
        for ranking in ("retrieval", "reranked")
        for name in names
    } | {"retrieval_ceiling": metrics["diagnostics"]["retrieval_ceiling"]}
