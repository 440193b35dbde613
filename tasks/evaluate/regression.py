"""The nightly gate's plain parts: the baseline pointer, the verdict, and its report.

The gates themselves (quality, cost/latency, failed queries) are `tasks.evaluate.gates`; a
verdict applies them and renders through `tasks.report.comparison`.

The baseline of a profile is a small JSON pointer, `<runs_root>/baselines/<profile>.json`,
naming a run and the hash of its query set; a run is only ever compared with a baseline on the
same query set. A pinned run id (parameter or `regression.baseline_run`) overrides the pointer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from upath import UPath

from config.settings import RegressionSettings, Settings
from tasks.errors import UserError
from tasks.evaluate.compare import compare_runs
from tasks.evaluate.gates import (
    GateResult,
    evaluate_gate,
    evaluate_ops_gate,
    failed_queries_gate,
)
from tasks.evaluate.metrics import describe_unit, unit_of
from tasks.report import plots, trend
from tasks.report.comparison import comparison_markdown, format_comparison
from tasks.runs import layout, storage
from tasks.runs.layout import PLOT_FILES
from tasks.runs.manifest import RunManifest, read_manifest
from tasks.runs.storage import PathLike
from tasks.types import Qrels

BASELINES_DIR = "baselines"


class RegressionDetected(UserError, RuntimeError):
    """The gate tripped: the flow run ends Failed with this message (a verdict, not a bug, so
    it is logged without a traceback)."""


def baseline_path(runs_root: PathLike, profile: str) -> UPath:
    return storage.location(runs_root) / BASELINES_DIR / f"{profile}.json"


def read_baseline(runs_root: PathLike, profile: str) -> dict[str, Any] | None:
    path = baseline_path(runs_root, profile)
    if not path.exists():
        return None
    pointer = storage.read_json(path)
    if not isinstance(pointer, dict) or not isinstance(pointer.get("run_id"), str):
        raise ValueError(f"{path}: not a baseline pointer (needs a 'run_id' string)")
    return pointer


def promote(runs_root: PathLike, profile: str, manifest: RunManifest, reason: str) -> UPath:
    """Make the run the profile's baseline (atomic: readers see the old pointer or the new)."""
    path = baseline_path(runs_root, profile)
    storage.write_json(
        {
            "run_id": manifest.run_id,
            "query_set": manifest.hashes.query_set,
            # The unit it was scored in: a run in another unit is not compared with it.
            "group_key": manifest.group_key,
            "promoted_at": datetime.now(UTC).isoformat(),
            "reason": reason,
        },
        path,
    )
    return path


@dataclass
class Baseline:
    run_dir: UPath | None
    # Why there is none, or where it came from: shown in the report.
    note: str


def resolve_baseline(
    runs_root: PathLike, profile: str, manifest: RunManifest, pinned: str | None
) -> Baseline:
    """The run to compare with: a pinned id (must exist), else the profile's pointer."""
    if pinned:
        return Baseline(layout.find_run(runs_root, pinned), f"pinned run {pinned}")
    pointer = read_baseline(runs_root, profile)
    if pointer is None:
        return Baseline(None, f"no baseline yet for profile '{profile}'")
    if pointer.get("query_set") != manifest.hashes.query_set:
        return Baseline(
            None,
            f"baseline {pointer['run_id']} ran another query set; "
            "no comparison until a run on this one passes (or pin one)",
        )
    # Pointers from before group keys were all scored on documents.
    if pointer.get("group_key") != manifest.group_key:
        was = describe_unit(unit_of(pointer.get("group_key")))
        now = describe_unit(unit_of(manifest.group_key))
        return Baseline(
            None,
            f"baseline {pointer['run_id']} was scored at unit {was}, this run at {now}; "
            "no comparison until a run in this unit passes (or pin one)",
        )
    try:
        run_dir = layout.find_run(runs_root, pointer["run_id"])
    except FileNotFoundError:
        return Baseline(None, f"baseline run {pointer['run_id']} is gone from {runs_root}")
    return Baseline(run_dir, f"last passing run {pointer['run_id']}")


def ops_figures(manifest: RunManifest) -> dict[str, float | None]:
    """Cost per 1,000 queries and p95 rerank call latency from a manifest's `cost` block."""
    cost = manifest.cost or {}
    return {
        "cost_per_1k_queries": cost.get("per_1k_queries"),
        "latency_p95_s": cost.get("latency_p95_s"),
    }


@dataclass
class Verdict:
    baseline: Baseline
    comparison: dict[str, Any] | None = None
    gates: list[GateResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    @property
    def promotable(self) -> bool:
        """Passed with nothing tripped, warnings included: a baseline that cost more, or lost
        queries, would hide the change from every later comparison."""
        return self.passed and not any(g.tripped for g in self.gates)

    def failure_message(self) -> str:
        """Names each tripped metric with its delta and worst queries."""
        tripped = [c.message for g in self.gates if not g.passed for c in g.tripped]
        if self.comparison is None:
            return f"run failed the gate ({self.baseline.note}): " + "; ".join(tripped)
        run, base = self.comparison["b"]["run_id"], self.comparison["a"]["run_id"]
        return f"regression in run {run} against baseline {base}: " + "; ".join(tripped)

    def text(self) -> str:
        if self.comparison is None:
            gates = "\n".join(c.message for g in self.gates for c in g.checks)
            return f"not compared: {self.baseline.note}\n{gates}"
        return f"baseline: {self.baseline.note}\n" + format_comparison(self.comparison, self.gates)

    def markdown(self) -> str:
        if self.comparison is None:
            gates = "\n".join(f"- {c.message}" for g in self.gates for c in g.checks)
            return f"Not compared: {self.baseline.note}.\n\n{gates}"
        return f"Baseline: {self.baseline.note}.\n\n" + comparison_markdown(
            self.comparison, self.gates
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": {"run_dir": str(self.baseline.run_dir or ""), "note": self.baseline.note},
            "passed": self.passed,
            "markdown": self.markdown(),
            "gates": [g.to_dict() for g in self.gates],
            "comparison": self.comparison,
        }


def judge(
    baseline: Baseline,
    run_dir: PathLike,
    qrels: Qrels,
    settings: RegressionSettings,
    labels_name: str | None = None,
    refuse_unmatched: bool = True,
) -> Verdict:
    """Compare the run with its baseline and apply the quality, cost/latency and failed-query
    gates (the last one also without a baseline). Both runs are scored in the unit their
    manifests record (`compare_runs`); `labels_name` names the labels in errors."""
    manifest = read_manifest(run_dir)
    failed = failed_queries_gate(manifest, settings.mode)
    if baseline.run_dir is None:
        return Verdict(baseline, gates=[failed])
    comparison = compare_runs(
        baseline.run_dir,
        run_dir,
        qrels,
        seed=settings.seed,
        n_resamples=settings.n_resamples,
        labels_name=labels_name,
        refuse_unmatched=refuse_unmatched,
    )
    quality = evaluate_gate(comparison, settings.rules, mode=settings.mode)
    ops = evaluate_ops_gate(
        ops_figures(read_manifest(baseline.run_dir)),
        ops_figures(manifest),
        settings.ops_thresholds,
        mode=settings.ops_mode,
    )
    return Verdict(baseline, comparison, [quality, ops, failed])


def write_plots(
    run_dir: PathLike, qrels: Qrels, metrics: dict[str, Any], settings: Settings
) -> dict[str, UPath]:
    """The run's PNGs beside its Parquet: recall@k curves, headroom, and the profile's trend
    over its last `regression.trend_runs` completed runs (this one included)."""
    run_dir = storage.location(run_dir)
    out = {name: run_dir / file for name, file in PLOT_FILES.items()}
    plots.plot_recall_curves(run_dir, qrels, out["recall_curves"])
    plots.plot_headroom(
        metrics, out["headroom"], fetch_k=settings.run.fetch_k, top_k=settings.run.top_k
    )
    runs = trend.latest_runs(
        settings.run.runs_root, settings.regression.trend_runs, profile=settings.profile
    )
    trend.plot_trend(runs or [run_dir], out["trend"], trend.trend_metric(settings.run.top_k))
    return out
