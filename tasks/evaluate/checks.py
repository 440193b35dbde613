"""Checks before scoring: cutoffs, run files and their columns, and labels that match the run.

Each failure the user can fix (a missing file or column, labels naming another unit) is an
`InputError` naming what to change; a caller passing the wrong unit is a bug (ValueError).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import duckdb

from tasks.evaluate.sql import fetch_row, read_parquet_sql, render_sql
from tasks.runs import storage
from tasks.runs.storage import PathLike
from tasks.types import InputError

# Ids quoted in a message about labels that match nothing.
EXAMPLE_IDS = 3

log = logging.getLogger(__name__)


def check_ks(ks: Iterable[int]) -> list[int]:
    """The cutoffs sorted and deduplicated; none, or one below 1, is an InputError."""
    out = sorted({int(k) for k in ks})
    if not out or out[0] < 1:
        raise InputError(f"cutoffs must be positive integers, got {list(ks)!r}")
    return out


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
    row = fetch_row(con, sql, {"n": EXAMPLE_IDS}, what="label_ids.sql")
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
