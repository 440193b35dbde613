"""The metric-name type: parsed once, written one way, in report order; and the metric SQL's
columns matched to config's names by name."""

from __future__ import annotations

import pytest

from config.settings import ALL_METRIC_NAMES, METRIC_NAMES
from tasks.evaluate.metrics import metric_columns
from tasks.evaluate.names import Metric


def test_parse_and_write_back() -> None:
    metric = Metric.parse("ndcg@10")
    assert metric == Metric("ndcg", 10) and (metric.name, metric.k) == ("ndcg", 10)
    assert str(metric) == "ndcg@10"
    assert {Metric.parse("recall@5"): 1}[Metric("recall", 5)] == 1  # hashable, by value
    assert Metric("chunk_coverage", 3).group_only and not Metric("recall", 3).group_only


@pytest.mark.parametrize("text", ["ndcg", "ndcg@", "@10", "ndcg@0", "ndcg@-1", "ndcg@1.5", "a b@3"])
def test_parse_refuses_what_is_not_name_at_k(text: str) -> None:
    with pytest.raises(ValueError, match="metric"):
        Metric.parse(text)


def test_report_order_is_config_order_then_k() -> None:
    keys = ["ndcg@3", "recall@10", "chunk_coverage@1", "recall@2", "zzz@1", "mrr@5"]
    assert [str(m) for m in sorted(map(Metric.parse, keys))] == [
        "recall@2",
        "recall@10",  # by k as a number, not as text
        "mrr@5",
        "ndcg@3",
        "chunk_coverage@1",
        "zzz@1",  # unknown names after the known ones
    ]
    assert [m.name for m in sorted(Metric(n, 1) for n in reversed(ALL_METRIC_NAMES))] == list(
        ALL_METRIC_NAMES
    )


def test_sql_columns_are_matched_by_name_not_position() -> None:
    shuffled = ["qid", "k", *reversed(METRIC_NAMES)]
    assert metric_columns(shuffled, groups=False) == METRIC_NAMES
    assert metric_columns([*shuffled, "chunk_coverage"], groups=True) == ALL_METRIC_NAMES
    with pytest.raises(RuntimeError, match="added on one side only"):
        metric_columns(["qid", "k", *METRIC_NAMES, "new_metric"], groups=False)
    with pytest.raises(RuntimeError, match="added on one side only"):
        metric_columns(["qid", "k", *METRIC_NAMES[1:]], groups=False)
