"""The nightly trend: a profile's recent completed runs, and one metric (and cost) over them.

A run's place in the trend is its manifest's created_at; its values are its metrics.json and
its manifest's `cost.per_1k_queries`. The plotted metric is `trend_metric` (reranked recall at
top_k) unless a caller names another.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from upath import UPath

from config.settings import Stage
from tasks.evaluate.metrics import STAGES
from tasks.evaluate.names import Metric
from tasks.report.figure import COLORS, png_figure
from tasks.report.plots import read_metrics, run_setting
from tasks.runs import storage
from tasks.runs.layout import MANIFEST_FILE, run_files
from tasks.runs.manifest import RunManifest, manifest_path, read_manifest
from tasks.runs.storage import PathLike
from tasks.types import InputError


def created_at_of(manifest: RunManifest, where: PathLike) -> datetime:
    """The run's created_at, which orders a trend; a manifest without it is an InputError."""
    if manifest.created_at is None:
        raise InputError(f"{where}: field 'created_at': missing; trends order runs by it")
    return manifest.created_at


def latest_runs(runs_root: PathLike, n: int, profile: str | None = None) -> list[UPath]:
    """The last `n` completed runs under `runs_root` by manifest created_at, oldest first.

    `profile` keeps only runs whose manifest names that profile (nightly trends compare like
    with like). Runs still running or failed are skipped, and so are FAQ refreshes (their
    questions are not the regression set).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    found: list[tuple[datetime, str, UPath]] = []
    for path in run_files(runs_root, MANIFEST_FILE):
        manifest = read_manifest(path.parent)
        if manifest.status != "completed" or manifest.kind == "faq":
            continue
        if profile is not None and manifest.profile != profile:
            continue
        when = created_at_of(manifest, path)
        found.append((when, manifest.run_id, path.parent))
    found.sort(key=lambda item: (item[0], item[1]))  # run id breaks equal timestamps
    return [run_dir for _, _, run_dir in found[-n:]]


def _cost_per_1k(manifest: RunManifest) -> float | None:
    # Cost figures are optional (built elsewhere): absent or malformed means "no cost known".
    value = (manifest.cost or {}).get("per_1k_queries")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def trend_data(runs: Sequence[PathLike]) -> list[dict[str, Any]]:
    """One dict per run, oldest first: identity, created_at, metrics and cost per 1k queries.

    Keys: run_id, run_dir, created_at (aware datetime), profile, backend, model,
    "retrieval"/"reranked" (metric@k -> value, empty for a run without metrics.json) and
    cost_per_1k_queries (None when the manifest has no `cost.per_1k_queries`).
    """
    points = []
    for run_dir in map(storage.location, runs):
        manifest = read_manifest(run_dir)
        metrics = read_metrics(run_dir) or {}
        points.append(
            {
                "run_id": manifest.run_id,
                "run_dir": str(run_dir),
                "created_at": created_at_of(manifest, manifest_path(run_dir)),
                "profile": manifest.profile,
                "backend": manifest.reranker_backend,
                "model": manifest.section("reranker").get("model"),
                **{stage: dict(metrics.get(stage) or {}) for stage in STAGES},
                "cost_per_1k_queries": _cost_per_1k(manifest),
            }
        )
    points.sort(key=lambda p: (p["created_at"], p["run_id"]))
    return points


def _series(points: Sequence[Mapping[str, Any]], pick: Any) -> tuple[list[datetime], list[float]]:
    """(x, y) of the points where `pick(point)` has a value: gaps are left out, not zeroed."""
    xs, ys = [], []
    for p in points:
        value = pick(p)
        if value is not None:
            xs.append(p["created_at"])
            ys.append(float(value))
    return xs, ys


def trend_metric(top_k: int) -> tuple[Stage, str]:
    """What the nightly trend plots: reranked recall at the run's top_k."""
    return "reranked", str(Metric("recall", top_k))


def _newest_top_k(points: Sequence[Mapping[str, Any]]) -> int:
    run_dir = storage.location(points[-1]["run_dir"])
    return run_setting(read_manifest(run_dir), "top_k", manifest_path(run_dir))


def plot_trend(
    runs: Sequence[PathLike],
    out_path: PathLike,
    metrics: tuple[str, str] | None = None,
) -> UPath:
    """A metric over runs (x = manifest created_at) and, when known, cost per 1,000 queries.

    `metrics` is (stage, metric@k) read from each run's metrics.json; by default
    `trend_metric` at the newest run's top_k. A reranked metric is drawn beside the retrieval
    value of the same metric@k. A second panel shows `cost.per_1k_queries` from the manifests
    when at least one run has it.
    """
    if metrics is not None and metrics[0] not in STAGES:
        raise InputError(f"trend metric stage must be one of {STAGES}, got {metrics[0]!r}")
    points = trend_data(runs)
    if not points:
        raise InputError("plot_trend: no runs to plot")
    stage, key = metrics if metrics is not None else trend_metric(_newest_top_k(points))
    lines = [stage, "retrieval"] if stage == "reranked" else [stage]
    costs = _series(points, lambda p: p["cost_per_1k_queries"])
    out_path = storage.location(out_path)
    with png_figure(out_path, (8.0, 6.0 if costs[0] else 4.2)) as fig:
        axes = fig.subplots(2 if costs[0] else 1, 1, sharex=True, squeeze=False)[:, 0]
        ax = axes[0]
        for line in lines:
            xs, ys = _series(points, lambda p, s=line: p[s].get(key))
            ax.plot(
                xs,
                ys,
                marker="o",
                label=f"{line} {key}",
                color=COLORS[line],
                linestyle="-" if line == stage else "--",
            )
            if ys:
                ax.annotate(
                    f"{ys[-1]:.4f}",
                    (xs[-1], ys[-1]),
                    xytext=(5, 4),
                    textcoords="offset points",
                    fontsize=9,
                    color=COLORS[line],
                )
        ax.set_ylabel(key)
        # Room around the points so the last value's label is not clipped at the edge.
        ax.margins(x=0.08, y=0.15)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best")
        runs_word = "run" if len(points) == 1 else f"{len(points)} runs"
        ax.set_title(f"{stage} {key} over the last {runs_word}")
        if costs[0]:
            axes[1].plot(*costs, marker="s", color=COLORS["cost"])
            axes[1].set_ylabel("cost per 1,000 queries")
            axes[1].set_ylim(0, max(costs[1]) * 1.15 or 1.0)
            axes[1].grid(True, alpha=0.3)
        first, last = points[0]["created_at"], points[-1]["created_at"]
        if first == last:
            # One timestamp: matplotlib would pad by years; show the day around it instead.
            axes[-1].set_xlim(first - timedelta(hours=12), last + timedelta(hours=12))
        locator = AutoDateLocator()
        axes[-1].xaxis.set_major_locator(locator)
        axes[-1].xaxis.set_major_formatter(ConciseDateFormatter(locator))
        axes[-1].set_xlabel("run created at (UTC)")
    return out_path
