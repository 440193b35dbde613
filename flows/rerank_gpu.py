"""`rerank-gpu`: the rerank stage of a run, on whichever worker holds the device.

It reads the run's retrieved batches (the `hits` parts the retrieval stage wrote under the runs
root) and writes each batch's candidates, reranked rows, failures and call log beside them; the
calling flow merges and measures. Deployed on the `gpu` pool, it is the GPU half of a nightly
run; without a server, `rerank_batch` calls it in-process. Its reranks hold the host's device
through a Prefect concurrency limit of one, so two flow runs never share a GPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from config.settings import Settings
from tasks import prefect_tasks, runstore
from tasks.device import device_slot
from tasks.rerankers.registry import prepare_reranker


@flow(name="rerank-gpu", log_prints=True)
def rerank_gpu(run_dir: str, attempt: int = 1) -> dict[str, Any]:
    """Rerank every retrieved batch of the run not yet reranked, and retry failed queries."""
    logger = get_run_logger()
    path = Path(run_dir)
    manifest = runstore.read_json(path / "manifest.json")
    settings = Settings.model_validate(manifest["config"])
    n = manifest["counts"]["batches"]
    todo = [b for b in range(n) if not runstore.batch_done(path, b)]
    missing = [b for b in todo if not runstore.hits_done(path, b)]
    if missing:
        raise ValueError(
            f"{path}: batches {missing[:5]} have not been retrieved (no hits part); "
            "the retrieval stage must finish first"
        )
    retry = {b: qids for b in range(n) if b not in todo and (qids := runstore.failed_qids(path, b))}
    logger.info(
        "run %s: reranking %d batches, retrying %d failed queries",
        manifest["run_id"],
        len(todo),
        sum(len(q) for q in retry.values()),
    )
    limit = None
    if todo or retry:
        prepare_reranker(settings.reranker)
        with device_slot(settings.reranker) as limit:
            for b in todo:
                prefect_tasks.rerank_batch_part(settings, path, manifest["run_id"], b, attempt)
            for b, qids in retry.items():
                prefect_tasks.rerank_batch_part(
                    settings, path, manifest["run_id"], b, attempt, retry_qids=qids
                )
    return {"batches": len(todo), "retried": sum(len(q) for q in retry.values()), "limit": limit}
