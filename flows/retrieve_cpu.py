"""`retrieve-cpu`: the retrieval stage of a run (embed the queries, search Qdrant, write each
batch's hits part), on a worker of the `cpu` pool, for query sets large enough to spread.

The calling flow writes the run's queries (`_parts/queries.parquet`) and starts
`run.retrieve_workers` of these; each claims a batch (tasks.runs.claims, stage `hits`) before
it retrieves it, so every batch is retrieved once. Without `run.retrieve_deployment` (the
default) or a server, retrieval runs in the calling flow (`retrieve_stage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import flow, get_run_logger
from upath import UPath

from config.settings import Settings
from flows.shards import check_stage, run_shards, stage_parameters
from tasks import prefect_tasks
from tasks.calls.ratelimit import prefect_server_configured
from tasks.report.progress import Progress
from tasks.runs import claims, layout, runstore, storage
from tasks.runs.manifest import read_manifest
from tasks.types import Query


# log_prints: the model libraries a flow runs may print; their lines belong in its log.
@flow(name="retrieve-cpu", log_prints=True)
def retrieve_cpu(
    run_dir: str,
    attempt: int = 1,
    storage_options: dict[str, Any] | None = None,
    shard: int | None = None,
) -> dict[str, Any]:
    """Retrieve every batch of the run that needs it; with a `shard` number, only the batches
    this shard claims first (any number may run at once on one run)."""
    logger = get_run_logger()
    path = storage.location(run_dir, storage_options)
    manifest = read_manifest(path)
    settings = Settings.model_validate(manifest.config)
    batches = runstore.read_queries(path)
    todo = runstore.to_retrieve(path, len(batches))
    name = f"shard {shard}" if shard is not None else "retrieval stage"
    logger.info("run %s, %s: %d batches to retrieve", manifest.run_id, name, len(todo))
    worker = claims.worker_identity(shard)
    done = []
    for i, b in enumerate(todo, start=1):
        if shard is not None and not claims.claim(path, "hits", attempt, b, worker):
            continue  # another shard has it
        prefect_tasks.retrieve_batch(settings, path, b, batches[b])
        done.append(b)
        logger.info(
            "%s: %d batches retrieved here; %d/%d of the run's claimed",
            name,
            len(done),
            i,
            len(todo),
        )
    return {"batches": done, "shard": shard}


def retrieve_stage(
    settings: Settings, run_dir: UPath, batches: Sequence[Sequence[Query]], attempt: int
) -> None:
    """Write the hits part of every batch that needs one: in this flow, or on
    `run.retrieve_workers` flow runs of `run.retrieve_deployment` when a server is configured."""
    target, workers = settings.run.retrieve_deployment, settings.run.retrieve_workers
    if not (target and prefect_server_configured()):
        if target or workers > 1:
            get_run_logger().warning(
                "run.retrieve_deployment=%s, run.retrieve_workers=%d need a Prefect server "
                "(PREFECT_API_URL) and a deployment: retrieving in this process",
                target,
                workers,
            )
        todo = runstore.to_retrieve(run_dir, len(batches))
        retrieved = Progress("retrieving", sum(len(batches[b]) for b in todo), "queries")
        for b in todo:
            retrieved.advance(prefect_tasks.retrieve_batch(settings, run_dir, b, list(batches[b])))
        return
    run_id = layout.run_id_of(run_dir)
    runstore.write_queries(run_dir, batches)
    claims.clear_other_attempts(run_dir, attempt)
    n = len(batches)
    failures = run_shards(
        target,
        stage_parameters(settings, run_dir, attempt),
        workers,
        stage="retrieve",
        run_id=run_id,
        start_timeout_s=settings.run.shard_start_timeout_s,
        setting="run.retrieve_deployment",
        progress=lambda: (n - len(runstore.to_retrieve(run_dir, n)), n),
    )
    undone = runstore.to_retrieve(run_dir, n)
    lost = claims.unfinished(run_dir, "hits", attempt, lambda b: b not in undone)
    check_stage("retrieve", run_id, failures, undone, n, lost)
