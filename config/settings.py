"""Frozen settings, resolved once from a YAML profile plus overrides.

Secrets (Qdrant API key) come from the environment, never from YAML.

This module is the import path the code base uses (`from config.settings import Settings`);
the models live in one module per section and the loader in `config.profile`:

- `config.retrieval`: dataset, embedder, Qdrant
- `config.reranker`: reranker backend and Cohere
- `config.run`: runs root and storage options, run sizes, FAQ table
- `config.evaluation`: metric names, regression gate, costs
- `config.model`: `Settings`, the whole profile
- `config.profile`: `load_settings`, `--set` overrides, error locations
"""

from __future__ import annotations

from config.evaluation import (
    ALL_METRIC_NAMES,
    GROUP_METRIC_NAMES,
    METRIC_NAMES,
    CostSettings,
    GateMode,
    GateRule,
    RegressionSettings,
    Stage,
)
from config.model import Settings
from config.profile import (
    PROFILES_DIR,
    load_settings,
    merge_overrides,
    parse_override,
    resolve_profile_path,
)
from config.reranker import (
    DEFAULT_COHERE_MODEL,
    CohereSettings,
    RerankBackend,
    RerankerSettings,
)
from config.retrieval import (
    DEFAULT_COHERE_EMBED_MODEL,
    DEFAULT_EMBED_BACKEND,
    DEFAULT_EMBEDDER,
    DatasetSettings,
    EmbedBackend,
    EmbedderSettings,
    QdrantSettings,
    SearchParamsSettings,
)
from config.run import FaqSettings, Location, RunSettings

__all__ = [
    "ALL_METRIC_NAMES",
    "DEFAULT_COHERE_EMBED_MODEL",
    "DEFAULT_COHERE_MODEL",
    "DEFAULT_EMBED_BACKEND",
    "DEFAULT_EMBEDDER",
    "GROUP_METRIC_NAMES",
    "METRIC_NAMES",
    "PROFILES_DIR",
    "CohereSettings",
    "CostSettings",
    "DatasetSettings",
    "EmbedBackend",
    "EmbedderSettings",
    "FaqSettings",
    "GateMode",
    "GateRule",
    "Location",
    "QdrantSettings",
    "RegressionSettings",
    "RerankBackend",
    "RerankerSettings",
    "RunSettings",
    "SearchParamsSettings",
    "Settings",
    "Stage",
    "load_settings",
    "merge_overrides",
    "parse_override",
    "resolve_profile_path",
]
