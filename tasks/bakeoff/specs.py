"""What a bake-off compares: its columns (`backend[:model]`, `none` first), the headline metric,
and each column's settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

from config.settings import GROUP_METRIC_NAMES, METRIC_NAMES, RerankBackend, Settings
from tasks.errors import SettingsError
from tasks.evaluate.names import Metric
from tasks.rerank.registry import BACKENDS, MODEL_BACKENDS

BASELINE = "none"
DEFAULT_METRIC = "recall@5"
DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class RerankerSpec:
    """One column: `backend` or `backend:model` as given on the command line."""

    backend: str
    model: str | None = None

    @property
    def name(self) -> str:
        return f"{self.backend}:{self.model}" if self.model else self.backend


def parse_spec(text: str) -> RerankerSpec:
    """`bm25`, `cohere`, `cohere:rerank-v3.5`, `flag:BAAI/bge-reranker-v2-m3`, `flag:/models/x`."""
    backend, _, model = text.strip().partition(":")
    known = get_args(RerankBackend)
    if backend not in known:
        raise SettingsError(
            f"--reranker {text}: unknown backend '{backend}' (known: {', '.join(known)}); "
            "write backend or backend:model"
        )
    if model and not BACKENDS[backend].takes_model:
        raise SettingsError(f"--reranker {text}: backend '{backend}' takes no model")
    if not model and backend in MODEL_BACKENDS:
        raise SettingsError(
            f"--reranker {text}: backend '{backend}' needs a model: {backend}:MODEL "
            "(hub id or local directory)"
        )
    return RerankerSpec(backend, model or None)


def parse_specs(texts: Sequence[str]) -> list[RerankerSpec]:
    """The columns in order, `none` first (the baseline every delta is measured against; added
    when not given); a reranker given twice is refused."""
    if not texts:
        raise SettingsError("bakeoff: no rerankers; give --reranker BACKEND[:MODEL] at least once")
    specs = [parse_spec(t) for t in texts]
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise SettingsError(f"--reranker {spec.name}: given twice")
        seen.add(spec.name)
    base = [s for s in specs if s.name == BASELINE] or [RerankerSpec(BASELINE)]
    return base + [s for s in specs if s.name != BASELINE]


def parse_metric(text: str, settings: Settings) -> tuple[str, int]:
    """The headline metric (reranked stage) the deltas, tests and 'best' are about."""
    names = METRIC_NAMES + (GROUP_METRIC_NAMES if settings.qdrant.group_key else ())
    try:
        metric = Metric.parse(text)
    except ValueError:
        metric = None
    if metric is None or metric.name not in names:
        raise SettingsError(
            f"--metric {text}: expected name@k with a name in {', '.join(names)}, e.g. recall@5"
        )
    ks = settings.run.ks
    if metric.k not in ks or metric.k > settings.run.top_k:
        raise SettingsError(
            f"--metric {text}: k={metric.k} must be in run.ks {list(ks)} and at most run.top_k "
            f"({settings.run.top_k}); add it, e.g. --set 'run.ks=[{metric.k}, 10]'"
        )
    return metric.name, metric.k


def column_settings(base: Settings, spec: RerankerSpec) -> Settings:
    """The bake-off's settings with this column's reranker. Only model backends go to
    `run.rerank_deployment` (the gpu pool); the others rerank in the bake-off's process."""
    config = base.model_dump(mode="json")
    config["reranker"].update(backend=spec.backend, model=spec.model)
    if spec.backend not in MODEL_BACKENDS:
        config["run"]["rerank_deployment"] = None
    try:
        return Settings.model_validate(config)
    except ValueError as exc:
        raise SettingsError(f"--reranker {spec.name}: {' '.join(str(exc).split())[:300]}") from None
