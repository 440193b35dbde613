"""`doctor` (is everything a run needs there?) and `demo` (index and run the shipped sample)."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.errors import reported
from flows.cli.options import ProfileOpt, SetOpt, collect_overrides, resolve_settings
from flows.cli.running import index, run


def doctor(profile: ProfileOpt = "demo", set_: SetOpt = None) -> None:
    """Check Qdrant, the embedder's dimension, Prefect, the runs root, the reranker and the GPU;
    one line each, with what to do about a failure. Exits 1 when any check fails."""
    from tasks.doctor import run_checks

    with reported():
        settings = resolve_settings(profile, collect_overrides(set_))
    checks = run_checks(settings)
    for check in checks:
        typer.echo(check.line())
    if any(c.status == "FAIL" for c in checks):
        raise typer.Exit(1)


def demo(
    reranker: Annotated[
        str | None, typer.Option(help="Backend (default: the profile's bm25).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Reranker model id or directory.")] = None,
) -> None:
    """Index the shipped sample and run the labelled queries through it, offline."""
    index(profile="demo", set_=None)
    run(
        profile="demo",
        reranker=reranker,
        model=model,
        queries=None,
        labels=None,
        missing_label_docs=None,
        resume=None,
        no_cache=False,
        set_=None,
    )
