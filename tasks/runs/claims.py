"""Dynamic claiming of a run's batches by the workers of one stage, through the runs root.

A worker takes a batch by creating its claim file, which succeeds for exactly one of any number
of racing workers (`storage.create_exclusive`: a hard link locally, a conditional put on S3), and
only then works on it. So a batch is done once however many workers share the stage, a fast
worker simply takes more batches, and nothing but the runs root is shared (no coordinator).

Claims never expire within an attempt: a worker that dies leaves its claimed batch undone, the
stage reports it (`unfinished`), and the next attempt (`--resume`) claims afresh under its own
directory, so a stale claim can never block it and two live workers never share a batch. (An
expiring lease would need a heartbeat and a compare-and-swap takeover, which an object store
offers less uniformly than create-if-absent, to save one batch's work on a rare crash.)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from upath import UPath

from tasks.runs.layout import claims_dir
from tasks.runs.storage import PathLike, create_exclusive, is_local, location, read_json

# What a claim is for: a batch's retrieval, its rerank, or the retry of its failed queries.
STAGES = ("hits", "rerank", "retry")


def claim_path(run_dir: PathLike, stage: str, attempt: int, batch: int) -> UPath:
    if stage not in STAGES:
        raise ValueError(f"unknown claim stage {stage!r}; one of {STAGES}")
    return claims_dir(run_dir, attempt) / f"{stage}-{batch:05d}.json"


def worker_identity(shard: int | None = None) -> dict[str, Any]:
    """Who claims: the flow run (when in one), host and pid, so a dead worker's batches can be
    traced to its flow run and process."""
    from prefect.runtime import flow_run

    return {
        "flow_run_id": flow_run.id,
        "flow_run_name": flow_run.name,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "shard": shard,
    }


def claim(run_dir: PathLike, stage: str, attempt: int, batch: int, worker: dict[str, Any]) -> bool:
    """Take the batch for this worker; False when another worker took it first."""
    record = {
        **worker,
        "stage": stage,
        "batch": batch,
        "attempt": attempt,
        "claimed_at": datetime.now(UTC).isoformat(),
    }
    data = json.dumps(record, sort_keys=True, default=str).encode()
    return create_exclusive(claim_path(run_dir, stage, attempt, batch), data)


def claims(run_dir: PathLike, stage: str, attempt: int) -> dict[int, dict[str, Any]]:
    """batch -> its claim record, for one stage of one attempt."""
    found = {}
    for path in location(claims_dir(run_dir, attempt)).glob(f"{stage}-*.json"):
        record = read_json(path)
        found[int(record["batch"])] = record
    return found


def unfinished(
    run_dir: PathLike, stage: str, attempt: int, done: Callable[[int], bool]
) -> dict[int, dict[str, Any]]:
    """Batches claimed in this attempt whose work never landed (their worker died or failed)."""
    return {b: rec for b, rec in claims(run_dir, stage, attempt).items() if not done(b)}


def clear_other_attempts(run_dir: PathLike, attempt: int) -> list[int]:
    """Remove the claims of every other attempt (a resumed run's stale ones); the attempts
    cleared. Only the current attempt's claims count, so this is tidying, not correctness."""
    root = location(claims_dir(run_dir))
    cleared = []
    if not root.exists():
        return cleared
    for sub in root.iterdir():
        name = sub.name
        if name.startswith("a") and name[1:].isdigit() and int(name[1:]) != attempt:
            if is_local(sub):
                shutil.rmtree(sub, ignore_errors=True)
            else:
                sub.fs.rm(sub.path, recursive=True)
            cleared.append(int(name[1:]))
    return sorted(cleared)


def describe(records: Iterable[tuple[int, dict[str, Any]]]) -> str:
    """`batch 3 (shard 2, flow run x, host h, pid 123)`, for messages."""
    return ", ".join(
        f"batch {b} (shard {r.get('shard')}, flow run "
        f"{r.get('flow_run_name') or r.get('flow_run_id')}, host {r.get('host')}, "
        f"pid {r.get('pid')})"
        for b, r in records
    )
