"""PNG plots of one run: recall@k curves and reranking headroom (figures via `figure`).

Recall values come from the project's metric SQL (`tasks.evaluate.metrics.ranking_metrics` over
`per_query.sql`), in the unit the run's manifest records (groups when it has a
`qdrant.group_key`), so a curve point at k equals `evaluate_run`'s recall@k.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from matplotlib.ticker import MaxNLocator, PercentFormatter
from upath import UPath

from tasks.evaluate.checks import check_run_file, check_unit_columns
from tasks.evaluate.metrics import (
    CANDIDATES_FILE,
    RERANKED_FILE,
    STAGES,
    failed_qids,
    ranking_metrics,
)
from tasks.evaluate.names import Metric
from tasks.evaluate.sql import register_qrels, run_relation
from tasks.report.figure import COLORS, png_figure
from tasks.runs import storage
from tasks.runs.layout import MANIFEST_FILE, METRICS_FILE
from tasks.runs.manifest import RunManifest, read_manifest
from tasks.runs.storage import PathLike
from tasks.types import InputError, Qrels

HEADROOM_COLORS = ("#009E73", "#E69F00", "#999999")
# Segments narrower than this get their percentage in the legend only (the text would overflow).
_MIN_LABEL_WIDTH = 0.07


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
            out[stage] = {k: means[str(Metric("recall", k))] for k in ks}
    finally:
        con.close()
    return out


def plot_recall_curves(run_dir: PathLike, qrels: Qrels, out_path: PathLike) -> UPath:
    """Recall@k curves, retrieval vs reranked, as a PNG at `out_path`."""
    data = recall_curve_data(run_dir, qrels)
    out_path = storage.location(out_path)
    with png_figure(out_path, (8.0, 4.8)) as fig:
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
    with png_figure(out_path, (8.0, 2.4)) as fig:
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
