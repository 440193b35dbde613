"""`bakeoff`: retrieve the top fetch_k once, rerank it with each candidate, one table.

Each column is a normal `rerank-batch` run (a subflow), created up front with a manifest that
names the bake-off's retrieval (`shared_retrieval`), and run as a resume of itself: its
retrieval is already done, so only its rerank stage runs (on `run.rerank_deployment` for model
backends), then the usual merge, metrics and cost. A column that fails (no weights, no key, a
rate limit that left queries unreranked) is recorded with its reason and the others go on;
`resume_bakeoff_id` finishes only the columns that did not complete.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from upath import UPath

from config.settings import Settings, load_settings, merge_overrides
from flows.preflight import BakeoffPlan, check_bakeoff, check_bakeoff_resume
from flows.rerank_batch import rerank_batch
from tasks import bakeoff as bo
from tasks import prefect_tasks
from tasks.bakeoff.report import plot_quality_vs_cost, write_report
from tasks.errors import UserError, one_line
from tasks.runs import layout, runstore, storage
from tasks.runs.manifest import SharedRetrieval, write_manifest
from tasks.runs.manifest import start_manifest as start_run_manifest
from tasks.types import Qrels


def _column_run_dir(plan: BakeoffPlan, bakeoff_id: str, column: dict[str, Any], n: int) -> UPath:
    """The column's run directory, created with its manifest the first time (attempts 0: its
    first rerank is the run's attempt 1)."""
    root = plan.settings.run.runs_root
    found = layout.existing_run(root, column["run_id"])
    if found is not None:
        return found
    spec = bo.RerankerSpec(column["backend"], column["model"])
    settings = bo.column_settings(plan.settings, spec)
    run_dir = layout.new_run_dir(root, column["run_id"])
    manifest = start_run_manifest(settings, column["run_id"], plan.inputs, n)
    manifest.attempts = 0
    manifest.bakeoff = {"bakeoff_id": bakeoff_id, "column": spec.name}
    manifest.shared_retrieval = SharedRetrieval(dir=bo.retrieval_ref(bakeoff_id))
    write_manifest(manifest, run_dir)
    return run_dir


def _stage_overrides(profile: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """What a column's rerank-batch resume needs to find its run (the runs root); the rest of
    its settings come from its manifest. All overrides when the profile needs them to load."""
    keep = {
        k: v
        for k, v in (overrides or {}).items()
        if k == "run.runs_root" or k.startswith("run.storage_")
    }
    try:
        load_settings(profile, keep)
    except UserError:
        return dict(overrides or {})
    return keep


def _run_column(profile: str, overrides: dict[str, Any], column: dict[str, Any]) -> None:
    """Rerank, merge and measure one column; its failure is recorded, not raised."""
    try:
        result = rerank_batch(profile=profile, overrides=overrides, resume_run_id=column["run_id"])
    except Exception as exc:  # any reason the column could not finish: it is reported
        column.update(status="failed", reason=bo.shorten(f"{type(exc).__name__}: {one_line(exc)}"))
        return
    counts = result["manifest"]["counts"]
    failed = counts.get("failed_queries", 0)
    if failed:
        reasons = runstore.read_failed(result["run_dir"])
        first = next(iter(reasons.values()), "")
        column.update(
            status="failed",
            reason=bo.shorten(
                f"{failed} of {counts['queries']} queries failed to rerank (failed.parquet), "
                f"e.g. {first}"
            ),
        )
        return
    column.update(status="completed", reason=None)


@task(name="bakeoff-table", cache_policy=NO_CACHE)
def build_table(
    manifest: dict[str, Any], settings: Settings, qrels: Qrels, labels_name: str
) -> dict[str, Any]:
    return bo.build_table(
        manifest, settings.run.runs_root, qrels, settings, labels_name=labels_name
    )


# log_prints: the model libraries a flow runs may print; their lines belong in its log.
@flow(name="bakeoff", log_prints=True)
def bakeoff(
    profile: str = "demo",
    overrides: dict[str, Any] | None = None,
    rerankers: list[str] | None = None,
    metric: str = bo.DEFAULT_METRIC,
    alpha: float = bo.DEFAULT_ALPHA,
    resume_bakeoff_id: str | None = None,
    deployment_overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rerank one retrieval with each of `rerankers` (backend[:model]; `none` is always the
    baseline) and put quality, latency and cost side by side; `resume_bakeoff_id` finishes the
    columns of an earlier bake-off that did not complete. `overrides` apply over
    `deployment_overrides` (the deployment's own settings, prefect.yaml)."""
    logger = get_run_logger()
    # Prefect replaces a parameter given at run time whole: the deployment's keeps its own.
    overrides = merge_overrides(deployment_overrides, overrides)
    settings = load_settings(profile, overrides)
    if resume_bakeoff_id is None:
        plan = check_bakeoff(settings, rerankers or [], metric, alpha)
        bakeoff_id = layout.new_run_id()
        bakeoff_dir = bo.bakeoff_dir(plan.settings.run.runs_root, bakeoff_id)
        manifest = bo.start_manifest(
            plan.settings,
            bakeoff_id,
            plan.specs,
            [layout.new_run_id() for _ in plan.specs],
            plan.metric,
            plan.alpha,
            {
                "query_set": plan.inputs.query_set_hash,
                "corpus": plan.inputs.corpus_hash,
                "labels": plan.inputs.labels_hash,
            },
            {"queries": len(plan.inputs.queries)},
        )
    else:
        plan = check_bakeoff_resume(settings, resume_bakeoff_id)
        if rerankers:
            logger.warning(
                "resuming bake-off %s with the rerankers it started with; ignored: %s",
                resume_bakeoff_id,
                rerankers,
            )
        bakeoff_id, manifest = resume_bakeoff_id, dict(plan.manifest or {})
        assert plan.bakeoff_dir is not None
        bakeoff_dir = plan.bakeoff_dir
        manifest["hashes"]["labels"] = plan.inputs.labels_hash
    base = plan.settings
    manifest.update(status="running", attempts=manifest.get("attempts", 0) + 1)
    manifest_path = bakeoff_dir / bo.BAKEOFF_FILE
    storage.write_json(manifest, manifest_path)

    size = base.run.query_batch_size
    queries = plan.inputs.queries
    batches = [queries[i : i + size] for i in range(0, len(queries), size)]
    manifest["counts"]["batches"] = len(batches)
    # Every column's run exists before any work, so an interrupted bake-off resumes them all.
    for column in manifest["columns"]:
        _column_run_dir(plan, bakeoff_id, column, len(batches))
    storage.write_json(manifest, manifest_path)

    retrieval_dir = bakeoff_dir / bo.RETRIEVAL_DIR
    to_retrieve = [b for b in range(len(batches)) if not runstore.hits_done(retrieval_dir, b)]
    logger.info(
        "bake-off %s: %d columns, %d queries in %d batches (%d to retrieve), in %s",
        bakeoff_id,
        len(manifest["columns"]),
        len(queries),
        len(batches),
        len(to_retrieve),
        bakeoff_dir,
    )
    for b in to_retrieve:
        prefect_tasks.retrieve_batch(base, retrieval_dir, b, batches[b])

    stage_overrides = _stage_overrides(profile, overrides)
    for column in manifest["columns"]:
        if column["status"] == "completed":
            continue
        _run_column(profile, stage_overrides, column)
        if column["status"] != "completed":
            logger.warning(
                "bake-off %s: column %s failed: %s", bakeoff_id, column["name"], column["reason"]
            )
        storage.write_json(manifest, manifest_path)

    assert plan.inputs.qrels is not None  # check_bakeoff requires labels
    table = build_table(manifest, base, plan.inputs.qrels, str(base.dataset.labels))
    storage.write_json(table, bakeoff_dir / bo.TABLE_FILE)
    plot = plot_quality_vs_cost(table, bakeoff_dir / bo.PLOT_FILE)
    write_report(table, plot, bakeoff_dir / bo.REPORT_FILE, base)
    manifest["status"] = "failed" if table["failed"] else "completed"
    storage.write_json(manifest, manifest_path)
    create_markdown_artifact(
        key="bakeoff",
        markdown=bo.format_markdown(table),
        description=f"bake-off {bakeoff_id}: {len(manifest['columns'])} rerankers",
    )
    logger.info("%s", bo.format_table(table))
    return {"bakeoff_id": bakeoff_id, "bakeoff_dir": str(bakeoff_dir), "table": table}
