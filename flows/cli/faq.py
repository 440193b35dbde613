"""`faq precompute` (refresh the serving table) and `faq lookup` (read it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.errors import reported, stop
from flows.cli.options import ProfileOpt, SetOpt, collect_overrides, resolve_settings

faq_app = typer.Typer(help="Precomputed answers for FAQ questions.", no_args_is_help=True)
FaqDirOpt = Annotated[
    Path | None, typer.Option(help="Serving table folder (default: faq.dir, else data/faq).")
]


@faq_app.command("precompute")
def precompute(
    profile: ProfileOpt = "demo",
    queries: Annotated[Path | None, typer.Option(help="FAQ questions file.")] = None,
    faq_dir: FaqDirOpt = None,
    set_: SetOpt = None,
) -> None:
    """Rerank new or changed FAQ questions and swap the serving table in atomically."""
    with reported():
        overrides = collect_overrides(set_, **{"dataset.queries": queries and str(queries)})
        settings = resolve_settings(profile, overrides)
        from flows import preflight  # after the settings, as in flows.cli.running

        preflight.check_faq(settings, faq_dir and str(faq_dir))
        from flows.faq_precompute import faq_precompute

        result = faq_precompute(
            profile=profile, overrides=overrides, faq_dir=faq_dir and str(faq_dir)
        )
    if result["failed_qids"]:
        raise typer.Exit(3)


@faq_app.command("lookup")
def lookup(
    question: Annotated[str, typer.Argument(help="The question, as a user would ask it.")],
    profile: ProfileOpt = "demo",
    top_k: Annotated[int | None, typer.Option(help="Rows to print (default: all).")] = None,
    faq_dir: FaqDirOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    set_: SetOpt = None,
) -> None:
    """Print the precomputed top-k for a question (exact match after normalization)."""

    from tasks import faq

    with reported():
        settings = resolve_settings(profile, collect_overrides(set_))
        rows = faq.lookup(faq.serving_dir(settings, faq_dir), question, top_k)
    if not rows:
        stop(f"no precomputed answer for: {question}", 1)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        text = " ".join(str(row.get("text", "")).split())[:80]
        typer.echo(f"{row['rank']:>3}  {row['score']:.4f}  {row['doc_id']}  {text}")
