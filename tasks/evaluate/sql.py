"""The metric SQL files and the relations they read.

Every metric definition lives in `tasks/evaluate/sql/*.sql`; this module loads those files,
substitutes relation names ({placeholders}) and builds the relations a run file is read as,
so the CLI, the flows and the tests all share one definition.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa

from tasks.runs import storage
from tasks.runs.storage import PathLike
from tasks.types import Qrels

# The one definition of "rank by score", for every SQL that ranks (`{rank_score}`): trec_eval
# keeps scores as C float (TEXT_TR.sim), so scores closer than float32 resolution tie there;
# the score rounded to FLOAT gives the same order (tie_break_order likewise).
# Beyond FLOAT's range C gives +-inf where DuckDB's CAST would raise.
RANK_SCORE_SQL = (
    "coalesce(TRY_CAST(score AS FLOAT), "
    "CASE WHEN score > 0 THEN 'inf'::FLOAT WHEN score < 0 THEN '-inf'::FLOAT END)"
)


@cache
def load_sql(name: str) -> str:
    """Text of `tasks/evaluate/sql/{name}.sql` without its full-line comments."""
    sql_dir = resources.files("tasks.evaluate").joinpath("sql")
    text = sql_dir.joinpath(f"{name}.sql").read_text(encoding="utf-8")
    # Header comments name the {placeholders}; drop them so str.format cannot expand them
    # into the comment, where a multi-line substitution would break out of it.
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def render_sql(name: str, **relations: str) -> str:
    """`tasks/evaluate/sql/{name}.sql` with its {placeholder} relations substituted."""
    return load_sql(name).format(rank_score=RANK_SCORE_SQL, **relations)


def fetch_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: Any = None, *, what: str
) -> tuple[Any, ...]:
    """The one row an aggregate query returns; no row is a bug in the SQL, said as such."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise RuntimeError(f"{what}: the query returned no row (an aggregate returns one)")
    return row


def sql_string(value: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def read_parquet_sql(path: PathLike) -> str:
    """`read_parquet('...')` for a run file (a URL needs `storage.connect_duckdb`)."""
    return f"read_parquet({sql_string(storage.sql_path(storage.location(path)))})"


def _check_column(score_column: str) -> None:
    if not score_column.isidentifier():
        raise ValueError(f"bad column name: {score_column!r}")


def parquet_relation(path: PathLike, score_column: str) -> str:
    """SQL for a (qid, doc_id, score) relation read from a run Parquet file."""
    _check_column(score_column)
    return f"SELECT qid, doc_id, {score_column} AS score FROM {read_parquet_sql(path)}"


def run_relation(path: PathLike, score_column: str, group_key: str | None = None) -> str:
    """SQL for the relation a run file is scored on: (qid, doc_id, score) of its documents, or
    at group level (`group_key` set) `group_run.sql`: each chunk under its group's id."""
    if group_key is None:
        return parquet_relation(path, score_column)
    _check_column(score_column)
    chunks = f"SELECT qid, doc_id, group_id, {score_column} AS score FROM {read_parquet_sql(path)}"
    return render_sql("group_run", run=chunks)


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
