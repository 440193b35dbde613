"""Run directories as the flows leave them, for tests that measure, compare or report runs:
the layout's file names, Parquet tables the test builds, and a real `RunManifest`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from tasks.runs import layout, storage
from tasks.runs.manifest import RunManifest, write_manifest


def run_manifest(
    run_id: str,
    *,
    fetch_k: int,
    top_k: int,
    ks: Sequence[int],
    status: str = "completed",
    created_at: datetime | None = None,
    config: Mapping[str, Any] | None = None,
    **fields: Any,
) -> RunManifest:
    """A completed run's manifest; `config` adds settings sections beside `run`."""
    return RunManifest(
        run_id=run_id,
        status=status,
        created_at=created_at,
        config={"run": {"fetch_k": fetch_k, "top_k": top_k, "ks": list(ks)}, **(config or {})},
        **fields,
    )


def write_run(
    run_dir: Path,
    candidates: pa.Table,
    reranked: pa.Table,
    manifest: RunManifest,
    *,
    failed: Mapping[str, str] | None = None,
) -> Path:
    """The run's Parquet files, its failed queries (qid -> reason) when given, its manifest."""
    run_dir.mkdir(parents=True, exist_ok=True)
    storage.write_parquet(candidates, run_dir / layout.CANDIDATES_FILE)
    storage.write_parquet(reranked, run_dir / layout.RERANKED_FILE)
    if failed is not None:
        table = {"qid": list(failed), "reason": list(failed.values())}
        storage.write_parquet(
            pa.table(table, schema=layout.FAILED_SCHEMA), run_dir / layout.FAILED_FILE
        )
    write_manifest(manifest, run_dir)
    return run_dir
