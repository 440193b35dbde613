"""PNG plots of a run and of a run history: recall@k curves, reranking headroom, nightly trend.

Matplotlib runs headless: figures are built as `Figure` objects on an Agg canvas, never through
pyplot, so there is no display, no global figure registry to leak, and nothing to close. Each
plot is drawn under matplotlib's default style (a user's matplotlibrc cannot change the bytes)
and saved without a "Software" stamp, so the same inputs give the same PNG. Every file is
written atomically (`tasks.runs.storage`): readers see the old plot or the new one.

Recall values come from the project's metric SQL (`tasks.evaluate.metrics.ranking_metrics` over
`per_query.sql`), in the unit the run's manifest records (groups when it has a
`qdrant.group_key`), so a curve point at k equals `evaluate_run`'s recall@k.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter
from upath import UPath

from tasks.evaluate.metrics import (
    check_run_file,
    check_unit_columns,
    ranking_metrics,
    register_qrels,
    run_relation,
)
from tasks.runs import storage
from tasks.runs.layout import (
    CANDIDATES_FILE,
    MANIFEST_FILE,
    METRICS_FILE,
    RERANKED_FILE,
    run_files,
)
from tasks.runs.manifest import RunManifest, manifest_path, read_manifest
from tasks.runs.runstore import failed_qids
from tasks.runs.storage import PathLike
from tasks.types import InputError, Qrels

STAGES: tuple[str, ...] = ("retrieval", "reranked")
DPI = 100
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
COLORS = {"retrieval": "#0072B2", "reranked": "#D55E00", "cost": "#009E73"}
HEADROOM_COLORS = ("#009E73", "#E69F00", "#999999")
# Segments narrower than this get their percentage in the legend only (the text would overflow).
_MIN_LABEL_WIDTH = 0.07


# --------------------------------------------------------------------------- writing


@contextmanager
def _png_figure(out_path: UPath, size: tuple[float, float]) -> Iterator[Figure]:
    """A figure to draw on; saved atomically as a PNG at `out_path` when the block ends."""
    # Default style: the output must not depend on the machine's matplotlibrc.
    with matplotlib.style.context("default"):
        fig = Figure(figsize=size, dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        yield fig
        png = io.BytesIO()
        # No "Software" chunk: the bytes then depend on the inputs alone.
        fig.savefig(png, format="png", metadata={"Software": None})
    storage.write_bytes(out_path, png.getvalue())


# --------------------------------------------------------------------------- run files


def read_metrics(run_dir: PathLike) -> dict[str, Any] | None:
    """The run's metrics.json, or None for a run without labels (the flow writes none)."""
    path = storage.location(run_dir) / METRICS_FILE
    return _read_json_object(path) if path.is_file() else None


def _read_json_object(path: UPath) -> dict[str, Any]:
    try:
        obj = json.loads(storage.read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(obj, dict):
        raise InputError(f"{path}: expected a JSON object")
    return obj


def run_setting(manifest: RunManifest, field: str, where: PathLike) -> int:
    """config.run's fetch_k or top_k, which a plot needs."""
    value = manifest.run_int(field)
    if value is None:
        raise InputError(f"{where}: field 'config.run.{field}': expected a positive integer")
    return value


def created_at_of(manifest: RunManifest, where: PathLike) -> datetime:
    if manifest.created_at is None:
        raise InputError(f"{where}: field 'created_at': missing; trends order runs by it")
    return manifest.created_at


# --------------------------------------------------------------------------- recall curves


def recall_curve_data(run_dir: PathLike, qrels: Qrels) -> dict[str, Any]:
    """Mean recall@k for k = 1..fetch_k (retrieval) and k = 1..top_k (reranked).

    Same queries and conventions as `evaluate_run` (queries whose rerank failed are left out of
    both sides), so each point equals the recall@k that `evaluate_run` reports at that k.
    Returns {"run_id", "fetch_k", "top_k", "retrieval": {k: recall}, "reranked": {k: recall}}.
    """
    run_dir = storage.location(run_dir)
    manifest = read_manifest(run_dir)
    where = run_dir / MANIFEST_FILE
    fetch_k = run_setting(manifest, "fetch_k", where)
    top_k = run_setting(manifest, "top_k", where)
    group_key = manifest.group_key
    failed = failed_qids(run_dir)
    qrels = {qid: judged for qid, judged in qrels.items() if qid not in failed}
    files = {
        "retrieval": (run_dir / CANDIDATES_FILE, "retrieval_score", fetch_k),
        "reranked": (run_dir / RERANKED_FILE, "rerank_score", top_k),
    }
    out: dict[str, Any] = {
        "run_id": manifest.run_id,
        "fetch_k": fetch_k,
        "top_k": top_k,
    }
    con = storage.connect_duckdb(run_dir)
    try:
        register_qrels(con, qrels)
        for stage, (path, score_column, depth) in files.items():
            check_run_file(con, path, ("qid", "doc_id", score_column))
            check_unit_columns(con, path, group_key)
            ks = range(1, depth + 1)
            relation = run_relation(path, score_column, group_key)
            means = ranking_metrics(con, relation, ks, groups=group_key is not None)
            out[stage] = {k: means[f"recall@{k}"] for k in ks}
    finally:
        con.close()
    return out


def plot_recall_curves(
    run_dir: PathLike, qrels: Qrels, out_path: PathLike, *, data: Mapping[str, Any] | None = None
) -> UPath:
    """Recall@k curves, retrieval vs reranked, as a PNG at `out_path`.

    `data` is `recall_curve_data(run_dir, qrels)` when the caller has it already.
    """
    data = data if data is not None else recall_curve_data(run_dir, qrels)
    out_path = storage.location(out_path)
    with _png_figure(out_path, (8.0, 4.8)) as fig:
        ax = fig.add_subplot()
        for stage in STAGES:
            ks, values = zip(*sorted(data[stage].items()), strict=True)
            ax.plot(
                ks,
                values,
                label=f"{stage} (k = 1..{ks[-1]})",
                color=COLORS[stage],
                linewidth=2 if stage == "reranked" else 1.5,
                marker="o" if len(ks) <= 30 else None,
                markersize=3,
            )
        ax.axvline(data["top_k"], color="0.5", linestyle=":", linewidth=1)
        ax.annotate(
            f"top_k = {data['top_k']}",
            xy=(data["top_k"], 0.02),
            xytext=(4, 0),
            textcoords="offset points",
            color="0.35",
            fontsize=9,
        )
        ax.set_xlim(0.5, data["fetch_k"] + 0.5)
        ax.set_ylim(0.0, 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("cutoff k")
        ax.set_ylabel("mean recall@k")
        ax.set_title(f"Recall@k, run {data['run_id']}")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right")
    return out_path


# --------------------------------------------------------------------------- headroom


def plot_headroom(
    metrics: Mapping[str, Any],
    out_path: PathLike,
    *,
    fetch_k: int | None = None,
    top_k: int | None = None,
) -> UPath:
    """One stacked bar: queries already right / fixable by reranking / not in top fetch_k.

    Fractions are metrics["diagnostics"]["headroom"] (of the evaluated queries, judged on the
    retrieval ranking); `fetch_k`/`top_k` only put the numbers into the labels.
    """
    headroom = (metrics.get("diagnostics") or {}).get("headroom")
    if not isinstance(headroom, Mapping):
        raise InputError("metrics: field 'diagnostics.headroom': missing")
    top = f"top {top_k}" if top_k else "top_k"
    fetch = f"top {fetch_k}" if fetch_k else "top fetch_k"
    segments = [
        (f"already right (relevant in retrieval {top})", headroom.get("already_right")),
        (f"fixable by reranking (in {fetch}, not {top})", headroom.get("fixable_by_reranking")),
        (f"not in {fetch}", headroom.get("not_retrieved")),
    ]
    evaluated = (metrics.get("queries") or {}).get("evaluated")
    out_path = storage.location(out_path)
    with _png_figure(out_path, (8.0, 2.4)) as fig:
        ax = fig.add_subplot()
        left = 0.0
        for (label, value), color in zip(segments, HEADROOM_COLORS, strict=True):
            frac = float(value or 0.0)
            ax.barh([0], [frac], left=left, height=0.6, color=color, label=f"{label}: {frac:.1%}")
            if frac >= _MIN_LABEL_WIDTH:
                ax.text(left + frac / 2, 0, f"{frac:.1%}", ha="center", va="center", fontsize=11)
            left += frac
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(-0.5, 0.5)
        ax.set_yticks([])
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        ax.set_xlabel("share of evaluated queries")
        n = f"{evaluated} evaluated queries" if evaluated is not None else "evaluated queries"
        ax.set_title(f"Reranking headroom ({n})")
        fig.legend(loc="outside lower center", ncols=1, frameon=False)
    return out_path


# --------------------------------------------------------------------------- trend


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


def plot_trend(
    runs: Sequence[PathLike],
    out_path: PathLike,
    metrics: tuple[str, str] = ("reranked", "recall@10"),
    *,
    baseline: bool = True,
    title: str | None = None,
) -> UPath:
    """A metric over runs (x = manifest created_at) and, when known, cost per 1,000 queries.

    `metrics` is (stage, metric@k) read from each run's metrics.json. With `baseline`, a
    reranked metric is drawn beside the retrieval value of the same metric@k. A second panel
    shows `cost.per_1k_queries` from the manifests when at least one run has it.
    """
    stage, key = metrics
    if stage not in STAGES:
        raise InputError(f"trend metric stage must be one of {STAGES}, got {stage!r}")
    points = trend_data(runs)
    if not points:
        raise InputError("plot_trend: no runs to plot")
    lines = [stage, "retrieval"] if baseline and stage == "reranked" else [stage]
    costs = _series(points, lambda p: p["cost_per_1k_queries"])
    out_path = storage.location(out_path)
    with _png_figure(out_path, (8.0, 6.0 if costs[0] else 4.2)) as fig:
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
        ax.set_title(title or f"{stage} {key} over the last {runs_word}")
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
