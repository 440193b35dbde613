"""`rerank_batch`: the main job. Embed queries, retrieve, rerank, write Parquet, measure."""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from config.settings import Settings, load_settings
from flows.preflight import check_resume, check_run
from flows.rerank_gpu import rerank_stage
from tasks import costs, prefect_tasks
from tasks.report import metrics_table
from tasks.retrieve import vectorstore
from tasks.retrieve.collection import collection_state
from tasks.runs import layout, runstore, storage
from tasks.runs.manifest import complete_manifest, start_manifest, write_manifest


def run_labels(settings: Settings, run_id: str) -> dict[str, str]:
    """What produced a run, stamped on every file it writes."""
    return {
        "run_id": run_id,
        "reranker.backend": settings.reranker.backend,
        "reranker.model": settings.reranker.model or "",
        "embedder.model": settings.embedder.model or "",
        "qdrant.collection": settings.qdrant.collection,
    }


# log_prints: the model libraries a flow runs may print; their lines belong in its log.
@flow(name="rerank-batch", log_prints=True)
def rerank_batch(
    profile: str = "demo",
    overrides: dict[str, Any] | None = None,
    resume_run_id: str | None = None,
) -> dict[str, Any]:
    """Run a query batch through retrieval and reranking; `resume_run_id` finishes a dead run."""
    started = time.perf_counter()
    logger = get_run_logger()
    settings = load_settings(profile, overrides)
    if resume_run_id is None:
        inputs = check_run(settings)
        run_id = layout.new_run_id()
        run_dir = layout.new_run_dir(settings.run.runs_root, run_id)
        manifest = None
    else:
        resumed, inputs = check_resume(settings, overrides, resume_run_id)
        if resumed.ignored:
            logger.warning(
                "resuming %s with the settings it started with; ignored: %s",
                resume_run_id,
                resumed.ignored,
            )
        settings, run_id, run_dir = resumed.settings, resume_run_id, resumed.run_dir
        manifest = resumed.manifest
    collection = collection_state(vectorstore.open_client(settings.qdrant), settings.qdrant)
    if manifest is not None:
        before = manifest.hashes.collection
        if before and before != collection["fingerprint"]:
            # A live collection keeps changing; refusing would make resume useless there.
            logger.warning(
                "run %s: collection '%s' changed since the run started (fingerprint %s -> %s); "
                "the remaining batches search it as it is now",
                run_id,
                settings.qdrant.collection,
                before,
                collection["fingerprint"],
            )
        manifest.hashes.labels = inputs.labels_hash  # metrics use the labels as now
        # Where the run is now (it may have moved): the gpu stage reads its settings from here.
        manifest.config = settings.model_dump(mode="json")
        manifest.attempts += 1
        manifest.status = "running"
    size = settings.run.query_batch_size
    batches = [inputs.queries[i : i + size] for i in range(0, len(inputs.queries), size)]
    if manifest is None:
        manifest = start_manifest(settings, run_id, inputs, len(batches), collection)
    write_manifest(manifest, run_dir)

    todo = [b for b in range(len(batches)) if not runstore.batch_done(run_dir, b)]
    # Failed queries are retried from the hits part too (runs from before the two stages lack it).
    to_retrieve = [
        b
        for b in range(len(batches))
        if not runstore.hits_done(run_dir, b) and (b in todo or runstore.failed_qids(run_dir, b))
    ]
    logger.info(
        "run %s: %d of %d batches to do (%d to retrieve), in %s",
        run_id,
        len(todo),
        len(batches),
        len(to_retrieve),
        run_dir,
    )
    for b in to_retrieve:
        prefect_tasks.retrieve_batch(settings, run_dir, b, batches[b])
    rerank_stage(settings, run_dir, manifest.attempts)

    labels = run_labels(settings, run_id)
    counts = prefect_tasks.merge_parts(run_dir, len(batches), labels)
    failed = runstore.read_failed(run_dir)
    if failed:
        logger.warning(
            "run %s: %d of %d queries failed to rerank (listed in %s); "
            "`rerankflow run --resume %s` retries only those",
            run_id,
            len(failed),
            len(inputs.queries),
            run_dir / layout.FAILED_FILE,
            run_id,
        )
    t_eval = time.perf_counter()
    results = prefect_tasks.evaluate(run_dir, inputs.qrels, settings) if inputs.qrels else None
    eval_s = time.perf_counter() - t_eval

    complete_manifest(
        manifest,
        runstore.batch_stats(run_dir, len(batches)),
        {
            **{f"{k}_rows": v for k, v in counts.items()},
            "batches_this_attempt": len(todo),
            "labels_missing_docs": inputs.labels_missing_docs,
        },
        {
            "evaluate": round(eval_s, 4),
            "wall_this_attempt": round(time.perf_counter() - started, 4),
        },
    )
    manifest.cost = costs.run_cost_summary(run_dir, settings.costs)
    if results is not None:
        storage.write_json({"run": labels, **results}, run_dir / layout.METRICS_FILE)
        manifest.metrics_summary = metrics_table.headline(results, settings.run.top_k)
        create_table_artifact(
            key="rerank-metrics",
            table=metrics_table.table_rows(results),
            description="\n\n".join(
                [
                    f"run {run_id}: {settings.reranker.backend} reranker, "
                    f"{len(inputs.queries)} queries, "
                    f"fetch_k={settings.run.fetch_k}, top_k={settings.run.top_k}",
                    *metrics_table.diagnostic_lines(results),
                ]
            ),
        )
        logger.info("%s", metrics_table.format_table(results))
    write_manifest(manifest, run_dir)
    return {
        "run_id": run_id,
        "run_dir": str(run_dir),
        "metrics": results,
        "manifest": manifest.model_dump(mode="json"),
    }
