"""How runs are judged and priced: metric names, the regression gate, the cost table."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from config.base import Frozen

# The per-query metrics every evaluation computes (tasks/sql/per_query.sql), in report order.
METRIC_NAMES: tuple[str, ...] = ("recall", "precision", "hit_rate", "mrr", "ndcg")
# Group level only (qdrant.group_key set; tasks/sql/chunk_coverage.sql): relevant groups among
# the top k *chunks* over relevant groups, where METRIC_NAMES rank groups and k counts groups.
GROUP_METRIC_NAMES: tuple[str, ...] = ("chunk_coverage",)
# Every name a gate rule or a report may use, in report order.
ALL_METRIC_NAMES: tuple[str, ...] = METRIC_NAMES + GROUP_METRIC_NAMES
Stage = Literal["retrieval", "reranked"]
GateMode = Literal["fail", "warn"]


class GateRule(Frozen):
    """Trip when `metric` of `stage` dropped by more than max_drop AND the drop has p < alpha."""

    stage: Stage
    metric: str  # "recall@5"
    max_drop: float = Field(ge=0)
    alpha: float = Field(0.05, gt=0, le=1)

    @field_validator("metric")
    @classmethod
    def _metric_at_k(cls, value: str) -> str:
        name, sep, k = value.partition("@")
        if not sep or name not in ALL_METRIC_NAMES or not k.isdigit() or int(k) < 1:
            raise ValueError(
                f"metric must look like 'recall@5' with a name in {', '.join(ALL_METRIC_NAMES)}, "
                f"got {value!r}"
            )
        return f"{name}@{int(k)}"


class RegressionSettings(Frozen):
    """The nightly gate: each run against a baseline run on the same query set."""

    # Pin the baseline to a run id; unset: the last run that passed (runs_root/baselines/).
    baseline_run: str | None = None
    # A run that passes with nothing tripped (warnings included) becomes the baseline; off:
    # no pointer is written, so runs are compared only with a pinned baseline_run.
    promote: bool = True
    rules: tuple[GateRule, ...] = (
        GateRule(stage="reranked", metric="recall@5", max_drop=0.02),
        GateRule(stage="reranked", metric="ndcg@10", max_drop=0.02),
        GateRule(stage="retrieval", metric="recall@20", max_drop=0.02),
    )
    mode: GateMode = "fail"
    # Cost and latency: trips when current > baseline * (1 + threshold).
    ops_thresholds: dict[str, float] = {"cost_per_1k_queries": 0.25, "latency_p95_s": 0.5}
    ops_mode: GateMode = "warn"
    seed: int = 0
    n_resamples: int = Field(10_000, ge=100)
    # Runs in the trend plot.
    trend_runs: int = Field(14, ge=1)


class CostSettings(Frozen):
    """Price table for `rerankflow costs`; list prices change, so check yours."""

    currency: str = "USD"
    # Cohere bills rerank per search unit (one query with up to 100 documents);
    # rerank-v3.5 lists at $2.00 per 1,000 searches.
    cohere_per_1k_search_units: float = Field(2.0, ge=0)
    # Cohere bills embed per input token (meta.billed_units.input_tokens); embed-v4.0 text
    # lists at $0.12 per 1M tokens.
    cohere_embed_per_1m_tokens: float = Field(0.12, ge=0)
    # Local backends: what an hour of the worker's device costs (GPU on-demand, say).
    device_per_hour: float = Field(2.0, ge=0)
    # For --estimate of local backends: measured pairs per second on the worker's device.
    local_pairs_per_second: float | None = Field(None, gt=0)
    queries_per_day: int = Field(10_000, ge=1)
