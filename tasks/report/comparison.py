"""A comparison of two runs (`compare_runs`) and its gates, as text for a terminal and as
Markdown for a Prefect artifact or the HTML report: the same header lines, table rows and
gate lines in both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from config.settings import GateMode
from tasks.evaluate.gates import GateCheck, GateResult
from tasks.evaluate.metrics import describe_unit
from tasks.evaluate.significance import format_p
from tasks.report.tables import fmt_number, markdown_table, text_table

HEADER = ("stage", "metric", "A", "B", "delta", "p", "W/L/T")
ALIGN = "llrrrrr"


def comparison_rows(comparison: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """One row per stage and metric@k: means, delta, p-value, wins/losses/ties."""
    rows = []
    for stage, entries in comparison["stages"].items():
        for key, e in entries.items():
            rows.append(
                (
                    stage,
                    key,
                    fmt_number(e["mean_a"]),
                    fmt_number(e["mean_b"]),
                    fmt_number(e["delta"], signed=True),
                    format_p(e["p_value"]),
                    f"{e['wins']}/{e['losses']}/{e['ties']}",
                )
            )
    return rows


def header_lines(comparison: Mapping[str, Any]) -> list[str]:
    """The runs, unit, queries and test behind the table, then any warnings."""
    a, b, q, t = (comparison[k] for k in ("a", "b", "queries", "test"))
    unseen = ""
    if "label_ids" in q:
        unseen = (
            f"; label ids not in run A {q.get('label_ids_not_in_a')}, "
            f"not in run B {q.get('label_ids_not_in_b')}, of {q['label_ids']}"
        )
    # Comparisons stored before exact enumeration lack the field.
    n_exact = t.get("exact_max_n")
    exact = f"exact up to {n_exact} differing queries, else " if n_exact else ""
    return [
        f"A (baseline):  {a['run_id']}  fetch_k={a['fetch_k']} top_k={a['top_k']}  {a['path']}",
        f"B (candidate): {b['run_id']}  fetch_k={b['fetch_k']} top_k={b['top_k']}  {b['path']}",
        f"unit: {describe_unit(comparison.get('unit'))}",
        f"queries compared: {q['compared']} (labelled not in runs {q['labelled_not_in_runs']}, "
        f"unlabelled in runs {q['unlabelled_in_runs']}, "
        f"failed reranks left out {q['failed_rerank_excluded']}){unseen}",
        f"test: {t['method']}, {t['alternative']}, {exact}{t['n_resamples']} resamples, "
        f"seed {t['seed']}; W/L/T = queries where B won/lost/tied",
        *(f"warning: {w}" for w in comparison.get("warnings", [])),
    ]


def _gates(gate: GateResult | Sequence[GateResult] | None) -> list[GateResult]:
    if gate is None:
        return []
    return [gate] if isinstance(gate, GateResult) else list(gate)


def _check_tag(check: GateCheck, mode: GateMode) -> str:
    if not check.compared:
        return "SKIP"
    if check.tripped:
        return "FAIL" if mode == "fail" else "WARN"
    return "ok"


def _gate_lines(gates: list[GateResult]) -> list[tuple[str, str]]:
    """(tag, message) per check, after a verdict line per gate."""
    lines = []
    for g in gates:
        n = len(g.tripped)
        verdict = "passed" if g.passed else "FAILED"
        lines.append(("", f"gate ({g.mode} mode): {verdict}, {n} of {len(g.checks)} tripped"))
        lines += [(_check_tag(c, g.mode), c.message) for c in g.checks]
    return lines


def format_comparison(
    comparison: Mapping[str, Any], gate: GateResult | Sequence[GateResult] | None = None
) -> str:
    """Plain-text report for a terminal: header, one table row per stage/metric@k, gate lines."""
    table = text_table(HEADER, comparison_rows(comparison), align=ALIGN)
    out = [*header_lines(comparison), "", *table]
    gate_lines = [f"{tag:<4}  {msg}" if tag else msg for tag, msg in _gate_lines(_gates(gate))]
    if gate_lines:
        out += ["", *gate_lines]
    return "\n".join(out)


def comparison_markdown(
    comparison: Mapping[str, Any], gate: GateResult | Sequence[GateResult] | None = None
) -> str:
    """Markdown version of `format_comparison`, for a Prefect markdown artifact."""
    lines = [f"- {line}" for line in header_lines(comparison)]
    lines += ["", *markdown_table(HEADER, comparison_rows(comparison), align=ALIGN)]
    for tag, msg in _gate_lines(_gates(gate)):
        lines += ["", f"**{msg}**", ""] if not tag else [f"- **{tag}** {msg}"]
    return "\n".join(lines)
