"""`costs`: what runs cost (from their call logs), or what a run would cost (--estimate)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from flows.cli.errors import reported
from flows.cli.options import ProfileOpt, SetOpt, collect_overrides, resolve_settings


def costs(
    profile: ProfileOpt = "demo",
    run_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--run",
            help="Run id under the profile's runs root, or an index's (index-<time>) "
            "(repeatable; default: every run there and every index's embed calls).",
        ),
    ] = None,
    estimate: Annotated[
        bool,
        typer.Option(help="Project the cost before a run, from query and candidate counts."),
    ] = False,
    queries: Annotated[
        int | None, typer.Option(help="--estimate: queries per run (default: the profile's).")
    ] = None,
    documents: Annotated[
        int | None,
        typer.Option(help="--estimate: candidates per query (default: run.fetch_k)."),
    ] = None,
    queries_per_day: Annotated[
        int | None, typer.Option(help="Projection volume (default: costs.queries_per_day).")
    ] = None,
    reranker: Annotated[
        str | None,
        typer.Option(help="--estimate: backend to price (cohere, cross-encoder, flag)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="--estimate: reranker model (cohere: rerank-v3.5).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    set_: SetOpt = None,
) -> None:
    """Cost per run, per 1,000 queries, per query percentiles, and a projection per day."""

    from tasks import costs as cost_model

    with reported():
        named = {"reranker.backend": reranker, "reranker.model": model}
        overrides = collect_overrides(set_, **named)
        if reranker is not None and model is None:
            # The profile's model belongs to its own backend; cohere then takes its default.
            overrides.setdefault("reranker.model", None)
        settings = resolve_settings(profile, overrides)
        per_day = queries_per_day or settings.costs.queries_per_day
        if estimate:
            if queries is None:
                from tasks.inputs.batch import load_inputs

                queries = len(load_inputs(settings).queries)
            rows = [
                cost_model.estimate(settings, queries, documents or settings.run.fetch_k, per_day)
            ]
        else:
            calls = cost_model.select_calls(settings, run_ids or ())
            rows = cost_model.run_costs(calls, settings.costs, per_day)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
    else:
        typer.echo(cost_model.format_costs(rows, per_day))
