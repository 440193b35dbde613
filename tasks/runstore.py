"""The run directory: Hive-partitioned layout, per-batch parts, atomic writes, resume."""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

PARTS = "_parts"

CANDIDATES_SCHEMA = pa.schema(
    [
        ("qid", pa.string()),
        ("retrieval_rank", pa.int32()),
        ("doc_id", pa.string()),
        ("retrieval_score", pa.float64()),
    ]
)
RERANKED_SCHEMA = pa.schema(
    [
        ("qid", pa.string()),
        ("rank", pa.int32()),
        ("doc_id", pa.string()),
        ("rerank_score", pa.float64()),
        ("retrieval_rank", pa.int32()),
        ("retrieval_score", pa.float64()),
    ]
)


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def new_run_dir(runs_root: Path, run_id: str, now: datetime | None = None) -> Path:
    now = now or datetime.now(UTC)
    return runs_root / f"run_date={now:%Y-%m-%d}" / f"run_id={run_id}"


def find_run(runs_root: Path, run_id: str) -> Path:
    matches = sorted(runs_root.glob(f"run_date=*/run_id={run_id}"))
    if not matches:
        raise FileNotFoundError(f"no run '{run_id}' under {runs_root}")
    return matches[0]


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write beside, then rename: a crash leaves the old file or none, never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def write_json(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def part_path(run_dir: Path, batch: int, kind: str) -> Path:
    suffix = "json" if kind == "stats" else "parquet"
    return run_dir / PARTS / f"batch-{batch:05d}.{kind}.{suffix}"


def batch_done(run_dir: Path, batch: int) -> bool:
    # The reranked part is written last, so its presence means the whole batch landed.
    return part_path(run_dir, batch, "reranked").exists()


def write_batch(
    run_dir: Path, batch: int, candidates: pa.Table, reranked: pa.Table, stats: dict[str, Any]
) -> None:
    write_parquet(candidates, part_path(run_dir, batch, "candidates"))
    write_json(stats, part_path(run_dir, batch, "stats"))
    write_parquet(reranked, part_path(run_dir, batch, "reranked"))


def merge_parts(run_dir: Path, n_batches: int, labels: dict[str, str]) -> dict[str, int]:
    """Concatenate every batch's parts, in batch order, into the run's two Parquet files.

    `labels` (run id, backend, models) go into each file's key-value metadata, so a file
    copied away from its manifest still says what produced it.
    """
    counts = {}
    for kind, schema in (("candidates", CANDIDATES_SCHEMA), ("reranked", RERANKED_SCHEMA)):
        tables = [pq.read_table(part_path(run_dir, b, kind)) for b in range(n_batches)]
        table = pa.concat_tables(tables) if tables else schema.empty_table()
        table = table.replace_schema_metadata({f"rerankflow.{k}": v for k, v in labels.items()})
        write_parquet(table, run_dir / f"{kind}.parquet")
        counts[kind] = table.num_rows
    return counts


def batch_stats(run_dir: Path, n_batches: int) -> list[dict[str, Any]]:
    return [read_json(part_path(run_dir, b, "stats")) for b in range(n_batches)]
