"""`rerankflow`: the command line. Every command calls the same flows a deployment runs.

One module per job: `running` (index, run, bakeoff, nightly), `evaluating` (eval, compare,
report), `costs`, `faq`, `doctor` (doctor, demo); `options` and `runrefs` hold what they share,
`errors` the one mapping of a user's mistake to one line and exit 2. The commands are
registered here, in the order `--help` lists them.
"""

from __future__ import annotations

import os

import typer

# Hub look-ups must fail fast on machines without a network, not wait on one.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from flows.cli import costs, doctor, evaluating, faq, running  # noqa: E402 - after the env

__all__ = ["app"]

app = typer.Typer(
    help="Offline reranked retrieval as Prefect batch jobs: index, run, evaluate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(running.index)
app.command()(running.run)
app.command("bakeoff")(running.bakeoff)
app.command("eval")(evaluating.eval_)
app.command()(costs.costs)
app.command()(running.nightly)
app.command()(evaluating.compare)
app.command()(evaluating.report)
app.add_typer(faq.faq_app, name="faq")
app.command()(doctor.doctor)
app.command()(doctor.demo)
