"""The bake-off's table as text: the rows and notes the terminal, the Prefect artifact
(markdown) and the HTML report (tasks.bakeoff.report) all show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks.evaluate import metrics
from tasks.report.tables import markdown_table, text_table


def _num(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


def _p(p: float | None) -> str:
    if p is None:
        return "-"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _usage(c: Mapping[str, Any]) -> str:
    if c.get("search_units_per_query"):
        return f"{c['search_units_per_query']:.2f} SU"
    if c.get("device_seconds_per_query") is not None:
        return f"{c['device_seconds_per_query']:.2g} s"
    return "-"


def _volume(c: Mapping[str, Any]) -> str:
    dedicated = c.get("dedicated_device")
    if not dedicated:
        return "-"
    volume = dedicated["volume"]
    return "never" if volume is None else f"{volume:,.0f}/d"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.3g}"


def table_rows(table: Mapping[str, Any]) -> list[list[str]]:
    """Header and one row per column, as the terminal and the HTML report show them."""
    metric, shown = table["metric"], table["shown"]
    head = [
        "reranker",
        *shown,
        f"delta {metric}",
        "p",
        "W/L",
        "p50 ms",
        "p95 ms",
        "use/query",
        "per 1k q",
        "per 30 d",
        "GPU cheaper above",
    ]
    rows = [head]
    for c in table["columns"]:
        name = c["name"] + (" *" if c.get("best") else "")
        if c["status"] != "completed":
            rows.append([name, *(["-"] * len(shown)), "FAILED", *(["-"] * 8)])
            continue
        vs = c.get("vs_baseline")
        rows.append(
            [
                name,
                *(_num(c["metrics"][key]) for key in shown),
                _num(vs["delta"], "+.4f") if vs else "-",
                _p(vs["p_value"]) if vs else "-",
                f"{vs['wins']}/{vs['losses']}" if vs else "-",
                _ms(c["latency_p50_s"]),
                _ms(c["latency_p95_s"]),
                _usage(c),
                _num(c["cost_per_1k_queries"], ".4g"),
                _num(c["cost_per_30_days"], ",.2f"),
                _volume(c),
            ]
        )
    return rows


def notes(table: Mapping[str, Any]) -> list[str]:
    """The lines under the table: what '*' means, the pick, the break-even, the failures."""
    cost = table["costs"]
    cur, per_day = cost["currency"], cost["queries_per_day"]
    unit = metrics.describe_unit(table["unit"])
    lines = [
        f"unit: {unit}; deltas, p and W/L: {table['stage']} {table['metric']} against "
        f"'{table['baseline']}' ({table['test']['method']}, {table['test']['n_resamples']} "
        f"resamples); costs in {cur}, per 30 d at {per_day:,} new queries/day",
        f"* best on {table['metric']}: no other reranker is significantly better "
        f"(p < {table['alpha']:g}): {', '.join(table['best']) or 'none completed'}",
    ]
    if table["cheapest_best"]:
        lines.append(f"cheapest of those at {per_day:,} queries/day: {table['cheapest_best']}")
    for c in table["columns"]:
        d = c.get("dedicated_device")
        if not d:
            continue
        head = (
            f"{c['name']}: {c['pairs_per_second']:,.0f} pairs/s measured; a dedicated device "
            f"at {cost['device_per_hour']:g} {cur}/h ({d['device_per_day']:,.2f}/day) serves up "
            f"to {d['capacity_per_day']:,.0f} queries/day"
            if d["capacity_per_day"]
            else f"{c['name']}: no device seconds measured"
        )
        if d["volume"] is not None:
            tail = f"cheaper than {d['versus']} above {d['volume']:,.0f} queries/day"
        else:
            tail = f"never cheaper than {d['versus']} at that throughput"
        lines.append(f"{head}; {tail}")
    for c in table["columns"]:
        if c["status"] != "completed":
            lines.append(f"FAILED {c['name']} (run {c['run_id']}): {c['reason']}")
    if table["failed"]:
        lines.append(f"finish them with: rerankflow bakeoff --resume {table['bakeoff_id']}")
    return lines


def format_table(table: Mapping[str, Any]) -> str:
    header, *rows = table_rows(table)
    lines = text_table(header, rows)
    return "\n".join([f"bake-off {table['bakeoff_id']}", *lines, "", *notes(table)])


def format_markdown(table: Mapping[str, Any]) -> str:
    """For the Prefect artifact (and the README)."""
    header, *rows = table_rows(table)
    lines = markdown_table(header, rows)
    return "\n".join([*lines, "", *(f"- {line}" for line in notes(table))])
