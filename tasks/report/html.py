"""One self-contained HTML report per run: header, metrics table, diagnostics, plots, comparison.

The file carries everything inline (CSS in a <style>, plots as base64 `data:` PNGs, a
Content-Security-Policy that forbids any other source), so it can be mailed, attached to a
Prefect artifact or opened from a CI workspace without a server. All text goes through Jinja2
autoescaping; the comparison Markdown is rendered with raw HTML, links and images disabled.
The table rows and diagnostics lines are `metrics_table.table_rows` / `diagnostic_lines`, the
same as the terminal table, formatted with the same 4 decimals.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup
from upath import UPath

from tasks.evaluate.metrics import DEFAULT_KS, evaluate_run
from tasks.report import plots, trend
from tasks.report.metrics_table import diagnostic_lines, table_rows
from tasks.report.pages import environment, png_data_uri
from tasks.report.tables import fmt_number
from tasks.runs import storage
from tasks.runs.manifest import RunManifest, manifest_path, read_manifest
from tasks.runs.storage import PathLike
from tasks.types import Qrels

TEMPLATE = "report.html.j2"


def _markdown_to_html(text: str) -> Markup:
    """Markdown (tables, lists, bold) as HTML; raw HTML is escaped, links/images stay text."""
    # Links and images are disabled so the report can never point at (or fetch) a URL.
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.disable(["link", "image", "autolink"])
    return Markup(md.render(text))  # safe: markdown-it escaped all text (html disabled)


def _run_metrics(
    run_dir: UPath, qrels: Qrels | None, manifest: RunManifest
) -> dict[str, Any] | None:
    """The run's recorded metrics.json; computed from `qrels` only when the run has none."""
    recorded = plots.read_metrics(run_dir)
    if recorded is not None or qrels is None:
        return recorded
    where = manifest_path(run_dir)
    ks = manifest.ks or DEFAULT_KS
    return evaluate_run(
        run_dir,
        qrels,
        plots.run_setting(manifest, "fetch_k", where),
        plots.run_setting(manifest, "top_k", where),
        ks,
        group_key=manifest.group_key,
    )


def _header(manifest: RunManifest) -> list[tuple[str, str]]:
    """(label, value) pairs describing the run, in display order."""
    run = manifest.section("run")
    created = manifest.created_at.isoformat() if manifest.created_at else None
    pairs = [
        ("run id", manifest.run_id),
        ("created at", created),
        ("status", manifest.status),
        ("profile", manifest.profile),
        ("reranker backend", manifest.reranker_backend),
        ("reranker model", manifest.section("reranker").get("model")),
        ("embedder model", manifest.section("embedder").get("model")),
        ("queries", manifest.counts.get("queries")),
        ("fetch_k", run.get("fetch_k")),
        ("top_k", run.get("top_k")),
    ]
    return [(label, "-" if value is None else str(value)) for label, value in pairs]


def _table(metrics: Mapping[str, Any]) -> list[dict[str, str]]:
    """`table_rows` formatted like the terminal table, with a CSS class for the delta's sign."""
    rows = []
    for row in table_rows(metrics):
        delta = row["delta"]
        sign = "" if delta is None or abs(delta) < 5e-5 else ("up" if delta > 0 else "down")
        rows.append(
            {
                "metric": row["metric"],
                "retrieval": fmt_number(row["retrieval"]),
                "reranked": fmt_number(row["reranked"]),
                "delta": fmt_number(delta, signed=True),
                "sign": sign,
            }
        )
    return rows


def _figures(
    run_dir: UPath,
    qrels: Qrels | None,
    manifest: RunManifest,
    metrics: Mapping[str, Any] | None,
    trend_runs: Sequence[PathLike] | None,
) -> list[dict[str, str]]:
    """Each plot as {"id", "title", "alt", "src"} with the PNG inlined as a data URI."""
    where = manifest_path(run_dir)
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rerankflow-report-") as tmp:
        out = Path(tmp)
        if qrels is not None:
            path = plots.plot_recall_curves(run_dir, qrels, out / "recall.png")
            alt = "Mean recall@k by cutoff k, retrieval and reranked"
            figures.append({"id": "recall-curves", "title": "Recall@k", "alt": alt, "path": path})
        if metrics is not None:
            path = plots.plot_headroom(
                metrics,
                out / "headroom.png",
                fetch_k=plots.run_setting(manifest, "fetch_k", where),
                top_k=plots.run_setting(manifest, "top_k", where),
            )
            alt = "Share of queries already right, fixable by reranking, not retrieved"
            figures.append({"id": "headroom", "title": "Headroom", "alt": alt, "path": path})
        if trend_runs:
            # The metric the nightly trend plots (regression.write_plots): recall@top_k.
            stage, metric = trend.trend_metric(plots.run_setting(manifest, "top_k", where))
            path = trend.plot_trend(trend_runs, out / "trend.png", (stage, metric))
            alt = f"Reranked {metric} and cost over recent runs"
            figures.append({"id": "trend", "title": "Trend", "alt": alt, "path": path})
        # Read while the temporary directory still exists.
        return [
            {
                "id": f["id"],
                "title": f["title"],
                "alt": f["alt"],
                "src": png_data_uri(f["path"].read_bytes()),
            }
            for f in figures
        ]


def render_report(
    run_dir: PathLike,
    qrels: Qrels | None,
    comparison_markdown: str | None = None,
    *,
    trend_runs: Sequence[PathLike] | None = None,
) -> str:
    """The report's HTML text (see `write_report`)."""
    run_dir = storage.location(run_dir)
    manifest = read_manifest(run_dir)
    metrics = _run_metrics(run_dir, qrels, manifest)
    context = {
        "run_id": manifest.run_id,
        "header": _header(manifest),
        "has_metrics": metrics is not None,
        "rows": _table(metrics) if metrics is not None else [],
        "diagnostics": diagnostic_lines(metrics) if metrics is not None else [],
        "has_qrels": qrels is not None,
        "figures": _figures(run_dir, qrels, manifest, metrics, trend_runs),
        "comparison": (
            _markdown_to_html(comparison_markdown) if comparison_markdown is not None else None
        ),
    }
    return environment().get_template(TEMPLATE).render(context)


def write_report(
    run_dir: PathLike,
    qrels: Qrels | None,
    out_path: PathLike,
    comparison_markdown: str | None = None,
    *,
    trend_runs: Sequence[PathLike] | None = None,
) -> UPath:
    """Write the run's self-contained HTML report to `out_path` (atomically) and return it.

    Metrics are the run's metrics.json (what the flow and the gate saw); only a run without one
    is evaluated here from `qrels`. The recall@k curves need `qrels` (runs do not store labels)
    and are left out without them. `comparison_markdown` (e.g. `tasks.report.comparison.
    comparison_markdown`) becomes a comparison section; `trend_runs` adds a trend plot.
    """
    html = render_report(run_dir, qrels, comparison_markdown, trend_runs=trend_runs)
    out_path = storage.location(out_path)
    storage.write_text(out_path, html)
    return out_path
