"""The run directory, known here only: where a run lives under the runs root (Hive-style
`run_date=.../run_id=...` partitions), the files it holds and their schemas, and the names of
the per-batch parts it is assembled from.

    <runs root>/run_date=2026-01-31/run_id=20260131T120000-a1b2c3/
        manifest.json, candidates.parquet, reranked.parquet, failed.parquet, calls.parquet,
        metrics.json, regression.json, report.html, recall_curves.png, headroom.png, trend.png
        _parts/batch-00000.{hits,candidates,reranked,failed}.parquet, batch-00000.stats.json,
               batch-00000.calls.a001-<token>.parquet, journal/batch-00000/*.parquet,
               claims/a001/rerank-00000.json (who took a batch in that attempt: tasks.runs.claims)
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pyarrow as pa
from upath import UPath

from tasks.runs.storage import PathLike, location

# --------------------------------------------------------------------------- files

MANIFEST_FILE = "manifest.json"
CANDIDATES_FILE = "candidates.parquet"
RERANKED_FILE = "reranked.parquet"
FAILED_FILE = "failed.parquet"
CALLS_FILE = "calls.parquet"
METRICS_FILE = "metrics.json"
REGRESSION_FILE = "regression.json"
REPORT_FILE = "report.html"
PLOT_FILES = {
    "recall_curves": "recall_curves.png",
    "headroom": "headroom.png",
    "trend": "trend.png",
}
PARTS = "_parts"

CANDIDATES_SCHEMA = pa.schema(
    [
        ("qid", pa.string()),
        ("retrieval_rank", pa.int32()),
        ("doc_id", pa.string()),
        ("retrieval_score", pa.float64()),
        # The source document a chunk belongs to (qdrant.group_key); null without one.
        ("group_id", pa.string()),
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
        ("group_id", pa.string()),
    ]
)
# Queries whose rerank failed after retries: in candidates, absent from reranked.
FAILED_SCHEMA = pa.schema([("qid", pa.string()), ("reason", pa.string())])

# The hand-off between the retrieval stage (CPU worker) and the rerank stage (GPU worker): each
# query's candidates with their text, in retrieval order, so the reranker needs no corpus or
# vector store. Retrieval timings ride along in the file's metadata.
HITS_SCHEMA = pa.schema(
    [
        ("qid", pa.string()),
        ("query", pa.string()),
        ("doc_id", pa.string()),
        ("text", pa.string()),
        ("retrieval_score", pa.float64()),
        ("group_id", pa.string()),
    ]
)

# The queries of a run whose retrieval stage runs on other workers (run.retrieve_deployment):
# each batch's queries, in order, for them to embed.
QUERIES_SCHEMA = pa.schema([("batch", pa.int32()), ("qid", pa.string()), ("query", pa.string())])

# --------------------------------------------------------------------------- runs


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def new_run_dir(runs_root: PathLike, run_id: str, now: datetime | None = None) -> UPath:
    now = now or datetime.now(UTC)
    return location(runs_root) / f"run_date={now:%Y-%m-%d}" / f"run_id={run_id}"


def run_files(runs_root: PathLike, name: str, run_id: str = "*") -> list[UPath]:
    """The file `name` of the run `run_id` (every run: "*") under the runs root, sorted."""
    return sorted(location(runs_root).glob(f"run_date=*/run_id={run_id}/{name}"), key=str)


def existing_run(runs_root: PathLike, run_id: str) -> UPath | None:
    """The run's directory, or None when the runs root has no such run."""
    matches = sorted(location(runs_root).glob(f"run_date=*/run_id={run_id}"), key=str)
    return matches[0] if matches else None


def find_run(runs_root: PathLike, run_id: str) -> UPath:
    run_dir = existing_run(runs_root, run_id)
    if run_dir is None:
        raise FileNotFoundError(f"no run '{run_id}' under {runs_root}")
    return run_dir


def run_id_of(run_dir: PathLike) -> str:
    """The run id its directory is named for (a directory named otherwise: its whole name)."""
    return location(run_dir).name.removeprefix("run_id=")


def runs_root_of(run_dir: PathLike) -> UPath:
    return location(run_dir).parent.parent


# --------------------------------------------------------------------------- batch parts


def part_path(run_dir: PathLike, batch: int, kind: str) -> UPath:
    """One batch's part: `kind` is hits, candidates, reranked, failed (Parquet) or stats (JSON)."""
    suffix = "json" if kind == "stats" else "parquet"
    return location(run_dir) / PARTS / f"batch-{batch:05d}.{kind}.{suffix}"


def calls_part_path(run_dir: PathLike, batch: int, attempt: int) -> UPath:
    # A new file each time (a task retry within one attempt too): calls that were made stay
    # on record; the merge keeps each call once by its call_id.
    token = secrets.token_hex(3)
    return location(run_dir) / PARTS / f"batch-{batch:05d}.calls.a{attempt:03d}-{token}.parquet"


def journal_dir(run_dir: PathLike, batch: int) -> UPath:
    """Where the batch's paid calls are journaled as they happen (tasks.calls.journal)."""
    return location(run_dir) / PARTS / "journal" / f"batch-{batch:05d}"


def queries_part(run_dir: PathLike) -> UPath:
    return location(run_dir) / PARTS / "queries.parquet"


def hits_parts(run_dir: PathLike) -> list[UPath]:
    return sorted((location(run_dir) / PARTS).glob("batch-*.hits.parquet"), key=str)


def calls_parts(run_dir: PathLike) -> list[UPath]:
    return sorted((location(run_dir) / PARTS).glob("batch-*.calls.a*.parquet"), key=str)


def journal_files(run_dir: PathLike) -> list[UPath]:
    """Every batch's journaled paid calls (tasks.calls.journal)."""
    return sorted((location(run_dir) / PARTS).glob("journal/batch-*/*.parquet"), key=str)


def claims_dir(run_dir: PathLike, attempt: int | None = None) -> UPath:
    """Where workers claim the run's batches (tasks.runs.claims); per attempt, or all of them."""
    root = location(run_dir) / PARTS / "claims"
    return root if attempt is None else root / f"a{attempt:03d}"
