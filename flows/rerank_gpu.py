"""`rerank-gpu`: the rerank stage of a run, on whichever worker holds the device.

It reads the run's retrieved batches (the `hits` parts the retrieval stage wrote under the runs
root) and writes each batch's candidates, reranked rows, failures and call log beside them; the
calling flow merges and measures. Deployed on the `gpu` pool, it is the GPU half of a nightly
run or FAQ refresh; without a server, the calling flow runs it in-process (`rerank_stage`).
Its reranks hold the host's device through a Prefect concurrency limit of one, so two flow
runs never share a GPU.
"""

from __future__ import annotations

import os
from typing import Any

from prefect import flow, get_run_logger
from upath import UPath

from config.settings import Settings
from flows.shards import check_stage, run_shards, stage_parameters
from tasks import prefect_tasks
from tasks.calls.ratelimit import prefect_server_configured
from tasks.report.progress import Progress
from tasks.rerank.device import device_slot
from tasks.rerank.registry import prepare_reranker
from tasks.runs import claims, layout, runstore, storage
from tasks.runs.manifest import has_manifest, read_manifest

# The device this worker owns, set in its environment: a host with several GPUs runs one gpu
# worker per device (cuda:0, cuda:1, ...), each holding its own device limit; on a CPU-only host,
# cpu:0, cpu:1 name separate slots. Unset: the run's reranker.device.
DEVICE_ENV = "RERANKFLOW_DEVICE"


def worker_settings(settings: Settings) -> Settings:
    """The run's settings with this worker's device, when its environment pins one."""
    device = os.environ.get(DEVICE_ENV)
    if not device:
        return settings
    reranker = settings.reranker.model_copy(update={"device": device})
    return settings.model_copy(update={"reranker": reranker})


# log_prints: the model libraries a flow runs may print; their lines belong in its log.
@flow(name="rerank-gpu", log_prints=True)
def rerank_gpu(
    run_dir: str,
    attempt: int = 1,
    storage_options: dict[str, Any] | None = None,
    shard: int | None = None,
) -> dict[str, Any]:
    """Rerank every retrieved batch of the run not yet reranked, and retry failed queries.

    `run_dir` is a local path or a URL; `storage_options` are the fsspec options of a URL
    (the run's `run.storage_options`: they are needed to read its manifest). Any number of
    these may run at once on one run, each with its own `shard` number: each then claims a
    batch before it reranks it (tasks.runs.claims), so every batch is reranked once, by
    whichever shard got to it first. `shard=None`: the only worker, nothing claimed.
    """
    logger = get_run_logger()
    path = storage.location(run_dir, storage_options)
    if not has_manifest(path):
        raise FileNotFoundError(
            f"{path}: no run here; the rerank stage's worker must reach the runs root at the "
            "same path or URL as the retrieval stage's (run.runs_root: a shared filesystem or "
            "an object store)"
        )
    manifest = read_manifest(path)
    settings = worker_settings(Settings.model_validate(manifest.config))
    n = manifest.counts["batches"]
    todo = [b for b in range(n) if not runstore.batch_done(path, b)]
    missing = [b for b in todo if not runstore.hits_done(path, b)]
    if missing:
        raise ValueError(
            f"{path}: batches {missing[:5]} have not been retrieved (no hits part); "
            "the retrieval stage must finish first"
        )
    # A batch reranked in this attempt (by any shard: its claim precedes its parts) keeps its
    # failures for the next attempt, as with one worker.
    this_attempt = claims.claims(path, "rerank", attempt) if shard is not None else {}
    retry = {
        b: qids
        for b in range(n)
        if b not in todo and b not in this_attempt and (qids := runstore.failed_qids(path, b))
    }
    name = f"shard {shard}" if shard is not None else "rerank stage"
    logger.info(
        "run %s, %s: %d batches to rerank, %d failed queries to retry",
        manifest.run_id,
        name,
        len(todo),
        sum(len(q) for q in retry.values()),
    )
    worker = claims.worker_identity(shard)
    done: list[int] = []
    retried = 0
    limit = None
    if todo or retry:
        prepare_reranker(settings.reranker)
        reranked = Progress("reranking", len(todo) + len(retry), "batches", logger)
        with device_slot(settings.reranker) as limit:
            for i, b in enumerate(todo, start=1):
                if shard is not None and not claims.claim(path, "rerank", attempt, b, worker):
                    continue  # another shard has it
                prefect_tasks.rerank_batch_part(settings, path, manifest.run_id, b, attempt)
                done.append(b)
                reranked.advance()
                if shard is not None:
                    logger.info(
                        "%s: %d batches reranked here; %d/%d of the run's claimed",
                        name,
                        len(done),
                        i,
                        len(todo),
                    )
            for b, qids in retry.items():
                if shard is not None and not claims.claim(path, "retry", attempt, b, worker):
                    continue
                prefect_tasks.rerank_batch_part(
                    settings, path, manifest.run_id, b, attempt, retry_qids=qids
                )
                retried += len(qids)
                reranked.advance()
    return {"batches": done, "retried": retried, "limit": limit, "shard": shard}


def rerank_stage(settings: Settings, run_dir: UPath, attempt: int) -> None:
    """Run the rerank stage of `run_dir`: on `run.rerank_workers` flow runs of the
    `run.rerank_deployment` when a Prefect server is configured (the hand-off is the run
    directory under the runs root), else here. Fails when a batch was left undone."""
    target, workers = settings.run.rerank_deployment, settings.run.rerank_workers
    n = read_manifest(run_dir).counts["batches"]
    run_id = layout.run_id_of(run_dir)
    failures: list[str] = []
    if target and prefect_server_configured():
        # Claims of an earlier attempt are stale (its workers are gone); this one's start empty.
        claims.clear_other_attempts(run_dir, attempt)
        failures = run_shards(
            target,
            stage_parameters(settings, run_dir, attempt),
            workers,
            stage="rerank",
            run_id=run_id,
            start_timeout_s=settings.run.shard_start_timeout_s,
            setting="run.rerank_deployment",
            progress=lambda: (sum(runstore.batch_done(run_dir, b) for b in range(n)), n),
        )
    else:
        if target or workers > 1:
            get_run_logger().warning(
                "run.rerank_deployment=%s, run.rerank_workers=%d need a Prefect server "
                "(PREFECT_API_URL) and a deployment: reranking in this process",
                target,
                workers,
            )
        rerank_gpu(
            run_dir=str(run_dir), attempt=attempt, storage_options=settings.run.storage_options
        )
    undone = [b for b in range(n) if not runstore.batch_done(run_dir, b)]
    lost = claims.unfinished(run_dir, "rerank", attempt, lambda b: b not in undone)
    check_stage("rerank", run_id, failures, undone, n, lost)
