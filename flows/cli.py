"""`rerankflow`: the command line. Every command calls the same flows a deployment runs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

import typer
from upath import UPath

# Hub look-ups must fail fast on machines without a network, not wait on one.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

app = typer.Typer(
    help="Offline reranked retrieval as Prefect batch jobs: index, run, evaluate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ProfileOpt = Annotated[
    str, typer.Option("--profile", "-p", help="Profile name under config/profiles, or a YAML path.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a setting, e.g. --set run.top_k=5 (repeatable)."),
]


def _settings(profile: str, overrides: dict[str, Any]) -> Any:
    from config.settings import load_settings

    return load_settings(profile, overrides)


def _overrides(sets: list[str] | None, **named: Any) -> dict[str, Any]:
    from config.settings import parse_override

    out = dict(parse_override(s) for s in sets or [])
    out.update({k: v for k, v in named.items() if v is not None})
    return out


def _errors() -> tuple[type[BaseException], ...]:
    """What a command reports in one line (exit 2) rather than a traceback: a user's mistake
    (UserError), a path that is not there or not readable, a store that cannot be reached.
    Anything else is a bug and keeps its traceback."""
    import duckdb

    from tasks.errors import UserError

    errors: list[type[BaseException]] = [
        UserError,
        FileNotFoundError,
        PermissionError,
        IsADirectoryError,
        NotADirectoryError,
        duckdb.IOException,
    ]
    with suppress(ImportError):
        from botocore.exceptions import BotoCoreError  # s3fs's client, when installed

        errors.append(BotoCoreError)
    return tuple(errors)


@contextmanager
def _reported() -> Iterator[None]:
    """Run a command's body; a user's mistake becomes one line on stderr and exit 2."""
    try:
        yield
    except _errors() as exc:
        from tasks.errors import one_line

        typer.secho(f"error: {one_line(exc)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


@app.command()
def index(profile: ProfileOpt = "demo", set_: SetOpt = None) -> None:
    """Embed the corpus into Qdrant (new or changed documents only); build BM25 stats."""
    from flows import preflight
    from flows.index_corpus import index_corpus

    with _reported():
        overrides = _overrides(set_)
        preflight.check_index(_settings(profile, overrides))
        index_corpus(profile=profile, overrides=overrides)


@app.command()
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
    from flows import preflight
    from flows.rerank_batch import rerank_batch

    with _reported():
        overrides = _overrides(
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
        settings = _settings(profile, overrides)
        if resume:
            preflight.check_resume(settings, overrides, resume)
        else:
            preflight.check_run(settings)
        result = rerank_batch(profile=profile, overrides=overrides, resume_run_id=resume)
    typer.echo(f"run {result['run_id']} written to {result['run_dir']}")
    failed = result["manifest"]["counts"].get("failed_queries", 0)
    if failed:
        typer.secho(
            f"{failed} queries failed to rerank (failed.parquet); "
            f"retry them with: rerankflow run --resume {result['run_id']} "
            "(with the same --profile and run.runs_root)",
            fg=typer.colors.YELLOW,
            err=True,
        )
        raise typer.Exit(3)


@app.command("bakeoff")
def bakeoff_cmd(
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
    from flows import preflight
    from flows.bakeoff import bakeoff
    from tasks import bakeoff as bo

    with _reported():
        overrides = _overrides(set_)
        settings = _settings(profile, overrides)
        if resume:
            preflight.check_bakeoff_resume(settings, resume)
        else:
            preflight.check_bakeoff(settings, reranker or [], metric, alpha)
        result = bakeoff(
            profile=profile,
            overrides=overrides,
            rerankers=reranker,
            metric=metric,
            alpha=alpha,
            resume_bakeoff_id=resume,
        )
    table = result["table"]
    if as_json:
        typer.echo(json.dumps(table, indent=2, default=str))
    else:
        typer.echo(bo.format_table(table))
        typer.echo(f"bake-off {result['bakeoff_id']} written to {result['bakeoff_dir']}")
    if table["failed"]:
        typer.secho(
            f"{len(table['failed'])} column(s) failed: {', '.join(table['failed'])}; finish "
            f"them with: rerankflow bakeoff --resume {result['bakeoff_id']} "
            "(with the same --profile and run.runs_root)",
            fg=typer.colors.YELLOW,
            err=True,
        )
        raise typer.Exit(3)


@app.command("eval")
def eval_(
    run_ref: Annotated[
        str, typer.Option("--run", help="Run id under the runs root, or its directory / URL.")
    ],
    labels: Annotated[
        Path | None, typer.Option(help="Default: the labels the run was measured with.")
    ] = None,
    profile: ProfileOpt = "demo",
    fetch_k: Annotated[int | None, typer.Option(help="Default: from the run's manifest.")] = None,
    top_k: Annotated[int | None, typer.Option(help="Default: from the run's manifest.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    set_: SetOpt = None,
) -> None:
    """Compute recall@k, precision@k, hit-rate@k, MRR@k, nDCG@k and the reranking diagnostics."""

    from tasks.evaluate import metrics
    from tasks.report.metrics_table import format_table
    from tasks.runs.manifest import read_manifest

    with _reported():
        settings = _settings(profile, _overrides(set_))
        run_dir = _run_dir(settings, run_ref)
        manifest = read_manifest(run_dir)
        run_conf = manifest.section("run")
        labels_path = _labels_path(settings, labels, run_dir)
        results = metrics.evaluate_run(
            run_dir,
            _labels(settings, labels_path, run_dir),
            fetch_k=fetch_k or run_conf["fetch_k"],
            top_k=top_k or run_conf["top_k"],
            ks=tuple(run_conf["ks"]),
            group_key=manifest.group_key,
            labels_name=str(labels_path),
        )
    typer.echo(json.dumps(results, indent=2) if as_json else format_table(results))


@app.command()
def costs(
    profile: ProfileOpt = "demo",
    run_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--run",
            help="Run id under the profile's runs root (repeatable; default: every run there).",
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

    with _reported():
        named = {"reranker.backend": reranker, "reranker.model": model}
        overrides = _overrides(set_, **named)
        if reranker is not None and model is None:
            # The profile's model belongs to its own backend; cohere then takes its default.
            overrides.setdefault("reranker.model", None)
        settings = _settings(profile, overrides)
        per_day = queries_per_day or settings.costs.queries_per_day
        if estimate:
            if queries is None:
                from tasks.inputs.batch import load_inputs

                queries = len(load_inputs(settings).queries)
            rows = [
                cost_model.estimate(settings, queries, documents or settings.run.fetch_k, per_day)
            ]
        else:
            paths = cost_model.call_log_paths(settings.run.runs_root, run_ids or ())
            rows = cost_model.run_costs(paths, settings.costs, per_day)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
    else:
        typer.echo(cost_model.format_costs(rows, per_day))


def _run_dir(settings: Any, ref: str) -> UPath:
    """A run given by id under the runs root, or by its directory or URL."""
    from tasks.runs import runstore, storage
    from tasks.runs.manifest import has_manifest

    if storage.is_url(ref):
        return storage.location(ref, settings.run.storage_options)
    path = storage.location(ref)
    if has_manifest(path):
        return path
    return runstore.find_run(settings.run.runs_root, ref)


def _labels_path(settings: Any, labels: Path | None, run_dir: UPath) -> Path:
    """--labels, else the labels the run itself was measured with, else the profile's."""
    from tasks.errors import SettingsError
    from tasks.runs.manifest import read_manifest

    if labels is not None:
        return labels
    ran_with = read_manifest(run_dir).section("dataset").get("labels")
    path = ran_with or settings.dataset.labels
    if path is None:
        raise SettingsError(f"{run_dir}: no labels in its manifest or the profile; give --labels")
    return Path(path)


def _labels(settings: Any, labels: Path | None, run_dir: UPath) -> Any:
    from tasks.inputs.loaders import load_qrels

    return load_qrels(_labels_path(settings, labels, run_dir))


@app.command()
def nightly(
    profile: ProfileOpt = "demo",
    baseline: Annotated[
        str | None,
        typer.Option(help="Compare with this run id (default: the profile's last passing run)."),
    ] = None,
    set_: SetOpt = None,
) -> None:
    """Run the regression set and gate it against the baseline; exits 4 when the gate trips."""
    from flows import preflight
    from flows.nightly_regression import nightly_regression
    from tasks.evaluate.regression import RegressionDetected

    with _reported():
        overrides = _overrides(set_)
        preflight.check_nightly(_settings(profile, overrides), baseline)
        try:
            result = nightly_regression(
                profile=profile, overrides=overrides, baseline_run_id=baseline
            )
        except RegressionDetected as exc:
            typer.secho(f"gate tripped: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(4) from None
    promoted = "; promoted to baseline" if result["promoted"] else ""
    typer.echo(f"run {result['run_id']} passed ({result['baseline']}){promoted}")


@app.command()
def compare(
    run_a: Annotated[str, typer.Argument(help="Baseline: run id under the runs root, or dir.")],
    run_b: Annotated[str, typer.Argument(help="Candidate: run id or directory.")],
    profile: ProfileOpt = "demo",
    labels: Annotated[
        Path | None, typer.Option(help="Default: the labels the run was measured with.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    set_: SetOpt = None,
) -> None:
    """Compare run B with run A per query, with the profile's gate; exits 4 when it trips."""

    from tasks.evaluate import regression

    with _reported():
        settings = _settings(profile, _overrides(set_))
        base = regression.Baseline(_run_dir(settings, run_a), f"run {run_a}")
        candidate = _run_dir(settings, run_b)
        labels_path = _labels_path(settings, labels, candidate)
        verdict = regression.judge(
            base,
            candidate,
            _labels(settings, labels_path, candidate),
            settings.regression,
            labels_name=str(labels_path),
        )
    if as_json:
        typer.echo(json.dumps(verdict.to_dict(), indent=2, default=str))
    else:
        typer.echo(verdict.text())
    if not verdict.passed:
        raise typer.Exit(4)


@app.command()
def report(
    run_ref: Annotated[str, typer.Argument(help="Run id under the runs root, or directory.")],
    profile: ProfileOpt = "demo",
    labels: Annotated[
        Path | None, typer.Option(help="Default: the labels the run was measured with.")
    ] = None,
    out: Annotated[
        str | None, typer.Option(help="HTML file or URL (default: report.html in the run).")
    ] = None,
    set_: SetOpt = None,
) -> None:
    """Write one self-contained HTML page: metrics, diagnostics, plots, nightly comparison."""

    from tasks.evaluate import regression
    from tasks.report import latest_runs, write_report
    from tasks.runs import storage

    with _reported():
        settings = _settings(profile, _overrides(set_))
        run_dir = _run_dir(settings, run_ref)
        verdict = run_dir / regression.REGRESSION_FILE
        markdown = storage.read_json(verdict)["markdown"] if verdict.exists() else None
        trend = latest_runs(
            settings.run.runs_root, settings.regression.trend_runs, profile=settings.profile
        )
        path = write_report(
            run_dir,
            _labels(settings, labels, run_dir),
            storage.location(out, settings.run.storage_options)
            if out
            else run_dir / regression.REPORT_FILE,
            markdown,
            trend_runs=trend or None,
        )
    typer.echo(str(path))


faq_app = typer.Typer(help="Precomputed answers for FAQ questions.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")
FaqDirOpt = Annotated[
    Path | None, typer.Option(help="Serving table folder (default: faq.dir, else data/faq).")
]


@faq_app.command("precompute")
def faq_precompute_cmd(
    profile: ProfileOpt = "demo",
    queries: Annotated[Path | None, typer.Option(help="FAQ questions file.")] = None,
    faq_dir: FaqDirOpt = None,
    set_: SetOpt = None,
) -> None:
    """Rerank new or changed FAQ questions and swap the serving table in atomically."""
    from flows import preflight
    from flows.faq_precompute import faq_precompute

    with _reported():
        overrides = _overrides(set_, **{"dataset.queries": queries and str(queries)})
        preflight.check_faq(_settings(profile, overrides), faq_dir and str(faq_dir))
        result = faq_precompute(
            profile=profile, overrides=overrides, faq_dir=faq_dir and str(faq_dir)
        )
    if result["failed_qids"]:
        raise typer.Exit(3)


@faq_app.command("lookup")
def faq_lookup(
    question: Annotated[str, typer.Argument(help="The question, as a user would ask it.")],
    profile: ProfileOpt = "demo",
    top_k: Annotated[int | None, typer.Option(help="Rows to print (default: all).")] = None,
    faq_dir: FaqDirOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    set_: SetOpt = None,
) -> None:
    """Print the precomputed top-k for a question (exact match after normalization)."""

    from tasks import faq

    with _reported():
        settings = _settings(profile, _overrides(set_))
        rows = faq.lookup(faq.serving_dir(settings, faq_dir), question, top_k)
    if not rows:
        typer.secho(f"no precomputed answer for: {question}", fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        text = " ".join(str(row.get("text", "")).split())[:80]
        typer.echo(f"{row['rank']:>3}  {row['score']:.4f}  {row['doc_id']}  {text}")


@app.command()
def doctor(profile: ProfileOpt = "demo", set_: SetOpt = None) -> None:
    """Check Qdrant, the embedder's dimension, Prefect, the runs root, the reranker and the GPU;
    one line each, with what to do about a failure. Exits 1 when any check fails."""
    from tasks.doctor import run_checks

    with _reported():
        settings = _settings(profile, _overrides(set_))
    checks = run_checks(settings)
    for check in checks:
        typer.echo(check.line())
    if any(c.status == "FAIL" for c in checks):
        raise typer.Exit(1)


@app.command()
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


if __name__ == "__main__":
    app()
