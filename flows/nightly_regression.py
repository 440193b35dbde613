"""`nightly_regression`: run the labelled regression set, compare with the baseline, gate.

The run goes through `rerank_batch` (a subflow), then is compared query by query with the
profile's baseline on the same query set. The verdict, plots and HTML report are written beside
the run's Parquet and summarised in a Prefect markdown artifact. A tripped gate ends the flow
run Failed, naming the metric, the delta and the worst queries.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from upath import UPath

from config.settings import Settings, merge_overrides
from flows.rerank_batch import rerank_batch
from tasks import prefect_tasks, report
from tasks.evaluate import regression
from tasks.inputs.loaders import load_qrels
from tasks.runs import storage
from tasks.runs.layout import REGRESSION_FILE, REPORT_FILE
from tasks.runs.manifest import RunManifest


def _artifact(run_id: str, verdict: regression.Verdict, files: dict[str, UPath]) -> str:
    status = "passed" if verdict.passed else "**FAILED**"
    links = "\n".join(f"- [{name}]({storage.uri(path)})" for name, path in files.items())
    return f"# Nightly regression: run {run_id} {status}\n\n{verdict.markdown()}\n\n{links}\n"


@flow(name="nightly-regression")
def nightly_regression(
    profile: str = "demo",
    overrides: dict[str, Any] | None = None,
    baseline_run_id: str | None = None,
    deployment_overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rerank the labelled regression set and gate it against the baseline run.

    `deployment_overrides` are the deployment's own settings (prefect.yaml); `overrides`,
    the user's, are applied over them (a run's parameter replaces the deployment's whole).
    """
    logger = get_run_logger()
    merged = merge_overrides(deployment_overrides, overrides)
    result = rerank_batch(profile=profile, overrides=merged)
    manifest = RunManifest.model_validate(result["manifest"])
    settings = Settings.model_validate(manifest.config)
    run_dir = storage.location(result["run_dir"], settings.run.storage_options)
    if result["metrics"] is None:
        raise ValueError(
            f"profile '{profile}': the regression set needs labels (dataset.labels is unset)"
        )
    assert settings.dataset.labels is not None  # metrics were computed from them
    qrels = load_qrels(settings.dataset.labels)
    runs_root = settings.run.runs_root
    pinned = baseline_run_id or settings.regression.baseline_run
    baseline = regression.resolve_baseline(runs_root, settings.profile, manifest, pinned)
    verdict = prefect_tasks.judge(baseline, run_dir, qrels, settings)
    storage.write_json(verdict.to_dict(), run_dir / REGRESSION_FILE)

    files = prefect_tasks.write_plots(run_dir, qrels, result["metrics"], settings)
    files["report"] = report.write_report(
        run_dir,
        qrels,
        run_dir / REPORT_FILE,
        verdict.markdown(),
        trend_runs=None,  # the trend PNG is beside it; the report shows this run
    )
    create_markdown_artifact(
        key="nightly-regression",
        markdown=_artifact(result["run_id"], verdict, files),
        description=f"run {result['run_id']} against {baseline.note}",
    )
    logger.info("%s", verdict.text())

    promoted = None
    if verdict.promotable and settings.regression.promote:
        promoted = regression.promote(runs_root, settings.profile, manifest, baseline.note)
        logger.info("run %s is the new baseline of '%s'", result["run_id"], settings.profile)
    if not verdict.passed:
        raise regression.RegressionDetected(verdict.failure_message())
    return {
        "run_id": result["run_id"],
        "run_dir": str(run_dir),
        "passed": verdict.passed,
        "baseline": baseline.note,
        "promoted": promoted is not None,
        "files": {k: str(v) for k, v in files.items()},
    }
