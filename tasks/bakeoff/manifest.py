"""A bake-off's own directory and manifest (`bakeoff.json`) under the runs root:

bakeoffs/<bakeoff_id>/
  bakeoff.json          config, headline metric, columns (reranker, run id, status, reason)
  retrieval/_parts/     the one retrieval every column reranks (batch-NNNNN.hits.parquet)
  table.json, quality_vs_cost.png, report.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from upath import UPath

from config.settings import Settings
from tasks.bakeoff.specs import RerankerSpec
from tasks.errors import InputError
from tasks.runs import storage
from tasks.runs.storage import PathLike

BAKEOFFS_DIR = "bakeoffs"
BAKEOFF_FILE = "bakeoff.json"
RETRIEVAL_DIR = "retrieval"
TABLE_FILE = "table.json"
PLOT_FILE = "quality_vs_cost.png"
REPORT_FILE = "report.html"
# A failure reason in the table is cut here (the full one is in the flow run's log).
REASON_CHARS = 300


def retrieval_ref(bakeoff_id: str) -> str:
    """The shared retrieval directory, relative to the runs root (what a column's manifest
    records under `shared_retrieval.dir`)."""
    return f"{BAKEOFFS_DIR}/{bakeoff_id}/{RETRIEVAL_DIR}"


def bakeoff_dir(runs_root: PathLike, bakeoff_id: str) -> UPath:
    return storage.location(runs_root) / BAKEOFFS_DIR / bakeoff_id


def find_bakeoff(runs_root: PathLike, bakeoff_id: str) -> UPath:
    path = bakeoff_dir(runs_root, bakeoff_id)
    if not (path / BAKEOFF_FILE).exists():
        raise InputError(
            f"{path / BAKEOFF_FILE}: no bake-off '{bakeoff_id}' under {runs_root}; give the id a "
            "bake-off printed, with the same --profile and run.runs_root"
        )
    return path


def start_manifest(
    settings: Settings,
    bakeoff_id: str,
    specs: Sequence[RerankerSpec],
    run_ids: Sequence[str],
    metric: str,
    alpha: float,
    hashes: Mapping[str, str | None],
    counts: Mapping[str, int],
) -> dict[str, Any]:
    return {
        "bakeoff_id": bakeoff_id,
        "status": "running",
        "created_at": datetime.now(UTC).isoformat(),
        "profile": settings.profile,
        "config": settings.model_dump(mode="json"),
        "metric": metric,
        "alpha": alpha,
        "retrieval": {"dir": retrieval_ref(bakeoff_id)},
        "hashes": dict(hashes),
        "counts": dict(counts),
        "columns": [
            {
                "name": spec.name,
                "backend": spec.backend,
                "model": spec.model,
                "run_id": run_id,
                "status": "pending",
                "reason": None,
            }
            for spec, run_id in zip(specs, run_ids, strict=True)
        ],
        "attempts": 0,
    }


def shorten(reason: str) -> str:
    text = " ".join(reason.split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."
