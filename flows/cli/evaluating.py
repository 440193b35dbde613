"""Commands that read finished runs: `eval` (metrics), `compare` (the gate between two runs),
`report` (the HTML page). They start no flow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.errors import reported
from flows.cli.options import ProfileOpt, SetOpt, collect_overrides, resolve_settings
from flows.cli.runrefs import labels_path, load_labels, run_dir

LabelsOpt = Annotated[
    Path | None, typer.Option(help="Default: the labels the run was measured with.")
]


def eval_(
    run_ref: Annotated[
        str, typer.Option("--run", help="Run id under the runs root, or its directory / URL.")
    ],
    labels: LabelsOpt = None,
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

    with reported():
        settings = resolve_settings(profile, collect_overrides(set_))
        path = run_dir(settings, run_ref)
        manifest = read_manifest(path)
        run_conf = manifest.section("run")
        labels_file = labels_path(settings, labels, path)
        results = metrics.evaluate_run(
            path,
            load_labels(settings, labels_file, path),
            fetch_k=fetch_k or run_conf["fetch_k"],
            top_k=top_k or run_conf["top_k"],
            ks=tuple(run_conf["ks"]),
            group_key=manifest.group_key,
            labels_name=str(labels_file),
        )
    typer.echo(json.dumps(results, indent=2) if as_json else format_table(results))


def compare(
    run_a: Annotated[str, typer.Argument(help="Baseline: run id under the runs root, or dir.")],
    run_b: Annotated[str, typer.Argument(help="Candidate: run id or directory.")],
    profile: ProfileOpt = "demo",
    labels: LabelsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    set_: SetOpt = None,
) -> None:
    """Compare run B with run A per query, with the profile's gate; exits 4 when it trips."""

    from tasks.evaluate import regression

    with reported():
        settings = resolve_settings(profile, collect_overrides(set_))
        base = regression.Baseline(run_dir(settings, run_a), f"run {run_a}")
        candidate = run_dir(settings, run_b)
        labels_file = labels_path(settings, labels, candidate)
        verdict = regression.judge(
            base,
            candidate,
            load_labels(settings, labels_file, candidate),
            settings.regression,
            labels_name=str(labels_file),
        )
    if as_json:
        typer.echo(json.dumps(verdict.to_dict(), indent=2, default=str))
    else:
        typer.echo(verdict.text())
    if not verdict.passed:
        raise typer.Exit(4)


def report(
    run_ref: Annotated[str, typer.Argument(help="Run id under the runs root, or directory.")],
    profile: ProfileOpt = "demo",
    labels: LabelsOpt = None,
    out: Annotated[
        str | None, typer.Option(help="HTML file or URL (default: report.html in the run).")
    ] = None,
    set_: SetOpt = None,
) -> None:
    """Write one self-contained HTML page: metrics, diagnostics, plots, nightly comparison."""

    from tasks.report import latest_runs, write_report
    from tasks.runs import layout, storage

    with reported():
        settings = resolve_settings(profile, collect_overrides(set_))
        path = run_dir(settings, run_ref)
        verdict = path / layout.REGRESSION_FILE
        markdown = storage.read_json(verdict)["markdown"] if verdict.exists() else None
        trend = latest_runs(
            settings.run.runs_root, settings.regression.trend_runs, profile=settings.profile
        )
        written = write_report(
            path,
            load_labels(settings, labels, path),
            storage.location(out, settings.run.storage_options)
            if out
            else path / layout.REPORT_FILE,
            markdown,
            trend_runs=trend or None,
        )
    typer.echo(str(written))
