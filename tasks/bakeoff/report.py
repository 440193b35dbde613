"""The bake-off's plot (quality against cost per 1,000 queries) and its self-contained HTML page.

The plot is drawn as the run plots draw (Agg canvas, default style, no Software stamp, written
atomically); the page inlines it, as the run report does, and shows the same rows as the
terminal table (`tasks.bakeoff.render.table_rows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from upath import UPath

from tasks.bakeoff.render import notes, table_rows
from tasks.report.figure import COLORS, png_figure
from tasks.report.pages import environment, png_data_uri
from tasks.runs import storage
from tasks.runs.storage import PathLike

TEMPLATE = "bakeoff.html.j2"


def plot_quality_vs_cost(table: Mapping[str, Any], out_path: PathLike) -> UPath:
    """One point per completed reranker: x cost per 1,000 new queries, y the headline metric;
    the rerankers marked best are drawn as stars."""
    out_path = storage.location(out_path)
    metric = table["metric"]
    done = [c for c in table["columns"] if c["status"] == "completed"]
    currency = table["costs"]["currency"]
    with png_figure(out_path, (8.0, 5.0)) as fig:
        ax = fig.subplots()
        for c in done:
            x, y = c["cost_per_1k_queries"] or 0.0, c["metrics"][metric]
            best = c.get("best")
            ax.scatter(
                [x],
                [y],
                marker="*" if best else "o",
                s=180 if best else 60,
                color=COLORS["reranked"] if best else COLORS["retrieval"],
                zorder=3,
            )
            ax.annotate(c["name"], (x, y), xytext=(6, 5), textcoords="offset points", fontsize=9)
        ax.set_xlabel(f"cost per 1,000 queries ({currency})")
        ax.set_ylabel(f"{table['stage']} {metric}")
        ax.margins(x=0.2, y=0.15)
        ax.grid(True, alpha=0.3)
        ax.set_title(f"bake-off {table['bakeoff_id']}: {metric} against cost (* best)")
    return out_path


def render_report(table: Mapping[str, Any], plot_path: PathLike, settings: Any) -> str:
    rows = table_rows(table)
    body = []
    for c, cells in zip(table["columns"], rows[1:], strict=True):
        css = "failed" if c["status"] != "completed" else ("best" if c.get("best") else "")
        body.append({"cells": cells, "css": css})
    png = storage.location(plot_path).read_bytes()
    queries = next((c["queries"] for c in table["columns"] if "queries" in c), "-")
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            bakeoff_id=table["bakeoff_id"],
            queries=queries,
            fetch_k=settings.run.fetch_k,
            top_k=settings.run.top_k,
            header=rows[0],
            rows=body,
            notes=notes(table),
            plot_src=png_data_uri(png),
            plot_alt=f"{table['metric']} against cost per 1,000 queries, one point per reranker",
        )
    )


def write_report(
    table: Mapping[str, Any], plot_path: PathLike, out_path: PathLike, settings: Any
) -> UPath:
    out_path = storage.location(out_path)
    storage.write_text(out_path, render_report(table, plot_path, settings))
    return out_path
