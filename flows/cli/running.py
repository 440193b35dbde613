"""Commands that start a flow: `index`, `run`, `bakeoff`, `nightly`. Each checks its input first
(flows.preflight: a mistake is one line before any Prefect server starts), then runs the flow a
deployment runs, then prints what the user needs next. Each imports in that order too: a
mistake in the settings is reported before the checks' modules (Qdrant's client...) load, and
one in the inputs before the flow's (Prefect, the models)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.errors import reported, stop
from flows.cli.options import ProfileOpt, SetOpt, collect_overrides, resolve_settings


def index(profile: ProfileOpt = "demo", set_: SetOpt = None) -> None:
    """Embed the corpus into Qdrant (new or changed documents only); build BM25 stats."""
    with reported():
        overrides = collect_overrides(set_)
        settings = resolve_settings(profile, overrides)
        from flows import preflight

        preflight.check_index(settings)
        from flows.index_corpus import index_corpus

        index_corpus(profile=profile, overrides=overrides)


def run(
    profile: ProfileOpt = "demo",
    reranker: Annotated[
        str | None, typer.Option(help="Backend: none, bm25, cross-encoder, flag or cohere.")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Reranker model: hub id or local directory.")
    ] = None,
    queries: Annotated[
        Path | None, typer.Option(help="Queries file (overrides the profile).")
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="Labels file (overrides the profile).")
    ] = None,
    missing_label_docs: Annotated[
        str | None,
        typer.Option(help="Labels naming documents absent from the corpus: warn or fail."),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(help="Finish run RUN_ID: only its missing batches and failed queries."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Bypass the rerank cache (billed backends).")
    ] = False,
    set_: SetOpt = None,
) -> None:
    """Run a query batch: embed, retrieve fetch_k, rerank, keep top_k, write Parquet, measure.

    Exits 3 when some queries failed to rerank (the rest are written); --resume retries them.
    """
    with reported():
        overrides = collect_overrides(
            set_,
            **{
                "reranker.backend": reranker,
                "reranker.model": model,
                "dataset.queries": queries and str(queries),
                "dataset.labels": labels and str(labels),
                "dataset.missing_label_docs": missing_label_docs,
                "reranker.cache": False if no_cache else None,
            },
        )
        settings = resolve_settings(profile, overrides)
        from flows import preflight

        if resume:
            preflight.check_resume(settings, overrides, resume)
        else:
            preflight.check_run(settings)
        from flows.rerank_batch import rerank_batch

        result = rerank_batch(profile=profile, overrides=overrides, resume_run_id=resume)
    typer.echo(f"run {result['run_id']} written to {result['run_dir']}")
    failed = result["manifest"]["counts"].get("failed_queries", 0)
    if failed:
        stop(
            f"{failed} queries failed to rerank (failed.parquet); "
            f"retry them with: rerankflow run --resume {result['run_id']} "
            "(with the same --profile and run.runs_root)",
            3,
        )


def bakeoff(
    profile: ProfileOpt = "demo",
    reranker: Annotated[
        list[str] | None,
        typer.Option(
            "--reranker",
            help="A candidate: backend or backend:model, e.g. flag:BAAI/bge-reranker-v2-m3 "
            "(repeatable; none, the baseline, is always included).",
        ),
    ] = None,
    metric: Annotated[
        str, typer.Option(help="Headline metric (reranked): deltas, p-values and 'best'.")
    ] = "recall@5",
    alpha: Annotated[float, typer.Option(help="Significance level for 'best'.")] = 0.05,
    resume: Annotated[
        str | None,
        typer.Option(help="Finish bake-off BAKEOFF_ID: only the columns that did not complete."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
    set_: SetOpt = None,
) -> None:
    """Retrieve once, rerank with each candidate, compare quality, latency and cost in one table.

    Writes each column as a run and the bake-off (table.json, report.html, quality_vs_cost.png)
    under <runs_root>/bakeoffs/<id>. Exits 3 when any column failed; --resume finishes it.
    """
    with reported():
        overrides = collect_overrides(set_)
        settings = resolve_settings(profile, overrides)
        from flows import preflight

        if resume:
            preflight.check_bakeoff_resume(settings, resume)
        else:
            preflight.check_bakeoff(settings, reranker or [], metric, alpha)
        from flows.bakeoff import bakeoff as bakeoff_flow

        result = bakeoff_flow(
            profile=profile,
            overrides=overrides,
            rerankers=reranker,
            metric=metric,
            alpha=alpha,
            resume_bakeoff_id=resume,
        )
    from tasks.bakeoff import format_table

    table = result["table"]
    if as_json:
        typer.echo(json.dumps(table, indent=2, default=str))
    else:
        typer.echo(format_table(table))
        typer.echo(f"bake-off {result['bakeoff_id']} written to {result['bakeoff_dir']}")
    if table["failed"]:
        stop(
            f"{len(table['failed'])} column(s) failed: {', '.join(table['failed'])}; finish "
            f"them with: rerankflow bakeoff --resume {result['bakeoff_id']} "
            "(with the same --profile and run.runs_root)",
            3,
        )


def nightly(
    profile: ProfileOpt = "demo",
    baseline: Annotated[
        str | None,
        typer.Option(help="Compare with this run id (default: the profile's last passing run)."),
    ] = None,
    set_: SetOpt = None,
) -> None:
    """Run the regression set and gate it against the baseline; exits 4 when the gate trips."""
    with reported():
        overrides = collect_overrides(set_)
        settings = resolve_settings(profile, overrides)
        from flows import preflight

        preflight.check_nightly(settings, baseline)
        from flows.nightly_regression import nightly_regression
        from tasks.evaluate.regression import RegressionDetected

        try:
            result = nightly_regression(
                profile=profile, overrides=overrides, baseline_run_id=baseline
            )
        except RegressionDetected as exc:
            # A verdict, not a mistake: its own exit code (RegressionDetected is a UserError).
            typer.secho(f"gate tripped: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(4) from None
    promoted = "; promoted to baseline" if result["promoted"] else ""
    typer.echo(f"run {result['run_id']} passed ({result['baseline']}){promoted}")
