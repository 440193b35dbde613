"""rerankflow's configuration: frozen pydantic settings resolved once from a YAML profile
(config/profiles/*.yaml) plus `--set` overrides; secrets come from the environment.

The public names are gathered in `config.settings`, the path the code base imports from, and
re-exported here.
"""

from __future__ import annotations

from config.settings import (
    ALL_METRIC_NAMES,
    DEFAULT_COHERE_MODEL,
    DEFAULT_EMBEDDER,
    GROUP_METRIC_NAMES,
    METRIC_NAMES,
    PROFILES_DIR,
    CohereSettings,
    CostSettings,
    DatasetSettings,
    EmbedderSettings,
    FaqSettings,
    GateMode,
    GateRule,
    Location,
    QdrantSettings,
    RegressionSettings,
    RerankBackend,
    RerankerSettings,
    RunSettings,
    SearchParamsSettings,
    Settings,
    Stage,
    load_settings,
    merge_overrides,
    parse_override,
    resolve_profile_path,
)

__all__ = [
    "ALL_METRIC_NAMES",
    "DEFAULT_COHERE_MODEL",
    "DEFAULT_EMBEDDER",
    "GROUP_METRIC_NAMES",
    "METRIC_NAMES",
    "PROFILES_DIR",
    "CohereSettings",
    "CostSettings",
    "DatasetSettings",
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
