"""Reading the published table, and publishing a new one atomically under a writer lock.

Each file is written under a temporary name in the same directory and `os.replace`d into place,
so a reader opens the old file or the new one, never half of either. The DuckDB file and the
Parquet file carry the table's content hash, as does `faq.json` (replaced last), so a reader of
more than one file can check they are the same version.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tasks.errors import InputError
from tasks.faq.layout import DB_FILE, FAQ_SCHEMA, LOCK_FILE, MANIFEST_FILE, PARQUET_FILE
from tasks.runs import storage

log = logging.getLogger(__name__)


def read_table(faq_dir: Path) -> pa.Table | None:
    """The published table, or None when there is none (or it predates this layout)."""
    path = faq_dir / PARQUET_FILE
    if not path.exists():
        return None
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path}: not a readable Parquet file ({exc}); delete it to recompute every question"
        ) from None
    if table.schema.remove_metadata() != FAQ_SCHEMA:
        log.warning("%s: columns differ from this version's; recomputing every question", path)
        return None
    return table.replace_schema_metadata(None)


@contextmanager
def writer_lock(faq_dir: Path) -> Iterator[None]:
    """One writer per directory: two refreshes interleaving their renames would mix versions."""
    faq_dir.mkdir(parents=True, exist_ok=True)
    path = faq_dir / LOCK_FILE
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"{faq_dir}: another FAQ precompute is writing here ({path} is locked)"
            ) from None
        try:
            _remove_leftovers(faq_dir)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(faq_dir: Path) -> None:
    # Temporary files of a writer that died; safe to delete while holding the lock.
    for path in faq_dir.glob(".faq.*.tmp*"):
        path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file (or directory entry) so a rename never outlives its data on power loss."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _build_duckdb(db_path: Path, parquet_path: Path, meta: Mapping[str, Any]) -> None:
    import duckdb

    con = duckdb.connect(str(db_path))
    try:
        # Built from the Parquet file just written: the two files hold the same rows.
        con.execute(
            "CREATE TABLE faq AS SELECT * FROM read_parquet($path) ORDER BY query_norm, rank",
            {"path": str(parquet_path)},
        )
        con.execute("CREATE INDEX faq_query_norm ON faq (query_norm)")
        con.execute(
            "CREATE TABLE faq_meta AS SELECT $run_id AS run_id, "
            "$created_at::TIMESTAMPTZ AS created_at, $table_hash AS table_hash, "
            "$queries::BIGINT AS queries, $rows::BIGINT AS rows",
            {k: meta[k] for k in ("run_id", "created_at", "table_hash", "queries", "rows")},
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def publish(faq_dir: Path, table: pa.Table, manifest: Mapping[str, Any]) -> None:
    """Swap in the new Parquet, then the new DuckDB file, then the manifest.

    Call under `writer_lock`. Each file is complete before its rename, and a reader that already
    holds the old file keeps reading it (its inode lives on until closed).
    """
    labels = {"run_id": manifest["run_id"], "table_hash": manifest["table_hash"]}
    # Nested so the Parquet file is renamed into place first, then the DuckDB file.
    with (
        storage.atomic_path(faq_dir / DB_FILE) as tmp_db,
        storage.atomic_path(faq_dir / PARQUET_FILE) as tmp_parquet,
    ):
        try:
            pq.write_table(
                table.replace_schema_metadata({f"rerankflow.{k}": v for k, v in labels.items()}),
                tmp_parquet,
            )
            _fsync(tmp_parquet)
            _build_duckdb(tmp_db, tmp_parquet, manifest)
        finally:
            tmp_db.with_name(tmp_db.name + ".wal").unlink(missing_ok=True)
    _fsync(faq_dir)
    storage.write_json(dict(manifest), faq_dir / MANIFEST_FILE)
