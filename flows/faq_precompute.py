"""`faq_precompute`: rerank the FAQ questions that changed, publish the serving table atomically.

Recomputed questions go through the same two stages as `rerank_batch`, into a normal run under
the runs root (manifest, candidates, call log for `rerankflow costs`; `kind: faq`): retrieval
here, the rerank stage here or, with `run.rerank_deployment`, on the gpu pool. The serving
table's `run_id` names that run. Unchanged questions are carried over as they were.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from prefect import flow, get_run_logger
from upath import UPath

from config.settings import Settings, load_settings, merge_overrides
from flows.preflight import refuse_precomputed_faq
from flows.rerank_batch import run_labels
from flows.rerank_gpu import rerank_stage
from tasks import faq, prefect_tasks
from tasks.embed import check_embedder
from tasks.index.indexing import require_index
from tasks.inputs.batch import BatchInputs, query_set_hash
from tasks.inputs.loaders import dataset_hash, load_queries
from tasks.rerank.registry import check_ready
from tasks.retrieve import vectorstore
from tasks.retrieve.collection import collection_state
from tasks.retrieve.existing import check_existing_collection
from tasks.runs import layout, runstore, storage
from tasks.runs.manifest import complete_manifest, start_manifest, write_manifest
from tasks.types import Query


def _recompute(
    settings: Settings,
    run_dir: UPath,
    run_id: str,
    queries: list[Query],
    corpus_hash: str | None,
    collection: dict[str, Any],
) -> dict[str, datetime]:
    """Run the questions as one run in `run_dir`; qid -> when its batch was reranked."""
    started = time.perf_counter()
    size = settings.run.query_batch_size
    batches = [queries[i : i + size] for i in range(0, len(queries), size)]
    inputs = BatchInputs(
        queries=queries,
        qrels=None,
        query_set_hash=query_set_hash(queries),
        corpus_hash=corpus_hash,
        labels_hash=None,
        labels_missing_docs=0,
    )
    manifest = start_manifest(settings, run_id, inputs, len(batches), collection, kind="faq")
    write_manifest(manifest, run_dir)
    for b, qs in enumerate(batches):
        prefect_tasks.retrieve_batch(settings, run_dir, b, qs)
    rerank_stage(settings, run_dir, attempt=1)
    counts = prefect_tasks.merge_parts(run_dir, len(batches), run_labels(settings, run_id))
    stats = runstore.batch_stats(run_dir, len(batches))
    complete_manifest(
        manifest,
        stats,
        {f"{k}_rows": v for k, v in counts.items()},
        {"wall_this_attempt": round(time.perf_counter() - started, 4)},
    )
    write_manifest(manifest, run_dir)
    return {
        q.qid: datetime.fromisoformat(s["reranked_at"])
        for s, qs in zip(stats, batches, strict=True)
        for q in qs
    }


# log_prints: the model libraries a flow runs may print; their lines belong in its log.
@flow(name="faq-precompute", log_prints=True)
def faq_precompute(
    profile: str = "demo",
    overrides: dict[str, Any] | None = None,
    faq_dir: str | None = None,
    deployment_overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Bring the FAQ serving table in line with the profile's question list and settings.

    `overrides` are applied over `deployment_overrides` (the deployment's own, prefect.yaml).
    """
    logger = get_run_logger()
    settings = load_settings(profile, merge_overrides(deployment_overrides, overrides))
    check_ready(settings.reranker)  # a missing key stops the refresh before anything is written
    refuse_precomputed_faq(settings)
    check_embedder(settings.embedder)
    out = faq.serving_dir(settings, faq_dir)
    queries = load_queries(settings.dataset.queries)
    corpus_hash = None
    if settings.qdrant.existing:
        check_existing_collection(settings)
    else:
        assert settings.dataset.corpus is not None  # required unless existing
        corpus_hash = dataset_hash(settings.dataset.corpus)
        require_index(settings, corpus_hash)
    collection = collection_state(vectorstore.open_client(settings.qdrant), settings.qdrant)
    # What the answers were computed from: the corpus file, or the collection's state (a
    # change there recomputes every question).
    data_hash = corpus_hash or f"collection:{collection['fingerprint']}"
    fingerprint = faq.inputs_fingerprint(settings, data_hash)
    run_id = layout.new_run_id()

    with faq.writer_lock(out):
        previous = faq.read_table(out)
        plan = faq.plan(queries, fingerprint, previous, settings.dataset.queries)
        logger.info(
            "FAQ %s: %d questions, %d to compute (%d new), %d unchanged, %d dropped",
            out,
            len(queries),
            len(plan.todo),
            len(plan.new),
            len(plan.carried),
            len(plan.dropped),
        )
        computed: pa.Table | None = None
        failed: list[str] = []
        run_dir = None
        if plan.todo:
            run_dir = layout.new_run_dir(settings.run.runs_root, run_id)
            computed_at = _recompute(settings, run_dir, run_id, plan.todo, corpus_hash, collection)
            # The texts that were reranked, as retrieved (no corpus file needed).
            texts = runstore.hit_texts(run_dir)
            computed = faq.computed_rows(
                storage.read_parquet(run_dir / layout.RERANKED_FILE),
                plan,
                texts,
                run_id,
                faq.model_name(settings),
                computed_at,
            )
            failed = sorted(runstore.read_failed(run_dir))
        stale = faq.kept_on_failure(previous, plan, failed)
        table = faq.assemble(previous, plan.carried + stale, computed)
        recomputed = [q.qid for q in plan.todo if q.qid not in failed]
        counts = faq.refresh_counts(plan, recomputed, failed, table)
        manifest = {
            "run_id": run_id,
            "created_at": datetime.now(UTC).isoformat(),
            "profile": settings.profile,
            "run_dir": str(run_dir) if run_dir else None,
            "table_hash": faq.table_hash(table),
            "queries": counts["total"],
            "rows": table.num_rows,
            "counts": counts,
            "inputs": fingerprint,
        }
        faq.publish(out, table, manifest)

    if failed:
        logger.warning(
            "%d questions failed to rerank (%s); %d kept their previous answers; "
            "the next precompute retries them",
            len(failed),
            ", ".join(failed[:10]),
            len(stale),
        )
    logger.info(
        "FAQ table %s: %d questions, %d rows; %d recomputed, %d carried over, %d dropped, "
        "%d failed",
        out / faq.DB_FILE,
        counts["total"],
        counts["rows"],
        counts["recomputed"],
        counts["carried_over"],
        counts["dropped"],
        counts["failed"],
    )
    return {
        "run_id": run_id,
        "faq_dir": str(out),
        "run_dir": manifest["run_dir"],
        "counts": counts,
        "recomputed_qids": recomputed,
        "dropped_qids": plan.dropped,
        "failed_qids": failed,
        "table_hash": manifest["table_hash"],
    }
