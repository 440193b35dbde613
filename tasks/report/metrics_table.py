"""A run's metrics as people read them: the three-line headline, the retrieval / reranked /
delta table, the diagnostics lines, and the headline numbers a manifest carries.

The terminal table, the Prefect table artifact and the HTML report all take their rows from
`metric_rows`, so they list the same metrics in the same order (`Metric`'s report order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks.evaluate.metrics import STAGES, describe_unit
from tasks.evaluate.names import Metric
from tasks.report.tables import fmt_amount, fmt_number, text_table
from tasks.rerank.registry import FREE_BACKENDS, MODEL_BACKENDS

HEADER = ("metric", "retrieval", "reranked", "delta")
# The metrics a manifest's headline carries, at top_k (chunk_coverage too at group level).
HEADLINE_NAMES = ("recall", "ndcg")


def metric_rows(metrics: Mapping[str, Any]) -> list[tuple[str, float | None, float | None]]:
    """(metric@k, retrieval value, reranked value) per metric either stage has, report order."""
    retrieval: Mapping[str, float] = metrics.get("retrieval", {})
    reranked: Mapping[str, float] = metrics.get("reranked", {})
    keys = sorted(set(retrieval) | set(reranked), key=Metric.parse)
    return [(key, retrieval.get(key), reranked.get(key)) for key in keys]


def delta(a: float | None, b: float | None) -> float | None:
    """b - a, or None when either side has no value."""
    return None if a is None or b is None else b - a


def table_rows(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows for a Prefect table artifact: the same rows as `format_table`."""
    return [
        {"metric": key, "retrieval": a, "reranked": b, "delta": delta(a, b)}
        for key, a, b in metric_rows(metrics)
    ]


def diagnostic_lines(metrics: Mapping[str, Any]) -> list[str]:
    q = metrics.get("queries", {})
    d = metrics.get("diagnostics", {})
    unseen = ""
    if "label_ids_not_in_run" in q:
        unseen = f"; label ids not in run {q['label_ids_not_in_run']} of {q.get('label_ids')}"
    lines = [
        f"unit: {describe_unit(metrics.get('unit'))}",
        f"queries: in run {q.get('in_run')}, labelled {q.get('labelled')}, "
        f"evaluated {q.get('evaluated')}, unlabelled in run {q.get('unlabelled_in_run')}, "
        f"labelled missing from run {q.get('labelled_missing_from_run')}{unseen}",
    ]
    if not d:
        return lines
    h = d.get("headroom", {})
    lines += [
        f"retrieval ceiling (recall@fetch_k): {fmt_number(d.get('retrieval_ceiling'))}",
        f"relevant in fetch_k but not top_k: before {fmt_number(d.get('in_fetch_k_not_top_k'))}, "
        f"after reranking {fmt_number(d.get('in_fetch_k_not_top_k_after'))}",
        f"headroom: already right {fmt_number(h.get('already_right'))}, "
        f"fixable by reranking {fmt_number(h.get('fixable_by_reranking'))}, "
        f"not retrieved {fmt_number(h.get('not_retrieved'))}",
    ]
    for key, value in d.items():
        if key.startswith("per_query_"):
            lines.append(
                f"{key}: improved {value['improved']}, worse {value['worse']}, same {value['same']}"
            )
    return lines


def format_table(metrics: Mapping[str, Any]) -> str:
    """Plain-text table: metric@k rows, retrieval / reranked / delta columns, then diagnostics."""
    rows = [
        (key, fmt_number(a), fmt_number(b), fmt_number(delta(a, b), signed=True))
        for key, a, b in metric_rows(metrics)
    ]
    return "\n".join([*text_table(HEADER, rows), "", *diagnostic_lines(metrics)])


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"


def cost_line(backend: str, cost: Mapping[str, Any] | None) -> str:
    """Cost per 1,000 queries from the run's cost summary (`tasks.costs.run_cost_summary`)."""
    head = "cost per 1,000 queries:"
    if backend == "none":
        return f"{head} free (no reranker)"
    if backend in FREE_BACKENDS:
        return f"{head} free ({backend} scores on the retrieving CPU worker: no device, no API)"
    if cost is None or cost.get("per_1k_queries") is None:
        return f"{head} unknown (the run has no call log)"
    amount = f"{head} {fmt_amount(cost['per_1k_queries'])} {cost['currency']}"
    if backend in MODEL_BACKENDS:
        return f"{amount} (estimate: {fmt_amount(cost.get('device_seconds'))} device s in all)"
    return f"{amount} ({fmt_amount(cost.get('search_units'))} search units in all)"


def headline_lines(
    metrics: Mapping[str, Any],
    *,
    top_k: int,
    fetch_k: int,
    backend: str,
    cost: Mapping[str, Any] | None,
) -> list[str]:
    """Three lines before the full table: what reranking did at top_k, what it could do (the
    ceiling, the share of queries it can fix), and what it costs."""
    key, ceiling_key = str(Metric("recall", top_k)), str(Metric("recall", fetch_k))
    before = metrics.get("retrieval", {}).get(key)
    after = metrics.get("reranked", {}).get(key)
    d = metrics.get("diagnostics", {})
    gained = fmt_number(delta(before, after), signed=True)
    done = (
        f"{key}: {fmt_number(before)} (retrieval order: reranker none)"
        if backend == "none"
        else f"{key}: {fmt_number(before)} retrieval -> {fmt_number(after)} after {backend} "
        f"reranking ({gained})"
    )
    return [
        done,
        f"retrieval ceiling {ceiling_key}: {fmt_number(d.get('retrieval_ceiling'))}; "
        f"fixable by reranking: {_percent(d.get('in_fetch_k_not_top_k'))} of queries "
        f"(relevant in the top {fetch_k}, not the top {top_k}; "
        f"{_percent(d.get('in_fetch_k_not_top_k_after'))} after reranking)",
        cost_line(backend, cost),
    ]


def headline(metrics: Mapping[str, Any], top_k: int) -> dict[str, float | None]:
    """The few numbers a manifest carries: recall and nDCG at top_k (and chunk_coverage at
    group level), and the ceiling."""
    names = HEADLINE_NAMES
    if str(Metric("chunk_coverage", top_k)) in metrics["retrieval"]:
        names += ("chunk_coverage",)
    return {
        f"{ranking}_{Metric(name, top_k)}": metrics[ranking].get(str(Metric(name, top_k)))
        for ranking in STAGES
        for name in names
    } | {"retrieval_ceiling": metrics["diagnostics"]["retrieval_ceiling"]}
